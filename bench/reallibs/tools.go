package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The tools compared.
const (
	toolPerfslo   = "perfslo"
	toolBenchstat = "benchstat" // the naive workflow: sequential -count N, p < α and over tolerance
)

var tools = []string{toolPerfslo, toolBenchstat}

// Row outcomes.
const (
	outFlag      = "flag"      // called a regression
	outOK        = "ok"        // pass, improvement, or no significant change
	outUndecided = "undecided" // the tool declined to judge (perfslo's unmeasurable)
)

// Run is one tool run on one scenario: a line of runs.jsonl.
type Run struct {
	Module   string    `json:"module"`
	Scenario string    `json:"scenario"`
	Tool     string    `json:"tool"`
	Rep      int       `json:"rep"`
	Start    time.Time `json:"start"`
	Wall     float64   `json:"wall_s"`
	Exit     int       `json:"exit"`
	// Crash: the tool failed to produce its report (perfslo: an error exit
	// with no readable JSON, an error message or a panic).
	Crash bool   `json:"crash"`
	Error string `json:"error,omitempty"`
	// Verdict is perfslo's suite verdict from its JSON report.
	Verdict string       `json:"verdict,omitempty"`
	Rows    []RowOutcome `json:"rows"`
	// Load is the 1-minute load average before and after the run: the
	// machine is shared, and contention is noise.
	Load [2]float64 `json:"loadavg"`
	// Raw is the prefix of the run's raw files under results/raw.
	Raw string `json:"raw"`
}

// RowOutcome is what a tool said about one row.
type RowOutcome struct {
	Package   string   `json:"package"`
	Benchmark string   `json:"benchmark"`
	Unit      string   `json:"unit"`
	Outcome   string   `json:"outcome"`
	Verdict   string   `json:"verdict,omitempty"` // the tool's own word
	Delta     *float64 `json:"delta,omitempty"`
	P         *float64 `json:"p,omitempty"`
}

func (r RowOutcome) key() string { return rowKey(r.Package, r.Benchmark, r.Unit) }

// cell is one module × scenario × tool.
type cell struct{ module, scenario, tool string }

func (c cell) String() string { return c.module + "/" + c.scenario + "/" + c.tool }

// runner runs the tools.
type runner struct {
	tc        *toolchain
	perfslo   string
	benchstat string
	raw       string // results/raw
	work      string
	count     int
	benchtime string
	gateArgs  []string
	tolerance float64 // the naive rule's sec/op tolerance
	alpha     float64
	timeout   time.Duration
}

// runPerfslo runs `perfslo gate` on the scenario's repository.
func (rn *runner) runPerfslo(ctx context.Context, p *prepared, s *scenario, r *Run) error {
	prefix := filepath.Join(rn.raw, r.Raw)
	jsonFile, mdFile := prefix+".json", prefix+".md"
	for _, f := range []string{jsonFile, mdFile} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	args := []string{"gate", "--base", "HEAD~1", "--packages", strings.Join(p.m.packageArgs(), ","),
		"--count", strconv.Itoa(rn.count), "--benchtime", rn.benchtime,
		"--json", jsonFile, "--markdown", mdFile}
	if p.m.Bench != "." {
		args = append(args, "--bench", p.m.Bench)
	}
	args = append(args, rn.gateArgs...)
	rctx, cancel := context.WithTimeout(ctx, rn.timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, rn.perfslo, args...)
	cmd.Dir = s.repo
	cmd.Env = rn.tc.env(true)
	var stderr bytes.Buffer
	stdout, err := os.Create(prefix + ".stdout")
	if err != nil {
		return err
	}
	defer stdout.Close()
	cmd.Stdout = stdout
	cmd.Stderr = &stderr
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	runErr := cmd.Run()
	r.Wall = time.Since(start).Seconds()
	if err := os.WriteFile(prefix+".stderr", stderr.Bytes(), 0o644); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: not a result
	}
	r.Exit = exitCode(runErr)
	rep, jerr := readGateJSON(jsonFile)
	if jerr == nil {
		r.Verdict = rep.Verdict
		r.Rows = rep.rows()
	}
	r.Crash, r.Error = crashOf(r.Exit, stderr.String(), jerr)
	if r.Exit < 0 && runErr != nil {
		r.Crash, r.Error = true, fmt.Sprintf("%v (over the %s timeout, or killed)", runErr, rn.timeout)
	}
	return nil
}

// crashOf decides whether a perfslo run lost its report: an error exit with
// an error message or a panic, or no readable JSON report at all. Exit 1
// with a report and no error message is a decision ("could not decide"),
// not a crash.
func crashOf(exit int, stderr string, jsonErr error) (bool, string) {
	if msg := errorLine(stderr); msg != "" && exit != 0 && exit != 2 {
		return true, msg
	}
	if jsonErr != nil {
		return true, fmt.Sprintf("exit %d, no readable JSON report (%v): %s", exit, jsonErr, tail(stderr, 1))
	}
	return false, ""
}

// errorLine finds the line in which perfslo reports an error, or a panic.
func errorLine(stderr string) string {
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "perfslo gate: ") || strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return l
		}
	}
	return ""
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode() // -1 when killed by a signal
	}
	return -1
}

// gateReport is the part of perfslo's JSON report the harness reads. The
// numbers are pointers: a report may write a non-finite value as null.
type gateReport struct {
	Verdict string `json:"verdict"`
	Results []struct {
		Benchmark string   `json:"benchmark"`
		Package   string   `json:"package"`
		Unit      string   `json:"unit"`
		Verdict   string   `json:"verdict"`
		Delta     *float64 `json:"delta"`
		P         *float64 `json:"p"`
	} `json:"results"`
}

func readGateJSON(path string) (*gateReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep gateReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &rep, nil
}

// rows maps perfslo's per-row verdicts to outcomes: regression is a flag;
// pass and improvement are decided; anything else (unmeasurable, or a
// verdict a newer perfslo adds) is undecided.
func (g *gateReport) rows() []RowOutcome {
	var out []RowOutcome
	for _, x := range g.Results {
		o := RowOutcome{Package: x.Package, Benchmark: canonicalName(x.Benchmark), Unit: x.Unit,
			Verdict: x.Verdict, Delta: x.Delta, P: x.P}
		switch x.Verdict {
		case "regression":
			o.Outcome = outFlag
		case "pass", "improvement":
			o.Outcome = outOK
		case "added", "removed":
			continue // not a comparison
		default:
			o.Outcome = outUndecided
		}
		out = append(out, o)
	}
	return out
}

// runBenchstat is the workflow people use today: build base and head test
// binaries, run each side sequentially with -test.count N, compare with
// benchstat, and call a row a regression when p < α and the change is
// beyond tolerance in the bad direction.
func (rn *runner) runBenchstat(ctx context.Context, p *prepared, s *scenario, r *Run) error {
	prefix := filepath.Join(rn.raw, r.Raw)
	rctx, cancel := context.WithTimeout(ctx, rn.timeout)
	defer cancel()
	start := time.Now()
	err := rn.naive(rctx, p, s, prefix, r)
	r.Wall = time.Since(start).Seconds()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		r.Crash, r.Error, r.Exit = true, tail(err.Error(), 3), 1
	}
	return nil
}

func (rn *runner) naive(ctx context.Context, p *prepared, s *scenario, prefix string, r *Run) error {
	bins := filepath.Join(rn.work, "naive", r.Raw)
	sides := []struct{ name, tree string }{{"base", s.base}, {"head", s.repo}}
	built := map[string]map[string]string{}
	for _, side := range sides {
		b, err := rn.tc.buildTests(ctx, side.tree, p.m, filepath.Join(bins, side.name))
		if err != nil {
			return err
		}
		built[side.name] = b
	}
	args := []string{"-test.run", "^$", "-test.bench", p.m.Bench, "-test.count", strconv.Itoa(rn.count),
		"-test.benchtime", rn.benchtime, "-test.benchmem"}
	for _, dir := range p.m.Packages {
		files := map[string]string{}
		for _, side := range sides {
			var out bytes.Buffer
			if err := rn.tc.runBench(ctx, built[side.name][dir], filepath.Join(side.tree, dir), args, nil, &out); err != nil {
				return err
			}
			f := fmt.Sprintf("%s-%s-pkg%d.txt", prefix, side.name, indexOf(p.m.Packages, dir))
			if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
				return err
			}
			files[side.name] = f
		}
		csvOut, err := rn.tc.runEnv(ctx, rn.work, nil, rn.benchstat, "-format", "csv", files["base"], files["head"])
		if err != nil {
			return err
		}
		if err := os.WriteFile(fmt.Sprintf("%s-benchstat-pkg%d.csv", prefix, indexOf(p.m.Packages, dir)), csvOut, 0o644); err != nil {
			return err
		}
		rows, err := parseBenchstatCSV(bytes.NewReader(csvOut), p.m.importPath(dir), rn.tolerance, rn.alpha)
		if err != nil {
			return fmt.Errorf("benchstat output: %v", err)
		}
		r.Rows = append(r.Rows, rows...)
	}
	return os.RemoveAll(bins)
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

var pValue = regexp.MustCompile(`p=([0-9.eE+-]+)`)

// parseBenchstatCSV reads benchstat's -format csv output of two files (old,
// new) and applies the naive rule to each row. benchstat writes one table
// per unit: a header line naming the files, a line naming the unit, then
// one line per benchmark (name, old center, CI, new center, CI, delta, "p=… n=…")
// and a geomean line; config lines ("pkg: …") stand alone.
func parseBenchstatCSV(rd io.Reader, pkg string, tol, alpha float64) ([]RowOutcome, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var out []RowOutcome
	unit := ""
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		switch {
		case len(rec) == 1:
			if k, v, ok := strings.Cut(rec[0], ": "); ok && k == "pkg" {
				pkg = strings.TrimSpace(v)
			}
			continue
		case len(rec) < 7:
			return nil, fmt.Errorf("line %d: %d fields, want 7 (name, old, CI, new, CI, vs base, P)", line, len(rec))
		case rec[0] == "" && rec[2] == "CI":
			unit = rec[1]
			continue
		case rec[0] == "" || rec[0] == "geomean":
			continue
		}
		if unit == "" {
			return nil, fmt.Errorf("line %d: a row before any unit header", line)
		}
		old, err1 := strconv.ParseFloat(rec[1], 64)
		cur, err2 := strconv.ParseFloat(rec[3], 64)
		if err1 != nil || err2 != nil {
			continue // a benchmark on one side only
		}
		o := RowOutcome{Package: pkg, Benchmark: canonicalName(rec[0]), Unit: unit, Verdict: rec[5], Outcome: outOK}
		delta := 0.0
		if old != 0 {
			delta = cur/old - 1
		} else if cur != 0 {
			delta = math.Inf(1)
		}
		if !math.IsInf(delta, 0) {
			o.Delta = &delta
		}
		m := pValue.FindStringSubmatch(rec[6])
		if m == nil {
			return nil, fmt.Errorf("line %d: no p=… in %q", line, rec[6])
		}
		pv, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: p value %q: %v", line, m[1], err)
		}
		o.P = &pv
		if pv < alpha && naiveBad(unit, delta, tol) {
			o.Outcome = outFlag
		}
		out = append(out, o)
	}
	return out, nil
}

// naiveBad is the naive rule's "beyond tolerance in the bad direction":
// time over tol, any growth in memory, throughput down by over tol, and for
// custom units (direction unknown) growth over tol.
func naiveBad(unit string, delta, tol float64) bool {
	switch unit {
	case "B/op", "allocs/op":
		return delta > 0
	case "B/s":
		return delta < -tol
	}
	return delta > tol
}

// loadavg is the 1-minute load average, or -1 where /proc is missing.
func loadavg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
