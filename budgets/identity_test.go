package budgets

import (
	"reflect"
	"testing"
)

// TestParseBenchmarkID: the -N suffix is GOMAXPROCS only where the testing
// package would have appended it, and Full puts it back.
func TestParseBenchmarkID(t *testing.T) {
	for _, c := range []struct {
		name  string
		procs int
		want  BenchmarkID
	}{
		{"BenchmarkSum/lines=1000-8", 0, BenchmarkID{"p", "BenchmarkSum/lines=1000", 8}},
		{"BenchmarkSum/lines=1000-8", 8, BenchmarkID{"p", "BenchmarkSum/lines=1000", 8}},
		{"BenchmarkSum/lines=1000", 0, BenchmarkID{"p", "BenchmarkSum/lines=1000", 0}},
		// At GOMAXPROCS 1 testing appends nothing: "-1" is the name's own.
		{"BenchmarkSum/n-1", 1, BenchmarkID{"p", "BenchmarkSum/n-1", 0}},
		// A known GOMAXPROCS strips only its own suffix.
		{"BenchmarkSum/n-2", 4, BenchmarkID{"p", "BenchmarkSum/n-2", 0}},
		{"BenchmarkSum/n-2-4", 4, BenchmarkID{"p", "BenchmarkSum/n-2", 4}},
	} {
		got := ParseBenchmarkID("p", c.name, c.procs)
		if got != c.want {
			t.Errorf("ParseBenchmarkID(%q, %d) = %+v, want %+v", c.name, c.procs, got, c.want)
		}
		if c.want.Procs != 0 && got.Full() != c.name {
			t.Errorf("%+v.Full() = %q, want %q", got, got.Full(), c.name)
		}
	}
	id := ParseBenchmarkID("p", "BenchmarkSum/lines=1000/mode=fast-2", 0)
	if want := map[string]string{"lines": "1000", "mode": "fast"}; !reflect.DeepEqual(id.Params(), want) {
		t.Errorf("Params = %v, want %v", id.Params(), want)
	}
}
