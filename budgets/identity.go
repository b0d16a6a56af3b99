package budgets

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// BenchmarkID is one benchmark's identity, parsed once from the name go test
// prints and used everywhere perfslo names a benchmark: samples, rows,
// budgets, failures, confirmation and profiling runs.
type BenchmarkID struct {
	// Package is the import path.
	Package string
	// Name is the full Go name with its "Benchmark" prefix and without the
	// -GOMAXPROCS suffix ("BenchmarkSum/lines=1000"): what budgets match
	// and -test.bench selects.
	Name string
	// Procs is the GOMAXPROCS suffix the testing package appended, 0 when
	// the name had none.
	Procs int
}

var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// ParseBenchmarkID reads a full benchmark name as go test prints it
// ("BenchmarkSum/lines=1000-8") in package pkg.
// procs is the GOMAXPROCS the benchmark ran with when the caller knows it:
// the testing package appends "-N" only when N > 1, so then only that
// suffix is one. With procs 0 (unknown) any "-N" ending is taken for it.
func ParseBenchmarkID(pkg, name string, procs int) BenchmarkID {
	id := BenchmarkID{Package: pkg, Name: name}
	switch {
	case procs > 1:
		if base, ok := strings.CutSuffix(name, "-"+strconv.Itoa(procs)); ok {
			id.Name, id.Procs = base, procs
		}
	case procs == 0:
		if m := procsSuffix.FindStringSubmatchIndex(name); m != nil {
			if n, err := strconv.Atoi(name[m[2]:m[3]]); err == nil {
				id.Name, id.Procs = name[:m[0]], n
			}
		}
	}
	return id
}

// ResultID is the identity of a benchmark result, whose "pkg" configuration
// is the package; benchfmt drops the "Benchmark" prefix of names, so
// ResultID puts it back. procs is as for ParseBenchmarkID.
func ResultID(r *benchfmt.Result, procs int) BenchmarkID {
	return ParseBenchmarkID(r.GetConfig("pkg"), "Benchmark"+r.Name.String(), procs)
}

// Full is the name as go test printed it: Name with its "-Procs" suffix
// when it had one.
func (id BenchmarkID) Full() string {
	if id.Procs == 0 {
		return id.Name
	}
	return id.Name + "-" + strconv.Itoa(id.Procs)
}

// Params are the sub-benchmark parameters of the name: "lines=1000" in
// "BenchmarkSum/lines=1000/mode=fast" binds lines to "1000" (see
// BenchmarkParams).
func (id BenchmarkID) Params() map[string]string { return BenchmarkParams(id.Name) }
