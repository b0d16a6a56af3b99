// Package profiles explains benchmark results with pprof profiles: it loads
// them, puts base and head on a per-operation footing, diffs them, attributes
// the change to functions and judges function budgets. It reads and writes
// profiles only through github.com/google/pprof/profile.
//
// The model: a benchmark's profile is a Measured — a pprof profile of one
// process that ran the benchmark alone for a fixed number of iterations
// (-test.benchtime=Nx), with N read from the benchmark's own result line in
// that process (benchfmt Result.Iters). Dividing by N turns the profile into
// cost per operation, so base and head compare even when their N differ.
//
// Opinions:
//
//   - Per op, exactly where it can be. pprof stores integers, so
//     profile.Scale(1/N) would round a 50 ns/op benchmark's samples to
//     nothing. Diff therefore scales both sides to per Ops operations, Ops the
//     smallest power of ten that keeps pprof's rounding under 0.1% of the
//     total, and every number this package reports is divided back to per op.
//   - The diff is pprof's own: base.Scale(-1) merged with head
//     (profile.Merge), written as a .pb.gz that `go tool pprof` opens, next to
//     the per-op base and head for `go tool pprof -diff_base`.
//   - Allocations are counted, not sampled: memory profiles are taken with
//     -test.memprofilerate=1, in their own process (recording every
//     allocation makes malloc several times slower, which would distort a
//     CPU profile taken alongside). Two runs with -benchtime=N2x and N1x are
//     subtracted (Subtract): setup, the framework and testing's probe
//     iteration cancel, leaving exactly N2−N1 iterations. A single run is
//     known only within [total/(N+1), total/N] — with -benchtime=Nx a
//     b.N-style benchmark runs N+1 iterations, a b.Loop one N, and both
//     print N — and a budget breaks only when the low end is over the limit.
//   - Function patterns are Go regexps matched anywhere in the function's
//     full name, as pprof's -focus does ("regexp\." or "^encoding/json\.").
//     A function counts once per sample however often it recurs (cum).
//   - CPU share is a proportion of samples, judged with its binomial (Wilson)
//     interval, so 30 samples never pass for 3000.
//   - A regression whose profile never touches a changed function is flagged
//     as likely code layout/alignment, not silently blamed on the top
//     function.
//   - Bad files get an error naming the file and what was expected; the
//     parser is guarded so a hostile profile yields an error, never a panic.
package profiles
