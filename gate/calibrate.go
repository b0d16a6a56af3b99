package gate

// Calibration: this machine's noise, measured A/A (the same binary as base
// and head), and what it means for the gate: the smallest regression each
// benchmark can show at the configured count (its MDE), and the count that
// would see its tolerance. The runner measures (internal/pipeline); this
// file holds the arithmetic and the file format, and reads no files.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// CalibrationSchema versions the calibration file.
const CalibrationSchema = 1

// CalibrationMaxAge is how long a calibration is trusted: machines, kernels
// and neighbours change; a month-old noise figure is a guess.
const CalibrationMaxAge = 30 * 24 * time.Hour

// DefaultPower is the probability of detection the MDE is quoted at.
const DefaultPower = 0.8

// MaxRecommendedCount bounds the count a calibration searches for.
const MaxRecommendedCount = 200

// Calibration is the saved result of `perfslo calibrate`: this machine's
// noise per benchmark, measured A/A (the same binary as base and head).
type Calibration struct {
	Schema  int       `json:"schema"`
	Created time.Time `json:"created"`
	// Machine the noise was measured on; another machine's noise says
	// nothing about this one's. The file spells its fields out (see
	// MarshalJSON).
	Machine Machine `json:"-"`
	// Settings the MDE is quoted at.
	Count  int     `json:"count"`
	CPU    int     `json:"cpu"`
	Rounds int     `json:"rounds"`
	Alpha  float64 `json:"alpha"`
	Power  float64 `json:"power"`
	// Tests is the size of the first stage's family (statistical rows of a
	// gate run), for the record: a lone regression is screened at Alpha and
	// confirmed at the first look's level (LoneAlpha).
	Tests      int               `json:"tests"`
	Config     string            `json:"config,omitempty"`
	Benchmarks []CalibratedNoise `json:"benchmarks"`
}

// CalibratedNoise is one benchmark × unit × benchtime.
type CalibratedNoise struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark"`
	Unit      string `json:"unit"`
	Benchtime string `json:"benchtime"`
	// N is the number of A/A samples (both sides).
	N      int     `json:"n"`
	Center float64 `json:"center"`
	// CV is the robust relative noise, 1.4826·MAD/median of all samples.
	CV float64 `json:"cv"`
	// Interval is benchstat's ± (largest distance of the interval ends from
	// the median, relative) of one side at Rounds samples.
	Interval *float64 `json:"interval"` // nil: too few samples for an interval
	// AADelta and AAP are the A/A comparison: the same binary against
	// itself; a significant difference here is this machine lying.
	AADelta float64 `json:"aa_delta"`
	AAP     float64 `json:"aa_p"`
	// MDE is the smallest shift detected with Power at Count, LoneAlpha(Alpha).
	MDE       *float64 `json:"mde"` // nil: no effect is detectable at Count
	Tolerance float64  `json:"tolerance"`
	// NeedCount is the smallest count whose MDE is within Tolerance; 0 when
	// none up to MaxRecommendedCount is.
	NeedCount int `json:"need_count"`
}

// LoneAlpha is the level a lone regression must reach under the gate's
// procedure: screened at alpha, then tested alone at the first look's
// alpha/2 (Benjamini–Hochberg over one candidate).
func LoneAlpha(alpha float64) float64 { return alpha / 2 }

// Calibrate turns one benchtime's A/A sides into noise rows and adds them to
// c (c.Count, c.Power and opt set the arithmetic; c.Tests grows to the
// largest family seen). Only units the gate tests statistically are
// calibrated: exact units see any change.
func (c *Calibration) Calibrate(a, b *Side, benchtime string, opt Options) {
	rep := Compare(a, b, opt)
	c.Tests = max(c.Tests, rep.Settings.Tests)
	alpha := LoneAlpha(opt.Alpha)
	for _, row := range rep.Results {
		if row.Assumption != "nothing" || row.Base == nil || row.Head == nil {
			continue
		}
		var samples []float64
		for _, k := range a.Keys() {
			// The row's name carries a -N suffix only when several
			// GOMAXPROCS values ran; a prefix test would also pool
			// Sum/lines=1000 into Sum/lines=10000.
			name := k.Name
			if row.Benchmark != name {
				name = k.Full()
			}
			if k.Package == row.Package && k.Unit == row.Unit && name == row.Benchmark {
				samples = append(append(samples, a.Samples(k)...), b.Samples(k)...)
			}
		}
		cv := RobustCV(samples)
		n := CalibratedNoise{
			Package: row.Package, Benchmark: row.Benchmark, Unit: row.Unit, Benchtime: benchtime,
			N: len(samples), Center: row.Base.Center, CV: cv,
			Interval:  finitePtr(math.Max(spreadOf(row.Base), spreadOf(row.Head))),
			MDE:       finitePtr(MinimumDetectableEffect(c.Count, cv, alpha, c.Power)),
			Tolerance: row.Tolerance,
		}
		if row.Delta != nil {
			n.AADelta = *row.Delta
		}
		if row.P != nil {
			n.AAP = *row.P
		}
		if row.Tolerance > 0 {
			n.NeedCount = SamplesFor(row.Tolerance, cv, alpha, c.Power, MaxRecommendedCount)
		}
		c.Benchmarks = append(c.Benchmarks, n)
	}
}

// infinite reads finite's encoding back.
func infinite(f *float64) float64 {
	if f == nil {
		return math.Inf(1)
	}
	return *f
}

// spreadOf is benchstat's ± of a side, relative.
func spreadOf(s *Stat) float64 {
	if s == nil || s.Center == 0 || math.IsInf(s.Low, 0) || math.IsInf(s.High, 0) {
		return math.Inf(1)
	}
	return math.Max(s.High/s.Center-1, 1-s.Low/s.Center)
}

// WriteCalibration prints the table and the recommendation.
func WriteCalibration(w io.Writer, cal *Calibration) {
	m := cal.Machine
	fmt.Fprintf(w, "A/A calibration on %s (%d cores, %s/%s, %s): %d rounds per side, cpu %d\n",
		orDefault(m.CPU, "unknown CPU"), m.NumCPU, m.GOOS, m.GOARCH, m.GoVersion, cal.Rounds, cal.CPU)
	fmt.Fprintf(w, "MDE: the smallest regression seen with %.0f%% power at count %d, α %g (a lone regression, confirmed at the first look's level; %d tests in the family)\n\n",
		100*cal.Power, cal.Count, LoneAlpha(cal.Alpha), cal.Tests)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tunit\tbenchtime\tnoise (CV)\t± interval\tA/A Δ\tA/A p\tMDE\ttolerance\tcount needed\t")
	for _, c := range cal.Benchmarks {
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t±%s\t%+.1f%%\t%.2f\t%s\t%s\t%s\t\n",
			lastElem(c.Package), c.Benchmark, c.Unit, orDefault(c.Benchtime, "default"), pct(c.CV), pct(infinite(c.Interval)),
			100*c.AADelta, c.AAP, pct(infinite(c.MDE)), pct(c.Tolerance), needText(c, cal.Count))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, line := range cal.recommendations() {
		fmt.Fprintln(w, line)
	}
}

// needText is a row's "count needed" cell.
func needText(c CalibratedNoise, count int) string {
	switch {
	case c.Tolerance <= 0:
		return "—"
	case c.NeedCount == 0:
		return fmt.Sprintf("> %d", MaxRecommendedCount)
	case c.NeedCount <= count:
		return fmt.Sprint(c.NeedCount) + " ✓"
	}
	return fmt.Sprint(c.NeedCount)
}

// recommendations are one line per benchtime: the count every tolerance
// needs.
func (cal *Calibration) recommendations() []string {
	byBT := map[string][]CalibratedNoise{}
	var order []string
	for _, c := range cal.Benchmarks {
		if _, ok := byBT[c.Benchtime]; !ok {
			order = append(order, c.Benchtime)
		}
		byBT[c.Benchtime] = append(byBT[c.Benchtime], c)
	}
	var out []string
	for _, bt := range order {
		need, blind := 0, []string{}
		for _, c := range byBT[bt] {
			if c.Tolerance <= 0 {
				continue
			}
			if c.NeedCount == 0 {
				blind = append(blind, c.Benchmark+" "+c.Unit)
				continue
			}
			need = max(need, c.NeedCount)
		}
		line := fmt.Sprintf("benchtime %s: count %d sees every tolerance", orDefault(bt, "default"), need)
		switch {
		case need <= cal.Count:
			line += fmt.Sprintf(" (configured %d is enough)", cal.Count)
		default:
			line += fmt.Sprintf(" (configured %d is not: raise it, or quiet the machine)", cal.Count)
		}
		if len(blind) > 0 {
			line += fmt.Sprintf("; no count up to %d sees the tolerance of %s", MaxRecommendedCount, strings.Join(blind, ", "))
		}
		out = append(out, line)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// calibrationPlain is Calibration without its methods.
type calibrationPlain Calibration

// calibrationJSON is the file's layout: the machine spelled out after the
// creation time (its CPU model as cpu_model, since "cpu" is the GOMAXPROCS
// the noise was measured at), then the rest. The outer Schema and Created
// shadow the embedded ones.
type calibrationJSON struct {
	Schema    int       `json:"schema"`
	Created   time.Time `json:"created"`
	GoVersion string    `json:"go_version"`
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	CPUModel  string    `json:"cpu_model"`
	NumCPU    int       `json:"num_cpu"`
	*calibrationPlain
}

// MarshalJSON writes the calibration file's layout.
func (c Calibration) MarshalJSON() ([]byte, error) {
	m := c.Machine
	return json.Marshal(calibrationJSON{c.Schema, c.Created, m.GoVersion, m.GOOS, m.GOARCH, m.CPU, m.NumCPU, (*calibrationPlain)(&c)})
}

// UnmarshalJSON reads what MarshalJSON wrote; unknown fields are errors
// when the decoder disallows them.
func (c *Calibration) UnmarshalJSON(data []byte) error {
	var plain calibrationPlain
	in := calibrationJSON{calibrationPlain: &plain}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	*c = Calibration(plain)
	c.Schema, c.Created = in.Schema, in.Created
	c.Machine = Machine{GoVersion: in.GoVersion, GOOS: in.GOOS, GOARCH: in.GOARCH, CPU: in.CPUModel, NumCPU: in.NumCPU}
	return nil
}

// ParseCalibration decodes a calibration file, with line:column positions
// in its errors. path names it in errors.
func ParseCalibration(path string, data []byte) (*Calibration, error) {
	var cal Calibration
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cal); err != nil {
		return nil, fmt.Errorf("%s%s (expected the JSON perfslo calibrate writes)", path, jsonErrorAt(data, err))
	}
	if cal.Schema != CalibrationSchema {
		return nil, fmt.Errorf("%s: schema %d, this perfslo reads %d", path, cal.Schema, CalibrationSchema)
	}
	return &cal, nil
}

// Unusable says why a calibration does not describe a run on machine here
// with settings s at time now, or "".
func (c *Calibration) Unusable(here Machine, s Settings, now time.Time) string {
	var diffs []string
	diff := func(what, then, nowv string) {
		if then != "" && nowv != "" && then != nowv {
			diffs = append(diffs, fmt.Sprintf("%s %s, now %s", what, then, nowv))
		}
	}
	m := c.Machine
	diff("measured on CPU", m.CPU, here.CPU)
	diff("on", m.GOOS+"/"+m.GOARCH, here.GOOS+"/"+here.GOARCH)
	if m.NumCPU > 0 && here.NumCPU > 0 && m.NumCPU != here.NumCPU {
		diffs = append(diffs, fmt.Sprintf("measured with %d cores, now %d", m.NumCPU, here.NumCPU))
	}
	if c.CPU > 0 && s.CPU > 0 && c.CPU != s.CPU {
		diffs = append(diffs, fmt.Sprintf("measured at cpu %d, this run uses cpu %d (GOMAXPROCS changes the noise)", c.CPU, s.CPU))
	}
	if age := now.Sub(c.Created); age > CalibrationMaxAge {
		diffs = append(diffs, fmt.Sprintf("measured %d days ago (older than %d days)", int(age.Hours()/24), int(CalibrationMaxAge.Hours()/24)))
	}
	return strings.Join(diffs, "; ")
}

// Warnings lists the rows of rep that passed but could not have seen a
// regression of their tolerance, judged by the calibrated noise at the
// run's count. path names the calibration in the warnings.
func (c *Calibration) Warnings(rep *Report, path string) []string {
	type series struct{ pkg, bench, unit string }
	noise := map[series]CalibratedNoise{}
	for _, n := range c.Benchmarks {
		k := series{n.Package, n.Benchmark, n.Unit}
		// Prefer the benchtime this run used; else any.
		if old, ok := noise[k]; ok && old.Benchtime == rep.Settings.Benchtime {
			continue
		}
		noise[k] = n
	}
	tests := max(rep.Settings.Tests, 1)
	alpha := LoneAlpha(rep.Settings.Alpha)
	var out []string
	uncovered := 0
	for _, row := range rep.Results {
		if row.Assumption != "nothing" || row.Tolerance <= 0 || row.Base == nil || row.Head == nil || row.Function != "" {
			continue
		}
		if row.Verdict != RowPass && row.Verdict != Improvement {
			continue // flagged or already unmeasurable: said elsewhere
		}
		n, ok := noise[series{row.Package, row.Benchmark, row.Unit}]
		if !ok {
			uncovered++
			continue
		}
		if w := c.blindWarning(rep.Settings, row, n, tests, alpha); w != "" {
			out = append(out, w)
		}
	}
	if uncovered > 0 {
		out = append(out, fmt.Sprintf("calibration %s does not cover %d timed row(s) of this run; run perfslo calibrate again to check them", path, uncovered))
	}
	return out
}

// blindWarning says that row cannot see its tolerance with noise n, or "".
func (c *Calibration) blindWarning(s Settings, row Row, n CalibratedNoise, tests int, alpha float64) string {
	count := min(row.Base.N, row.Head.N)
	mde := MinimumDetectableEffect(count, n.CV, alpha, c.Power)
	if mde <= row.Tolerance {
		return ""
	}
	w := fmt.Sprintf("%s %s cannot see a %s %s regression here (MDE %s at count %d, α %g for a lone regression of %d tests, %.0f%% power; noise %s CV",
		lastElem(row.Package), row.Benchmark, pct(row.Tolerance), row.Unit, pct(mde), count, alpha, tests, 100*c.Power, pct(n.CV))
	if n.Benchtime != "" && s.Benchtime != "" && n.Benchtime != s.Benchtime {
		w += fmt.Sprintf(" at benchtime %s, this run %s", n.Benchtime, s.Benchtime)
	}
	w += fmt.Sprintf(", calibrated %s)", c.Created.Format("2006-01-02"))
	if need := SamplesFor(row.Tolerance, n.CV, alpha, c.Power, MaxRecommendedCount); need > 0 {
		w += fmt.Sprintf(": raise --count to %d, or quiet the machine", need)
	} else {
		w += fmt.Sprintf(": no count up to %d reaches it; raise the tolerance, lengthen benchtime or quiet the machine", MaxRecommendedCount)
	}
	return w
}
