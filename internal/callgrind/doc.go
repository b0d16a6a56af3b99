// Package callgrind counts a Go benchmark's instructions (and estimated
// cycles) per operation under valgrind's callgrind tool: a measure that,
// unlike wall time, does not move when a neighbour takes the other core.
//
// # What one measurement is
//
// The benchmark runs in a callgrind process at -test.benchtime Nx and in
// another at 2Nx; per-op = (count(2N) − count(N)) / N, so everything done
// once per process (start, setup, reporting, exit) cancels. N comes from a
// 20 ms native run so that the 2N process's loop takes about
// Options.Target (500 ms) under callgrind; callgrind runs 22–70× slower
// than native here, 2.5× more with the cache simulation, plus ≈0.3 s per
// process. Each process runs with GOMAXPROCS=1 (else counts vary by 70×,
// notes/noise.md) and GODEBUG=asyncpreemptoff=1 (else callgrind crashes
// on Go's preemption signals), and memprofilerate=0 (the heap profiler
// samples at random intervals seeded per process; it made allocating
// benchmarks' counts differ between identical runs).
//
// Determinism is measured, not assumed: at least two (N, 2N) pairs run,
// and when their per-op instruction counts differ by more than
// Options.MaxSpread (0.1%) the result takes more pairs and says it is
// Statistical: its samples are to be compared with statistics, not as
// exact counts.
//
// # What is counted (Method)
//
// The default, MethodNoGC, counts every instruction of the process from the
// last b.ResetTimer (--zero-before: the one testing.(*B).runN makes before
// calling the benchmark, or the benchmark's own after its setup) to the
// exit, with GOGC=off, and leaves out the sysmon thread (--separate-threads,
// the thread whose profile has runtime.sysmon): sysmon never runs benchmark
// code, and it wakes on wall-clock time, which valgrind stretches 30–70×.
// Counts are read from the cost lines (the sum of self costs), not from the
// "summary:" header: with --zero-before the summaries of two identical runs
// were 1.6% apart, their totals 0.003%.
//
// Measured on eight benchmarks (CPU loops, a 16 MiB array walk,
// allocation, recursion, maps, strconv), two pairs each, on the busy
// 2-vCPU VM these notes come from: spreads 0.0008–0.5%. What remains is
// the runtime's wall-clock-driven work on the benchmark's thread (sysmon
// preempting the benchmark every 10 ms of real time; the scheduler runs
// each time), and for maps per-process hash seeds. A zero can also be
// missed (below), which leaves the last setup in the count: per-op errors
// of up to 0.5% were seen on one side of a pair. Both are why determinism is
// measured and not assumed.
//
// MethodWholeProgram is the same with the collector on, so GC work counts;
// when a cycle starts and who does it depend on wall time, and allocating
// benchmarks then spread by 2–14%. MethodToggle collects only inside the
// benchmark's function (--toggle-collect on its exact symbol: the top-level
// function, or the closure b.Run ran, found from the callees of
// testing.(*B).runN in a whole-program profile of one run). It is exact for
// loops that stay on their goroutine's stack (0 spread on a CPU loop and
// on the array walk), but callgrind follows calls by the stack pointer, and
// Go's switches to the system stack (preemption, runtime.GC, ReadMemStats
// in b.ResetTimer, large allocations) leave stale frames on its shadow
// stack: a later call then looks like a return, a toggle or zero is
// missed, and counts lose whole iterations (5–12% spread on a recursive
// benchmark, 3–8% on a map benchmark, one sample 1.3% low on the checksum
// loop).
//
// # Est-cycles
//
// With Options.CacheSim, callgrind simulates the caches (--cache-sim=yes,
// fixed geometry CacheI1/CacheD1/CacheLL rather than the host's, so the
// figure does not change with the machine) and branch prediction
// (--branch-sim=yes), and est-cycles/op is KCachegrind's "Cycle
// Estimation" (libcore/globalconfig.cpp, event type CEst):
//
//	CEst = Ir + 10 Bm + 10 L1m + 20 Ge + 100 L2m + 100 LLm
//	L1m = I1mr + D1mr + D1mw, LLm = ILmr + DLmr + DLmw, Bm = Bim + Bcm
//
// (Ge needs --collect-bus and L2m is older valgrinds' name for the last
// level; neither is collected, both count 0.) A change that adds cache
// misses but no instructions moves est-cycles/op and not instructions/op.
//
// # Caveats every report should carry
//
// valgrind presents an older CPU: no AVX-512, no SHA-NI, no ADX (measured
// with golang.org/x/sys/cpu natively and under valgrind 3.19), so code that
// picks its implementation by CPU feature runs a different path than
// natively; CPUNote names the features this host has and valgrind hides.
// Instruction deltas are not time deltas: a +4.6% wall-time regression was
// +0.64% in instructions (notes/noise.md).
//
// # Output
//
// Every process's callgrind.out file is kept in Options.OutDir (written
// under a temporary name, renamed when the run succeeded) for
// callgrind_annotate and KCachegrind; Parse reads the format, and Diff
// ranks functions by their change in self instructions per op.
package callgrind
