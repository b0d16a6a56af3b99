package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/perfslo/perfslo/budgets"
)

// Module is one real third-party library, fetched from the module proxy,
// and the regressions injected into it for the A/B scenario.
type Module struct {
	// Name is the short name used in tables and file names.
	Name string `json:"name"`
	// Path and Version name the module on the proxy.
	Path    string `json:"path"`
	Version string `json:"version"`
	// Packages are the package directories, relative to the module root,
	// whose benchmarks make the suite (both tools get the same ones).
	Packages []string `json:"packages"`
	// Bench is the benchmark regexp of the suite; both tools get it.
	Bench string `json:"bench"`
	// Injections are applied together on top of the base commit.
	Injections []Injection `json:"injections"`
}

// Injection adds a spin loop of Spin iterations at the top of one function.
// The loop does no allocation, so only time can regress.
type Injection struct {
	// File is the source file, relative to the module root.
	File string `json:"file"`
	// Func is the function: Name, or Type.Name for a method.
	Func string `json:"func"`
	// Spin is the number of loop iterations (about 1.1 ns each on the
	// 2-core EPYC VM where they were chosen).
	Spin int `json:"spin"`
	// OnPath maps the benchmarks (benchfmt names, without "Benchmark" and
	// GOMAXPROCS) whose timed loop calls Func to the calls per op, read
	// from the library's tests. Every other benchmark is off the injected
	// paths. The truth (truth.go) predicts each on-path benchmark's
	// slowdown from the calls, the spin loop's calibrated cost and the
	// base time, measures it, and counts a row as injected only when both
	// reach 20%.
	OnPath map[string]int `json:"on_path"`
	// Why records how OnPath was established.
	Why string `json:"why"`
}

// modules are the libraries of the evaluation. Benchmark counts were checked
// on the module copies (2026-12-01): github.com/golang/snappy@v1.0.0 has 38
// benchmark functions, but 36 of them read /usr/share/dict/words or files it
// downloads at run time, so offline only 2 run; it is not used.
var modules = []Module{
	{
		Name:     "uuid",
		Path:     "github.com/google/uuid",
		Version:  "v1.6.0",
		Packages: []string{"."},
		Bench:    ".",
		Injections: []Injection{
			{
				File: "uuid.go", Func: "UUID.String", Spin: 60,
				OnPath: map[string]int{"UUID_String": 1, "UUIDs_Strings": 2},
				Why:    "UUIDs.Strings calls String per element; MarshalJSON and URN call encodeHex directly, not String",
			},
			{
				File: "uuid.go", Func: "UUID.URN", Spin: 40,
				OnPath: map[string]int{"UUID_URN": 1},
				Why:    "only BenchmarkUUID_URN calls URN",
			},
			{
				File: "uuid.go", Func: "ParseBytes", Spin: 25,
				OnPath: map[string]int{"ParseBytes": 1, "UUID_UnmarshalJSON": 1},
				Why:    "UnmarshalJSON → UUID.UnmarshalText → ParseBytes; ParseBytesUnsafe and ParseBytesCopy call Parse, not ParseBytes",
			},
		},
	},
	{
		Name:     "lz4",
		Path:     "github.com/pierrec/lz4/v4",
		Version:  "v4.1.33",
		Packages: []string{"."},
		// The root package's frame and block benchmarks; BenchmarkCompressBlock,
		// BenchmarkCorpus, BenchmarkSilesia and BenchmarkWriterFlush are left
		// out: hundreds of sub-benchmarks of up to 0.3 s per op, or data fetched
		// by scripts.
		Bench: `^Benchmark(Compress|CompressRandom|CompressHC|Uncompress|UncompressKernelCode|` +
			`UncompressPg1661|UncompressDigits|UncompressTwain|UncompressRand|UncompressTwainLinked|` +
			`CompressPg1661|CompressDigits|CompressTwain|CompressRand|WriterReset|` +
			`UncompressRLE[0-9]+|UncompressColumnar[A-Za-z0-9]+)$`,
		Injections: []Injection{
			{
				File: "lz4.go", Func: "UncompressBlock", Spin: 27000,
				OnPath: map[string]int{
					"UncompressRLE1": 1, "UncompressRLE2": 1, "UncompressRLE3": 1, "UncompressRLE4": 1,
					"UncompressRLE5": 1, "UncompressRLE6": 1, "UncompressRLE7": 1, "UncompressRLE8": 1,
					"UncompressRLE12": 1, "UncompressRLE16": 1, "UncompressRLE24": 1, "UncompressRLE31": 1,
					"UncompressRLE48": 1, "UncompressRLE64": 1,
					"UncompressColumnarMed": 1, "UncompressColumnarLong": 1, "UncompressColumnar128": 1,
					"UncompressColumnar256": 1, "UncompressColumnarShort": 1,
				},
				Why: "the exported lz4.UncompressBlock is called only by benchRLE and benchColumnar; " +
					"BenchmarkUncompress/KernelCode call internal/lz4block.UncompressBlock and the Reader benchmarks go through internal/lz4stream",
			},
			{
				File: "lz4.go", Func: "CompressorHC.CompressBlock", Spin: 9000000,
				OnPath: map[string]int{"CompressHC": 1},
				Why:    "the exported CompressorHC is used only by BenchmarkCompressHC; the Writer at its default level uses the fast compressor",
			},
		},
	},
}

// selectModules returns the modules named in the comma-separated list.
func selectModules(list string) ([]Module, error) {
	if strings.TrimSpace(list) == "" || list == "all" {
		return modules, nil
	}
	var out []Module
	for _, n := range budgets.SplitList(list) {
		found := false
		for _, m := range modules {
			if m.Name == n {
				out = append(out, m)
				found = true
			}
		}
		if !found {
			var names []string
			for _, m := range modules {
				names = append(names, m.Name)
			}
			return nil, fmt.Errorf("-modules: unknown module %q (have %s)", n, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// specHash identifies a module's definition: results and ground truth are
// only comparable between runs of the same code and injections.
func (m Module) specHash() string {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// onPath returns the injected spin iterations per op of benchmark name
// (0: off every injected path).
func (m Module) onPath(name string) int {
	spin := 0
	for _, in := range m.Injections {
		spin += in.Spin * in.OnPath[name]
	}
	return spin
}
