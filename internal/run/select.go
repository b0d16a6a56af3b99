package run

import (
	"regexp"
	"sort"
	"strings"
)

// SelectBenchmarks returns -test.bench regexps that select exactly the named
// benchmarks ("BenchmarkSum/lines=1000", as the gate names them, without the
// -GOMAXPROCS suffix) of one package, one regexp per group of names of the
// same depth.
//
// Why groups: the testing package splits -test.bench at slashes and matches
// each level separately, and a top-level benchmark matched only partially
// by a deeper pattern ("BenchmarkEncode" by "^(BenchmarkEncode)$/^(x)$")
// reports nothing, so names of different depths cannot share one pattern.
// Within a group each level is an anchored alternation; that can select a
// few extra combinations of levels (A/x and B/y also select A/y), which the
// caller drops by name: over-selecting costs time, never correctness.
func SelectBenchmarks(names []string) []string {
	byDepth := map[int][][]string{}
	for _, n := range names {
		parts := strings.Split(n, "/")
		byDepth[len(parts)] = append(byDepth[len(parts)], parts)
	}
	depths := make([]int, 0, len(byDepth))
	for d := range byDepth {
		depths = append(depths, d)
	}
	sort.Ints(depths)
	var out []string
	for _, d := range depths {
		levels := make([]string, d)
		for i := range d {
			var alts []string
			seen := map[string]bool{}
			for _, parts := range byDepth[d] {
				if !seen[parts[i]] {
					seen[parts[i]] = true
					alts = append(alts, regexp.QuoteMeta(parts[i]))
				}
			}
			levels[i] = "^(" + strings.Join(alts, "|") + ")$"
		}
		out = append(out, strings.Join(levels, "/"))
	}
	return out
}
