// Package run builds Go test binaries and runs their benchmarks; it never
// decides pass or fail.
//
// The model: one test binary per package (`go test -c`), built once per side,
// then run many times. Each run is a separate process that takes exactly one
// sample of every benchmark (-test.count 1), because samples taken in one
// process are not independent: placement, CPU frequency and GC state shift
// from one process to the next, and -count N in a single process makes
// p-values overconfident (see the noise measurements in the design notes).
//
// Base and head processes are interleaved round by round in ABBA order
// (round 1 base then head, round 2 head then base, ...), so that drift in the
// machine's state over the run hits both sides alike instead of biasing one.
//
// Host load is recorded around every process (other processes' CPU use and
// hypervisor steal, from /proc/stat), because a co-tenant using half a core
// is enough to hide a 5% regression; the runner reports it, the caller warns.
//
// Failures (b.Fatal, panics, timeouts, crashes, malformed output) are
// returned as values with their output, never dropped: a benchmark that did
// not run is not a benchmark that passed.
package run
