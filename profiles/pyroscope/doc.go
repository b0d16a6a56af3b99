// Package pyroscope is perfslo's staging side: the macro half of the gate.
//
// It has three parts, one concept per file:
//
//   - The agent (agent.go): a thin layer over github.com/grafana/pyroscope-go
//     that a service starts with one call. It reads the usual PYROSCOPE_*
//     environment and tags every profile with the service version, the
//     commit, the Go version and the environment, so a staging profile can be
//     selected by the commit a pull request is about.
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
