package gate

import "github.com/perfslo/perfslo/budgets"

// Vanished returns a failure for each package that gave results on the base
// and none on the head (a TestMain that exits early, a build tag), and,
// unless removed benchmarks are allowed, one for each benchmark the head no
// longer ran (renamed, deleted, or b.Skip): without these a head that
// produced nothing would turn every row into "removed" and pass.
func Vanished(rep *Report, allowRemoved bool) []Failure {
	headPkgs := map[string]bool{}
	for _, r := range rep.Results {
		if r.Head != nil {
			headPkgs[r.Package] = true
		}
	}
	var out []Failure
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Verdict != Removed {
			continue
		}
		switch {
		case !headPkgs[r.Package] && !seen[r.Package]:
			seen[r.Package] = true
			out = append(out, Failure{Package: r.Package, Side: "head", Kind: FailureNoResults,
				Output: "the base gave benchmark results for this package and the head none: did its TestMain exit early, or a build tag drop its benchmarks?"})
		case headPkgs[r.Package] && !allowRemoved && !seen[r.Package+" "+r.Benchmark]:
			seen[r.Package+" "+r.Benchmark] = true
			out = append(out, Failure{Package: r.Package, Benchmark: r.Benchmark, Side: "head", Kind: FailureRemoved,
				Output: r.Benchmark + " ran on the base and not on the head (renamed, deleted, or skipped with b.Skip); --allow-removed accepts that"})
		}
	}
	return out
}

// UnmatchedBudgets lists the budget entries of cfg that apply to no
// benchmark the report's head measured.
func UnmatchedBudgets(cfg *budgets.Config, rep *Report) []*budgets.Error {
	seen := map[budgets.BenchmarkID]bool{}
	var ids []budgets.BenchmarkID
	for _, r := range rep.Results {
		id := budgets.ParseBenchmarkID(r.Package, r.Benchmark, 0)
		id.Procs = 0
		if r.Head != nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return cfg.Unmatched(ids)
}

// UnmatchedFailures turns budgets that judge nothing into failures of the
// suite, in its verdict and not only in an exit code: a renamed benchmark
// would otherwise switch its RAER off while the check run says success.
func UnmatchedFailures(cfg *budgets.Config, rep *Report) []Failure {
	var out []Failure
	for _, e := range UnmatchedBudgets(cfg, rep) {
		out = append(out, Failure{Side: "head", Kind: FailureBudget, Output: "budget matches no benchmark: " + e.Error()})
	}
	return out
}
