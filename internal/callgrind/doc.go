// Package callgrind counts a Go benchmark's instructions (and estimated
// cycles) per operation under valgrind's callgrind tool: a measure that,
// unlike wall time, does not move when a neighbour takes the other core.
//
// # What one measurement is
//
// The benchmark runs in a callgrind process at -test.benchtime 2x (ShortN)
// and in another at (N+2)x; per-op = (count(N+2) − count(2)) / N, so
// everything done once per process (start, setup, the testing package's
// forced collections, reporting, exit) cancels. N comes from a 20 ms
// native run and MinDiff: the N more ops count at least 40M instructions,
// and with the cache simulation N is at least MinCacheSimN (4).
// callgrind runs 22–70× slower than native here, 2.5× more with the cache
// simulation, plus ≈0.3 s per process. Each process runs with
// GOMAXPROCS=1 (else counts vary by 70×, notes/noise.md) and
// GODEBUG=asyncpreemptoff=1 (else callgrind crashes on Go's preemption
// signals), and memprofilerate=0 (the heap profiler samples at random
// intervals seeded per process; it made allocating benchmarks' counts
// differ between identical runs).
//
// # Why identical processes count differently, and what is done about it
//
// Measured on google/uuid v1.6.0 (allocating benchmarks: String, New,
// UUIDs_Strings, MarshalJSON), five identical pairs each, per function:
//
//   - Go 1.26 randomizes the heap's base address per process, to a random
//     page of a random 4 MiB chunk: the page allocator's searches
//     (runtime.(*pageAlloc).find: 0 to 85k instructions a process) and
//     which spans need zeroing moved with it. BuildEnv builds the counted
//     binaries with GOEXPERIMENT=norandomizedheapbase64: then find's
//     count was equal in every process (New: spread 0.72% → 0.23%).
//   - The testing package forces a collection before each b.N run; with
//     GOGC=off those are the only ones, and how much marking they do
//     varies (runtime.scanObjectsSmall alone by 0.35 instructions per op
//     on New). MethodNoGC leaves out the collector's sources
//     (collectorSource): collection is not counted, allocation is.
//   - Threads: whether the scheduler starts another M (a syscall that
//     sysmon finds long, under valgrind's slowdown) changes a process's
//     count by ~10–15k instructions; a per-process cost, divided by N.
//   - The runtime's seed is random per process (AT_RANDOM), and some
//     costs depend on what descends from it: encoding/json's encoder cache
//     is a sync.Map, whose trie depth for a type follows its hash, so
//     internal/sync.HashTrieMap.Load cost 51 or 75 instructions per op
//     (MarshalJSON); which groups of a map the keys land in moved the
//     examples' TopWords est-cycles/op by up to 5.6%. BuildEnv builds the
//     counted binaries with an -overlay of runtime/rand.go that starts
//     randinit from a zero seed (seedInit): maps' hash seeds, maphash and
//     math/rand then come from one sequence, or in some processes from the
//     same one a draw later (when the runtime started one more M early;
//     see seedInit) (TopWords: spread ≤ 0.22%). crypto/rand is not
//     touched: it asks the kernel.
//
// Determinism is measured, not assumed: at least two pairs run,
// and when their per-op instruction counts differ by more than
// Options.MaxSpread (0.1%) the result takes more pairs and says it is
// Statistical: its samples are to be compared with statistics, not as
// exact counts.
//
// # What is counted (Method)
//
// The default, MethodNoGC, counts every instruction of the process with
// GOGC=off, leaving out the sysmon thread (--separate-threads; the thread
// whose profile has runtime.sysmon) and the scheduler's own functions
// (schedulerFunctions): sysmon never runs benchmark code, wakes on
// wall-clock time, and preempts the benchmark every 10 ms of real time,
// which valgrind makes 30–70× more frequent per instruction. Counts are the
// cost lines' totals (the sum of self costs), not the "summary:" header.
//
// Measured here with five pairs each, on a busy 2-vCPU VM (load 5–6): per-op
// spreads of 0.3–1.3% on a checksum loop, a 16 MiB array walk, allocation,
// JSON encoding, maps and recursion. What remains is the runtime's own
// nondeterminism: whether a reused span needs zeroing, what the
// background scavenger did, hash seeds per process (maps, sync's
// HashTrieMap; since fixed, see above), and startup. Two pairs can agree by luck where five do
// not; the gate should treat a small spread on two pairs as an estimate.
//
// Starting the count at the benchmark (--zero-before=testing.(*B).ResetTimer,
// or ...run1) was tried and dropped: callgrind follows calls by the stack
// pointer, and after Go's stack switches (goroutines, the system stack)
// stale frames on its shadow stack make a later call look like a return,
// so the zero is sometimes missed and the count keeps the previous op and
// setup. That error is one-sided and depends on the binary (seen: +1.1% on
// the median of five pairs of a recursive benchmark, one side of an A/A
// pair 0.5% off), which would pass for a regression; startup's noise is
// symmetric. For the same reason callgrind's "summary:" with --zero-before
// was 1.6% apart between identical runs while the totals were 0.003%.
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
