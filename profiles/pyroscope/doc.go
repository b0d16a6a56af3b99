// Package pyroscope is perfslo's staging side: the macro half of the gate.
//
// It has three parts:
//
//   - The agent lives in package agent, apart, so that a service that starts
//     it links github.com/grafana/pyroscope-go and none of the query client's
//     or the gate's dependencies. It tags every profile with the commit, so a
//     staging profile can be selected by the commit a pull request is about.
//   - The query client (client.go): merged pprof profiles for a service,
//     profile type, label selector and time window, fetched through the
//     official Pyroscope API client (SelectMergeProfile), with auth, tenant,
//     timeouts, retries on transient failures and errors that say what to fix.
//   - Evaluation of a staging profile (check.go, coverage.go, compare.go,
//     impact.go, pgo.go): staging budgets judged into a gate.Report, the share
//     of staging CPU the benchmarks exercise, commit-vs-commit deltas, the
//     service-level impact of a benchmark regression, and default.pgo.
//
// Opinions:
//
//   - A function's share of CPU is its cumulative share: the fraction of CPU
//     samples with the function anywhere on the stack (inlined frames
//     included), counted once per sample. That is what "encoding/json takes
//     12% of the service" means to a reader, and it is what a speed-up of that
//     function can at most win back.
//   - A share estimated from samples has sampling error. Budgets are judged
//     like the gate judges RAER limits: violated when the low end of the 95%
//     interval is over the limit; over the limit inside the interval is a
//     warning, never silence.
//   - An empty profile is an error, not a pass: a budget judged on no data
//     says nothing.
package pyroscope
