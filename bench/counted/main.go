// Command counted summarises the runs of bench/counted/run.sh (make
// bench-counted), the deterministic mode's evidence, as markdown on stdout:
// A/A flags in instructions and wall-time mode with the other core busy,
// injected +1%/+3% work, a stride change, and gate wall time per mode.
//
// Usage: go run ./bench/counted RAWDIR
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// run is one gate run as run.sh recorded it.
type run struct {
	name    string
	exit    int
	seconds float64
	load    string
	report  *report
}

type report struct {
	Verdict  string `json:"verdict"`
	Settings struct {
		Measure      string   `json:"measure"`
		MeasureNotes []string `json:"measure_notes"`
		Looks        int      `json:"looks"`
	} `json:"settings"`
	Results []struct {
		Benchmark   string   `json:"benchmark"`
		Unit        string   `json:"unit"`
		Verdict     string   `json:"verdict"`
		Delta       *float64 `json:"delta"`
		Assumption  string   `json:"assumption"`
		Warnings    []string `json:"warnings"`
		Base        *stat    `json:"base"`
		Head        *stat    `json:"head"`
		Attribution *struct {
			Functions []struct {
				Function string  `json:"function"`
				Flat     float64 `json:"flat"`
			} `json:"functions"`
		} `json:"attribution"`
	} `json:"results"`
	Failures []struct {
		Benchmark string `json:"benchmark"`
		Kind      string `json:"kind"`
	} `json:"failures"`
}

// stat is one side of a row: for counted rows, the median and range.
type stat struct {
	Center float64 `json:"center"`
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
	N      int     `json:"n"`
}

// injected are the uuid benchmarks whose paths the injection commit
// touches (run.sh): the function that calls perfsloWork, and the size.
var injected = map[string]struct {
	site string
	pct  int
}{
	"BenchmarkUUID_UnmarshalJSON": {"UUID.UnmarshalText", 1},
	"BenchmarkUUID_MarshalJSON":   {"UUID.MarshalText", 1},
	"BenchmarkUUIDs_Strings":      {"UUIDs.Strings", 3},
	"BenchmarkUUID_URN":           {"UUID.URN", 3},
	"BenchmarkNew":                {"Must", 3},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: counted RAWDIR")
		os.Exit(1)
	}
	if err := summarize(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "counted:", err)
		os.Exit(1)
	}
}

func readRuns(dir string) ([]run, error) {
	f, err := os.Open(filepath.Join(dir, "runs.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []run
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fs := strings.Fields(sc.Text())
		if len(fs) != 4 {
			return nil, fmt.Errorf("runs.txt:%d: want NAME EXIT SECONDS LOAD, got %q", line, sc.Text())
		}
		r := run{name: fs[0], load: fs[3]}
		r.exit, _ = strconv.Atoi(fs[1])
		r.seconds, _ = strconv.ParseFloat(fs[2], 64)
		if b, err := os.ReadFile(filepath.Join(dir, r.name+".json")); err == nil {
			r.report = &report{}
			if err := json.Unmarshal(b, r.report); err != nil {
				return nil, fmt.Errorf("%s.json: %w", r.name, err)
			}
		}
		runs = append(runs, r)
	}
	return runs, sc.Err()
}

// cell returns the runs whose names start with prefix ("uuid-aa-time-").
func cell(runs []run, prefix string) []run {
	var out []run
	for _, r := range runs {
		if strings.HasPrefix(r.name, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func flaggedRows(r run) []string {
	var out []string
	if r.report == nil {
		return out
	}
	for _, row := range r.report.Results {
		if row.Verdict == "regression" || row.Verdict == "violation" {
			out = append(out, fmt.Sprintf("%s %s", row.Benchmark, row.Unit))
		}
	}
	return out
}

func countVerdict(r run, v string) int {
	n := 0
	if r.report != nil {
		for _, row := range r.report.Results {
			if row.Verdict == v {
				n++
			}
		}
	}
	return n
}

func exits(rs []run) string {
	m := map[int]int{}
	for _, r := range rs {
		m[r.exit]++
	}
	var parts []string
	for _, c := range []int{0, 1, 2} {
		if m[c] > 0 {
			parts = append(parts, fmt.Sprintf("exit %d: %d run(s)", c, m[c]))
		}
	}
	return strings.Join(parts, ", ")
}

func seconds(rs []run) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, r.seconds)
	}
	return out
}

func loads(rs []run) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.load)
	}
	return strings.Join(out, " ")
}

// spreads returns, over a run's counted rows of unit, the largest
// (max − min)/median of one side, and how many rows were judged exact.
func spreads(r run, unit string) (maxSpread float64, exact, rows int) {
	if r.report == nil {
		return 0, 0, 0
	}
	for _, row := range r.report.Results {
		if row.Unit != unit {
			continue
		}
		rows++
		if row.Assumption == "exact" {
			exact++
		}
		for _, st := range []*stat{row.Base, row.Head} {
			if st != nil && st.Center != 0 {
				maxSpread = max(maxSpread, (st.High-st.Low)/st.Center)
			}
		}
	}
	return maxSpread, exact, rows
}

func looks(rs []run) string {
	m := map[int]int{}
	for _, r := range rs {
		if r.report != nil {
			m[r.report.Settings.Looks]++
		}
	}
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%d look(s): %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func summarize(dir string, w io.Writer) error {
	runs, err := readRuns(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# The deterministic mode's evidence (make bench-counted)\n\n")
	fmt.Fprintf(w, "Produced by `bench/counted/run.sh` (real `perfslo gate` runs at default settings; JSON reports and stderr in the raw directory, not committed) and summarised by `go run ./bench/counted`. ")
	fmt.Fprintf(w, "Every run had the other core kept busy by a bounded busy loop (`timeout 3600 sh -c 'while :; do :; done'`, started before and killed after each run). ")
	fmt.Fprintf(w, "Load average (1 min) at the end of each run is listed; this session's own tests and builds shared the 2-vCPU VM at times, pinned to CPU 0 (the gate pins its benchmarks to CPU 1).\n\n")

	fmt.Fprintf(w, "## A/A (the same commit as base and head), other core busy\n\n")
	fmt.Fprintf(w, "| module | measure | runs | exit codes | rows per run | rows flagged (all runs) | rows undecided (all runs) | looks | counted rows judged exact | largest spread of a side, all its runs (instructions/op) | median gate wall time | load averages |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, mod := range []string{"examples", "uuid"} {
		for _, m := range []string{"instructions", "time"} {
			rs := cell(runs, mod+"-aa-"+m+"-")
			if len(rs) == 0 {
				continue
			}
			var flagged []string
			rows, undecided, exact, counted := 0, 0, 0, 0
			var worst float64
			for _, r := range rs {
				flagged = append(flagged, flaggedRows(r)...)
				undecided += countVerdict(r, "unmeasurable")
				if r.report != nil {
					rows = len(r.report.Results)
				}
				for _, u := range []string{"instructions/op", "est-cycles/op"} {
					sp, e, n := spreads(r, u)
					exact, counted = exact+e, counted+n
					if u == "instructions/op" {
						worst = max(worst, sp)
					}
				}
			}
			fl := fmt.Sprint(len(flagged))
			if len(flagged) > 0 {
				fl += " (" + strings.Join(flagged, "; ") + ")"
			}
			ex, sp := "–", "–"
			if counted > 0 {
				ex, sp = fmt.Sprintf("%d/%d", exact, counted), fmt.Sprintf("%.3f%%", 100*worst)
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %d | %s | %d | %s | %s | %s | %.0f s | %s |\n", mod, m, len(rs), exits(rs), rows, fl, undecided, looks(rs), ex, sp, median(seconds(rs)), loads(rs))
		}
	}

	fmt.Fprintf(w, "\n## Injected work on github.com/google/uuid@v1.6.0 (all 15 benchmarks), instructions mode, other core busy\n\n")
	fmt.Fprintf(w, "One commit calls `perfsloWork(k)` (a 9-instruction loop per iteration, in a function of its own) at the top of five library functions, each on the path of exactly one benchmark: +1%% in UUID.UnmarshalText (BenchmarkUUID_UnmarshalJSON) and UUID.MarshalText (BenchmarkUUID_MarshalJSON), +3%% in UUIDs.Strings (BenchmarkUUIDs_Strings), UUID.URN (BenchmarkUUID_URN) and Must (BenchmarkNew); k is sized from an A/A run's instructions/op (the call adds a few instructions more). The other 10 benchmarks call none of them. Every run below judges both sizes and the untouched benchmarks at once.\n\n")
	rs := cell(runs, "uuid-inject-instructions-")
	fmt.Fprintf(w, "Runs: %d (%s); looks: %s.\n\n", len(rs), exits(rs), looks(rs))
	fmt.Fprintf(w, "| injection | injected instructions/op rows flagged | measured change of those rows (min / median / max) | est-cycles/op rows flagged (injected) | rows whose diff has perfsloWork in its top three | top function of the diff (rows) |\n|---|---|---|---|---|---|\n")
	untouched, untouchedRows := 0, 0
	for _, pct := range []int{1, 3} {
		hit, want, cyc, named := 0, 0, 0, 0
		var deltas []float64
		tops := map[string]int{}
		for _, r := range rs {
			if r.report == nil {
				continue
			}
			for _, row := range r.report.Results {
				bad := row.Verdict == "regression" || row.Verdict == "violation"
				inj, ok := injected[row.Benchmark]
				switch {
				case !ok:
					if pct == 1 {
						untouchedRows++
						if bad {
							untouched++
						}
					}
				case inj.pct != pct:
				case row.Unit == "instructions/op":
					want++
					if bad {
						hit++
					}
					if row.Delta != nil {
						deltas = append(deltas, *row.Delta)
					}
					if row.Attribution != nil && len(row.Attribution.Functions) > 0 {
						fs := row.Attribution.Functions
						tops[fs[0].Function]++
						for _, f := range fs[:min(3, len(fs))] {
							if strings.HasSuffix(f.Function, ".perfsloWork") {
								named++
							}
						}
					}
				case row.Unit == "est-cycles/op" && bad:
					cyc++
				}
			}
		}
		var top []string
		for f, n := range tops {
			top = append(top, fmt.Sprintf("%s (%d)", f, n))
		}
		sort.Strings(top)
		lo, hi := 0.0, 0.0
		if len(deltas) > 0 {
			lo, hi = slices.Min(deltas), slices.Max(deltas)
		}
		fmt.Fprintf(w, "| +%d%% | %d/%d | %+.2f%% / %+.2f%% / %+.2f%% | %d | %d/%d | %s |\n", pct, hit, want, 100*lo, 100*median(deltas), 100*hi, cyc, named, want, strings.Join(top, ", "))
	}
	fmt.Fprintf(w, "\nWhere the top function is not perfsloWork, it is the function the call was put in, or its caller: the added call made UUID.URN, and New (which inlines Must), too costly to inline into their benchmarks (go build -gcflags=-m: \"can inline UUID.URN\" and \"can inline New\" before the injection, not after), so the call overhead they now pay is counted in them, and the measured change is above the intended size.\n")
	fmt.Fprintf(w, "\nRows of the 10 untouched benchmarks flagged: %d of %d.\n", untouched, untouchedRows)

	fmt.Fprintf(w, "\n## A stride change (internal/callgrind's benchmod, BenchmarkWalk: stride 1 → 4099, the same instructions), other core busy\n\n")
	fmt.Fprintf(w, "| run | exit | unit | change | verdict |\n|---|---|---|---|---|\n")
	for _, r := range cell(runs, "benchmod-stride-") {
		if r.report == nil {
			continue
		}
		for _, row := range r.report.Results {
			d := "n/a"
			if row.Delta != nil {
				d = fmt.Sprintf("%+.3f%%", 100**row.Delta)
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", r.name, r.exit, row.Unit, d, row.Verdict)
		}
	}

	fmt.Fprintf(w, "\n## Gate wall time, instructions vs wall-time mode (default settings, the A/A runs above, other core busy)\n\n")
	fmt.Fprintf(w, "| module | median instructions mode | median time mode | ratio |\n|---|---|---|---|\n")
	for _, mod := range []string{"examples", "uuid"} {
		in, tm := median(seconds(cell(runs, mod+"-aa-instructions-"))), median(seconds(cell(runs, mod+"-aa-time-")))
		if in == 0 || tm == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %.0f s | %.0f s | %.2f× |\n", mod, in, tm, in/tm)
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if r := runs[i]; r.report != nil && strings.HasPrefix(r.report.Settings.Measure, "instructions") {
			fmt.Fprintf(w, "\nThe reports' measure line (from %s): %s\n", r.name, r.report.Settings.Measure)
			for _, n := range r.report.Settings.MeasureNotes {
				if !strings.HasPrefix(n, "callgrind output files") {
					fmt.Fprintf(w, "- %s\n", n)
				}
			}
			break
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "versions.txt")); err == nil {
		fmt.Fprintf(w, "\n## Which perfslo made which runs (run.sh's versions.txt)\n\n")
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			fmt.Fprintf(w, "- %s\n", l)
		}
	}
	fmt.Fprint(w, notes)
	fmt.Fprintf(w, "\n## Every run\n\n| run | exit | seconds | load | looks | flagged |\n|---|---|---|---|---|---|\n")
	for _, r := range runs {
		l := "–"
		if r.report != nil {
			l = fmt.Sprint(r.report.Settings.Looks)
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s |\n", r.name, r.exit, r.seconds, r.load, l, strings.Join(flaggedRows(r), "; "))
	}
	return nil
}

// notes are what the tables cannot say: how the runs were scheduled and
// what changed in the counting since the previous session's runs.
const notes = `
## Notes

- Repetitions are repetition-major (run.sh): each repetition runs uuid A/A, the uuid injection and
  examples A/A in instructions mode, each with the other core busy; the stride change runs once
  first. The runs columns say how many repetitions fit before the session's deadline; repetitions
  1–15 and 16–20 ran in two sessions ("Which perfslo").
- The wall-time A/A cells ran after the instructions cells (run.sh with MEASURES=time), fewer times
  (the runs column): one time-mode uuid A/A takes 7–13 minutes of confirmation looks. Wall-time
  mode builds its binaries without the counted mode's settings, so the seed change below does not
  reach them.
- Two injection runs took a second look: the +3% row BenchmarkUUIDs_Strings's est-cycles/op (its
  simulated cache misses) varied up to 0.89% between a side's runs, more than the 0.25% bound for
  exact counts, so it was compared statistically and confirmed one look later; its instructions/op
  row was flagged as exact counts in the first look, as every other injected row was.
- What changed since the previous session's evidence: the counted binaries start from a fixed
  runtime seed (internal/callgrind.BuildEnv: an -overlay of runtime/rand.go that clears randinit's
  seed), so maps' hash seeds, maphash and math/rand are the same in every process. Before, the
  examples' TopWords est-cycles/op differed by up to 5.6% between identical processes, needed
  confirmation looks in 3 of 4 A/A runs, and once two agreeing pairs called an A/A −2.7% an
  improvement; uuid's MarshalJSON counted 2,950 instead of 2,925 instructions/op in about one
  process in seven. The injection is now one commit with both sizes (+1% at two sites, +3% at
  three), so every run judges both and ten untouched benchmarks at once.
- Earlier changes (previous sessions, internal/callgrind's doc): GOEXPERIMENT=norandomizedheapbase64,
  the collector's sources left out under GOGC=off, (2, N+2) pairs, MinDiff 40M instructions, N ≥ 4
  with the cache simulation, and sides of five runs judged by their middle three.
`
