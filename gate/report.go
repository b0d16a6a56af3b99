package gate

import "time"

// SchemaVersion is the version of the JSON report. It changes only when a
// field changes meaning or disappears; new fields do not bump it.
const SchemaVersion = 1

// Verdict is the suite's outcome.
type Verdict string

// Suite verdicts.
const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
)

// RowVerdict is one row's outcome.
type RowVerdict string

// Row verdicts. Only Regression and Violation fail the gate. Unmeasurable
// neither passes nor fails silently: the report says why, and the suite
// verdict notes it (a check run shows it as neutral).
const (
	RowPass      RowVerdict = "pass"
	Regression   RowVerdict = "regression"
	Improvement  RowVerdict = "improvement"
	Violation    RowVerdict = "violation"
	Unmeasurable RowVerdict = "unmeasurable"
	Added        RowVerdict = "added"
	Removed      RowVerdict = "removed"
)

// Report is everything the gate decided, and why. Renderers (text, markdown,
// JSON) and the GitHub integration read only this.
type Report struct {
	// Schema is SchemaVersion. The suite's verdict and counts are derived
	// from the rows and failures (Verdict, Failed, Unmeasurable) and
	// written next to it in the JSON.
	Schema int `json:"schema"`

	Base Source `json:"base"`
	Head Source `json:"head"`

	Settings Settings `json:"settings"`
	Results  []Row    `json:"results"`
	// Failures are benchmarks that failed, panicked or did not build. Any
	// failure makes the suite fail: the gate never passes what it did not run.
	Failures []Failure `json:"failures,omitempty"`
	// Samples names the files that hold both sides' raw samples (benchfmt),
	// from which `perfslo compare` judges the run again.
	Samples *Samples `json:"samples,omitempty"`
	// Warnings concern the whole run (host load, machine mismatch with a
	// stored baseline, budget patterns that matched nothing, ...).
	Warnings []string `json:"warnings,omitempty"`
	// History holds the creep and budget-burn findings against the default
	// branch's history, when the gate had one.
	History *HistoryNote `json:"history,omitempty"`
	// Napkin puts the head's benchmarks that report bytes or allocations
	// next to this machine's floors (perfslo napkin), when they were saved.
	Napkin []NapkinRow `json:"napkin,omitempty"`

	// Selection says how the gated packages were chosen ("all packages",
	// or which changed files affect which packages); Skipped are the
	// packages left out, and why. A skipped package is neither passed nor
	// failed: the verdict line counts it apart.
	Selection string    `json:"selection,omitempty"`
	Skipped   []Skipped `json:"skipped,omitempty"`
	// Shard is set on one shard's report of a sharded suite; Shards on
	// the merged report lists them.
	Shard  *Shard  `json:"shard,omitempty"`
	Shards []Shard `json:"shards,omitempty"`
	// Durations are each package's measuring time in seconds (all its
	// processes, both sides), which the next sharded run balances by.
	Durations map[string]float64 `json:"durations,omitempty"`

	// Created is when the report was made.
	Created time.Time `json:"created"`
}

// Samples are the raw-sample files of a run.
type Samples struct {
	Base string `json:"base"`
	Head string `json:"head"`
}

// Source describes one side of the comparison.
type Source struct {
	// Label is what the side is called in tables ("base", "HEAD~1",
	// "baseline main", a file name).
	Label  string `json:"label"`
	Ref    string `json:"ref,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Machine is where the side was measured.
	Machine
	// Date is when the side was measured (a stored baseline may be old).
	Date *time.Time `json:"date,omitempty"`
}

// Settings records how the verdict was reached, so a reader can judge it.
type Settings struct {
	Alpha      float64 `json:"alpha"`
	Confidence float64 `json:"confidence"`
	// Correction is the multiple-comparison correction applied to the
	// statistical tests ("bh", "holm" or "none").
	Correction string `json:"correction"`
	// Tests is the size of the first stage's family: statistical rows,
	// not counting derived units.
	Tests int `json:"tests"`
	// Procedure states the decision procedure in words.
	Procedure string `json:"procedure,omitempty"`
	// Looks is how many confirmation looks were taken, and Rounds the
	// interleaved rounds of the first stage and of each look.
	Looks  int   `json:"looks"`
	Rounds []int `json:"rounds,omitempty"`
	// MaxTime is the measuring time budget the looks ran under.
	MaxTime string `json:"max_time,omitempty"`
	// Count, Benchtime and CPU are the run settings, when the gate ran
	// the benchmarks itself.
	Count     int    `json:"count,omitempty"`
	Benchtime string `json:"benchtime,omitempty"`
	CPU       int    `json:"cpu,omitempty"`
	// Interleaved is true when base and head ran in alternating processes.
	Interleaved bool `json:"interleaved"`
	// Pinned is true when every benchmark process ran on one CPU.
	Pinned bool   `json:"pinned,omitempty"`
	Config string `json:"config,omitempty"`
	// Measure is what was measured: "time" (wall time, the default when
	// empty), "instructions" (counted under valgrind's callgrind), or
	// "auto" with what it chose. MeasureNotes are the caveats of that
	// measure true of every row (the CPU valgrind presents, the
	// est-cycles formula, GOGC=off).
	Measure      string   `json:"measure,omitempty"`
	MeasureNotes []string `json:"measure_notes,omitempty"`
}

// Row is one benchmark × unit, or one function budget of a benchmark.
type Row struct {
	Benchmark string `json:"benchmark"`
	Package   string `json:"package"`
	// Module is the path of the module the package belongs to: in a
	// workspace, the same benchmark name in two modules is two rows, told
	// apart by package and module.
	Module string `json:"module,omitempty"`
	Unit   string `json:"unit"`
	// Function is set on rows that judge a profile function budget
	// (Unit is then "cpu-share", "allocs/op" or "B/op" of that function).
	Function string `json:"function,omitempty"`

	Base *Stat `json:"base,omitempty"`
	Head *Stat `json:"head,omitempty"`
	// Delta is (head-base)/base of the centers; nil when base is 0 or a side is missing.
	Delta *float64 `json:"delta"`
	// P is the raw p-value of the comparison (0 for exact units that differ,
	// 1 for exact units that are equal); nil when no comparison was made.
	P *float64 `json:"p"`
	// PAdjusted is P after the family-wise correction.
	PAdjusted *float64 `json:"p_adjusted,omitempty"`
	// Significant is true when the change is statistically real (PAdjusted < alpha,
	// or any change of an exact unit).
	Significant bool `json:"significant"`
	// Tolerance is the regression tolerance that applied (fraction).
	Tolerance float64 `json:"tolerance"`
	// HigherIsBetter is true for units like B/s.
	HigherIsBetter bool `json:"higher_is_better,omitempty"`
	// MDE is the smallest regression (fraction) this row could detect with
	// 80% power, from its own noise, sample counts and the family-wise α;
	// nil for exact rows and one-sided rows. A row whose MDE exceeds its
	// tolerance and shows no significant change is unmeasurable.
	MDE *float64 `json:"mde,omitempty"`
	// Assumption is "exact" or "nothing" (benchmath's names).
	Assumption string `json:"assumption"`
	// Change is the estimated change with its confidence interval; a row
	// passes when the interval's bad end is within the tolerance.
	Change *Change `json:"change,omitempty"`
	// DerivedFrom names the unit this row is computed from (B/s and
	// per-unit times follow sec/op): the row follows that unit's decision
	// and is not a test of its own.
	DerivedFrom string `json:"derived_from,omitempty"`
	// Nulls says why a number of this row is null in JSON (an MDE of ∞, a
	// ratio over a zero): field name → reason.
	Nulls map[string]string `json:"nulls,omitempty"`

	Verdict RowVerdict    `json:"verdict"`
	Budget  *BudgetResult `json:"budget,omitempty"`
	// Reasons says, in words, why the verdict is what it is.
	Reasons  []string `json:"reasons,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	// Attribution explains a regression from profiles (the profiles package fills it).
	Attribution *Attribution `json:"attribution,omitempty"`
	// Source locates the benchmark function, for annotations.
	Source *Location `json:"source,omitempty"`
}

// Stat summarises one side's samples: benchmath's center (median, or the
// exact value) and confidence interval.
type Stat struct {
	Center float64 `json:"center"`
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
	N      int     `json:"n"`
}

// BudgetResult is a RAER limit applied to the head sample.
type BudgetResult struct {
	// Limit is the evaluated limit in the row's unit.
	Limit float64 `json:"limit"`
	// Expr is the limit as written in perfslo.yaml ("10ns * lines").
	Expr string `json:"expr"`
	// Kind is "max" for lower-is-better units, "min" for higher-is-better.
	Kind string `json:"kind"`
	// Headroom is how far the head center is from the limit, as a fraction
	// of the limit: (limit-center)/limit for a max. Negative means over.
	Headroom  float64 `json:"headroom"`
	Operation string  `json:"operation,omitempty"`
	Dataset   string  `json:"dataset,omitempty"`
	// Config locates the entry: "perfslo.yaml:12:5".
	Config string `json:"config,omitempty"`
}

// Attribution is the profile evidence for a row: which functions got more
// expensive per op, base → head.
type Attribution struct {
	// Unit is the per-op unit of the deltas ("ns/op", "B/op", "allocs/op").
	Unit string `json:"unit"`
	// Total is the whole profile's delta per op, in Unit.
	Total     float64         `json:"total"`
	Functions []FunctionDelta `json:"functions"`
	// DiffProfile is the path of a pprof file holding head minus base.
	DiffProfile string `json:"diff_profile,omitempty"`
	// Command opens the diff in pprof's web UI.
	Command string `json:"command,omitempty"`
	// LikelyLayout is true when no function on the regressed path changed
	// in source: the shift is probably code layout/alignment.
	LikelyLayout bool `json:"likely_layout,omitempty"`
	// Labels splits Total by pprof label (set with pprof.Do in the
	// benchmark, e.g. phase=parse), largest change first; empty when the
	// profiles carry no labels.
	Labels   []LabelDelta `json:"labels,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
}

// LabelDelta is the change per op of the samples that carry one pprof label
// value.
type LabelDelta struct {
	Key string `json:"key"`
	// Value is the label's value; "" gathers the samples without the label.
	Value string `json:"value"`
	// Total is the change per op in the attribution's unit.
	Total float64 `json:"total"`
	// Share is Total as a fraction of the attribution's Total.
	Share float64 `json:"share"`
	// Top is the function with the largest flat change under this label.
	Top string `json:"top,omitempty"`
}

// FunctionDelta is one function's change per op.
type FunctionDelta struct {
	Function string  `json:"function"`
	Flat     float64 `json:"flat"`
	Cum      float64 `json:"cum"`
	// Share is this function's flat delta as a fraction of the total delta.
	Share float64 `json:"share"`
	// StagingShare is the function's share of the staging service's CPU
	// (cum), when a staging source is configured.
	StagingShare *float64 `json:"staging_share,omitempty"`
	// ServiceImpact estimates the change in the service's CPU if the
	// regression ships: relative delta × staging share.
	ServiceImpact *float64 `json:"service_impact,omitempty"`
}

// Location is a place in the source tree, relative to the module root.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// Failure is a benchmark (or package) that did not produce results.
type Failure struct {
	Package   string `json:"package"`
	Benchmark string `json:"benchmark,omitempty"`
	Side      string `json:"side"` // "base" or "head"
	// Kind is "fail" (--- FAIL), "panic" (including fatal errors), "timeout",
	// "exit" (non-zero exit without either) or "output" (unparsable output).
	Kind   string `json:"kind"`
	Output string `json:"output"`
}

// Failure kinds the gate adds itself, beside the runner's.
const (
	// FailureBudget is a budget entry that matched no benchmark.
	FailureBudget = "budget"
	// FailureNoResults is a package with results on the base and none on
	// the head.
	FailureNoResults = "no results"
	// FailureRemoved is a benchmark the head no longer ran.
	FailureRemoved = "removed"
)
