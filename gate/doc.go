// Package gate is perfslo's pure core: benchmark samples and RAER budgets in,
// verdicts out. It runs no commands, reads no files and opens no sockets; the
// command line feeds it and renders what it returns.
//
// The model: a Side holds one build's samples per (package, benchmark, unit).
// A Procedure pairs base and head samples into Rows and decides each Row,
// asking its caller for fresh rounds (Looks) while rows are open; Compare is
// the one-stage procedure over samples that cannot be re-measured. The
// Report gathers the Rows and the suite's verdict. Renderers (WriteText,
// WriteMarkdown, WriteJSON) read only the Report.
//
// # Statistics
//
// The per-side statistics are benchstat's, through golang.org/x/perf/benchmath:
// each side is summarised by its median and a distribution-free confidence
// interval; B/op and allocs/op are exact while each side's samples are
// constant (pools and GC-timed frees make them vary in real code: then they
// are compared like time, with a warning). Two sides differ when the
// Mann-Whitney U-test says so. On top of that:
//
//   - Magnitude, not only p. Every row carries the estimated change with its
//     confidence interval (Hodges–Lehmann with Moses' interval, see
//     change.go). A row passes when the interval's bad end is within its
//     tolerance; it regresses when the change is significant and beyond the
//     tolerance; otherwise it is undecided (Unmeasurable) and says what it
//     could have seen. An improvement never fails.
//   - One decision per measurement. Units computed from the same samples (B/s
//     from b.SetBytes, per-unit times from b.ReportMetric) follow sec/op's
//     decision and are not tests of their own (derived.go).
//   - A RAER budget fails when the head is confidently over its limit: the
//     interval's near end is past it. Over the limit inside the interval is a
//     warning. Every budget reports its headroom.
//
// # The decision procedure, and its false-alarm bound
//
// The gate decides a suite, and the error that matters is failing a change
// that regressed nothing. The procedure before this one corrected the whole
// suite with Holm and confirmed flags once: at 6 samples per side and 40
// rows, Holm's first threshold 0.05/40 lies below the smallest p a U-test
// can give (2/C(12,6) = 0.0022), so no row could ever be flagged, and 4×
// slowdowns were called unmeasurable. perfslo now separates finding from
// proving:
//
//  1. Stage 1 measures every benchmark. It settles what it can — unchanged
//     exact counts, improvements (significant after the correction), rows
//     whose change interval is within tolerance — and screens the rest: a
//     statistical row whose own p < α, in the bad direction and beyond
//     tolerance, is a candidate (an exact count that moved the bad way is
//     too). The screen decides nothing, so it spends no α.
//  2. Look j (j = 1, 2, …, at most Options.Looks) re-measures, in fresh
//     interleaved processes, only the benchmarks with rows still open, and
//     tests the candidates on the look's own samples alone, with
//     Benjamini–Hochberg over the candidates at α_j = α/2^j. A candidate is
//     a regression when it is significant there and beyond tolerance again;
//     otherwise it returns to the open rows. The look's samples then join the
//     pool, on which open rows are settled or screened again for look j+1.
//  3. Rows still open when the looks are spent or the caller stops (a time
//     budget) are undecided.
//
// The bound. Each look's test uses samples that the screen that chose its
// candidates never saw, so, given the candidates, the test is an ordinary
// test of a fixed family. Under "nothing changed" every candidate is a true
// null, and Benjamini–Hochberg at level α_j over a family of true nulls
// rejects anything with probability at most α_j (its false discovery rate
// is then the family-wise rate; Benjamini & Hochberg 1995, for independent
// tests, and Benjamini & Yekutieli 2001 for positively dependent ones, which
// benchmarks sharing a machine are). Summing over the looks (a union bound,
// i.e. Bonferroni over looks, the simplest α-spending rule): the chance that
// an unchanged suite fails is at most Σ α/2^j < α. Interleaving base and
// head processes keeps the U-test honest (samples exchangeable under no
// change) on machines whose speed drifts. When some rows did regress, the
// suite fails anyway; BH then bounds the expected share of false flags among
// the flags at α. BH over Holm: when many rows regress together (a change to
// a shared function), BH's step-up thresholds α·k/m let them through where
// Holm's step-down would stop at the first; when one row regresses, both
// demand α/m of it. With a stored baseline only the head can be re-run: the
// looks reuse the stored base samples, so the looks are not independent of
// the screen, the bound above does not hold, and the rows say so.
//
// No settings are structurally blind: a look takes at least the rounds with
// which its smallest threshold, α_j/candidates, is reachable (Look.MinRounds),
// and a one-stage procedure whose family cannot reach α/m asks for a top-up
// of the first stage first. An undecided row says which it was: too few
// samples for the family, or noise (with the interval and the smallest
// regression it could have detected).
package gate
