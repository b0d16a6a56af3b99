// Package shard splits a suite's packages over the jobs of a CI matrix and
// merges the jobs' reports into one, judged over the whole suite.
//
// Assign is deterministic: every job computes the same split from the same
// inputs (the package list and the stored durations), so no job needs to
// talk to another. Merge re-judges the union of the shards' raw samples
// with one multiple-comparison correction over all rows, exactly as one
// unsharded judgement of those samples would.
package shard

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Spec is "i/n": this job is shard Index of Count (1-based).
type Spec struct {
	Index, Count int
}

// Parse reads "i/n".
func Parse(s string) (Spec, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Spec{}, fmt.Errorf("--shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/3", s)
	}
	return Spec{Index: i, Count: n}, nil
}

// Weighted is a package and its expected measuring cost.
type Weighted struct {
	Package string
	Weight  float64
}

// Weights estimates each package's cost: its stored duration in seconds
// when there is one; else its benchmark count times the stored seconds
// per benchmark of the packages that have both (so the two scales mix);
// with no durations at all, its benchmark count. A package never weighs 0.
func Weights(pkgs []string, benchmarks map[string]int, durations map[string]float64) []Weighted {
	perBench, known := 0.0, 0
	for _, p := range pkgs {
		if d, ok := durations[p]; ok && benchmarks[p] > 0 {
			perBench += d / float64(benchmarks[p])
			known++
		}
	}
	if known > 0 {
		perBench /= float64(known)
	} else {
		perBench = 1
	}
	out := make([]Weighted, 0, len(pkgs))
	for _, p := range pkgs {
		w, ok := durations[p]
		if !ok {
			w = float64(max(benchmarks[p], 1)) * perBench
		}
		out = append(out, Weighted{Package: p, Weight: max(w, 1e-9)})
	}
	return out
}

// Assign splits the packages into n shards of near-equal weight (longest
// first, each to the lightest shard so far; ties by name and index), each
// shard's packages sorted.
func Assign(pkgs []Weighted, n int) [][]string {
	sorted := append([]Weighted(nil), pkgs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Weight != sorted[j].Weight {
			return sorted[i].Weight > sorted[j].Weight
		}
		return sorted[i].Package < sorted[j].Package
	})
	out := make([][]string, n)
	load := make([]float64, n)
	for _, p := range sorted {
		k := 0
		for j := 1; j < n; j++ {
			if load[j] < load[k] {
				k = j
			}
		}
		out[k] = append(out[k], p.Package)
		load[k] += p.Weight
	}
	for _, s := range out {
		sort.Strings(s)
	}
	return out
}
