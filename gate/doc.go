// Package gate is perfslo's pure core: benchmark samples and RAER budgets in,
// verdicts out. It runs no commands, reads no files and opens no sockets; the
// command line feeds it and renders what it returns.
//
// The model: a Side holds one build's samples per (package, benchmark, unit).
// Compare pairs base and head samples into Rows and decides each Row's
// verdict; the Report gathers the Rows and the suite's verdict. Renderers
// (WriteText, WriteMarkdown, WriteJSON) read only the Report.
//
// The statistics are benchstat's, through golang.org/x/perf/benchmath:
//
//   - Each side is summarised by its median and a distribution-free
//     confidence interval (AssumeNothing); units declared exact, and B/op and
//     allocs/op by default, are summarised by their exact value.
//   - Two sides differ when the Mann-Whitney U-test rejects "same
//     distribution" at alpha. Exact units differ when their values differ, but
//     only while each side's samples are constant: pools, caches and GC-timed
//     frees make allocation counts vary in real code, and then they are tested
//     like time, with a warning on the row.
//   - A suite of many benchmarks is many tests: the p-values of the
//     statistical comparisons are adjusted with Holm–Bonferroni, which keeps
//     the family-wise false-alarm rate at alpha without Bonferroni's loss of
//     power.
//   - A regression fails the gate only when it is significant and larger than
//     its tolerance. An improvement never fails.
//   - A RAER budget fails when the head is confidently over its limit: the
//     interval's near end is past it. Over the limit inside the interval is a
//     warning. Every budget reports its headroom.
//   - Too few samples, or noise wider than the tolerance on a row that shows
//     no significant change, make the row unmeasurable: the gate says it could
//     not see, instead of passing silently.
//   - A flag must be raised twice (Confirm). Rows the first pass judges a
//     regression or violation are re-measured in fresh interleaved rounds of
//     only those benchmarks; the new samples are compared on their own, not
//     pooled, with Holm over the re-measured rows, and the flag stands only
//     if the second stage raises it too. The stages are independent, so
//     under no change a row survives both with probability ≤ α², and the
//     suite's family-wise false-alarm rate is ≤ α² as well (Holm holds it at
//     α in each stage). The price is power: the product of the two stages'.
//     With a stored baseline only the head can be re-run; both stages then
//     share the base sample and the bound is α, which the row's reasons say.
package gate
