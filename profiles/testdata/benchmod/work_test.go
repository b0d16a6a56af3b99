package benchmod

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
)

var sink int
var bytesSink []byte

// BenchmarkWork parses then sums 1000 numbers, in two labelled phases.
func BenchmarkWork(b *testing.B) {
	Waste = os.Getenv("BENCHMOD_WASTE") == "1"
	lines := Lines(1000)
	out := make([]int, 0, len(lines))
	ctx := context.Background()
	for b.Loop() {
		pprof.Do(ctx, pprof.Labels("phase", "parse"), func(context.Context) { out = Parse(lines, out) })
		pprof.Do(ctx, pprof.Labels("phase", "sum"), func(context.Context) { sink = Sum(out) })
	}
}

// BenchmarkAlloc makes exactly one 64-byte allocation per op, b.N style.
func BenchmarkAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		bytesSink = make([]byte, 64)
	}
}
