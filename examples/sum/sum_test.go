package sum

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSum(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int64
		err      string // substring of the error; "" for none
	}{
		{name: "empty", in: "", want: 0},
		{name: "one", in: "12345678\n", want: 12345678},
		{name: "no final newline", in: "1\n2\n3", want: 6},
		{name: "signs", in: "-5\n+7\n10\n", want: 12},
		{name: "blank lines skipped", in: "1\n\n2\n\n", want: 3},
		{name: "crlf", in: "40\r\n2\r\n", want: 42},
		{name: "extremes", in: "9223372036854775807\n-9223372036854775808\n", want: -1},
		{name: "letters", in: "1\n2\nx3\n", err: `line 3: want a base-10 integer, got "x3"`},
		{name: "space", in: " 1\n", err: `line 1: want a base-10 integer, got " 1"`},
		{name: "sign only", in: "-\n", err: `line 1: want a base-10 integer, got "-"`},
		{name: "too big", in: "9223372036854775808\n", err: "line 1: want a base-10 integer"},
		{name: "too small", in: "-9223372036854775809\n", err: "line 1: want a base-10 integer"},
		{name: "overflows uint64", in: "99999999999999999999\n", err: "line 1: want a base-10 integer"},
		{name: "long line", in: "1\n" + strings.Repeat("1", bufSize+1) + "\n", err: fmt.Sprintf("line 2: longer than %d bytes", bufSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sum(strings.NewReader(tc.in))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("Sum(%q): unexpected error %v", tc.in, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("Sum(%q) error = %v, want one containing %q", tc.in, err, tc.err)
			case tc.err == "" && got != tc.want:
				t.Fatalf("Sum(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseIntMatchesStrconv(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 9, 10, 99999999, math.MaxInt64, math.MinInt64, math.MaxInt64 / 10} {
		s := fmt.Sprint(v)
		got, ok := parseInt([]byte(s))
		if !ok || got != v {
			t.Errorf("parseInt(%q) = %d, %v; want %d, true", s, got, ok, v)
		}
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ints.txt")
	want, err := WriteFile(path, 5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("File = %d, want the generator's %d", got, want)
	}

	// The dataset is what the generator says: 8-digit integers, one per
	// line, the same for the same seed, and nothing left behind.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 5000 {
		t.Fatalf("%d lines, want 5000", len(lines))
	}
	for i, l := range lines {
		if len(l) != 8 || l[0] == '0' {
			t.Fatalf("line %d = %q, want an 8-digit integer", i+1, l)
		}
	}
	again := filepath.Join(dir, "again.txt")
	if _, err := WriteFile(again, 5000, 1); err != nil {
		t.Fatal(err)
	}
	if data2, _ := os.ReadFile(again); string(data2) != string(data) {
		t.Fatal("WriteFile with the same seed wrote a different file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("directory holds %d files, want 2 (no temp files left)", len(entries))
	}

	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("1\n2\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := File(bad); err == nil || err.Error() != bad+`: line 3: want a base-10 integer, got "three"` {
		t.Fatalf("File(bad) error = %v, want it to name the file and line 3", err)
	}
	if _, err := File(filepath.Join(dir, "missing.txt")); !os.IsNotExist(err) {
		t.Fatalf("File(missing) error = %v, want not-exist", err)
	}
}

// TestAllocsConstant checks the package's RAER shape: allocations do not grow
// with the file.
func TestAllocsConstant(t *testing.T) {
	if knob.Enabled() {
		t.Skip("regression knob set")
	}
	dir := t.TempDir()
	allocs := map[int]float64{}
	for _, lines := range []int{10, 10000} {
		path := filepath.Join(dir, fmt.Sprint(lines))
		if _, err := WriteFile(path, lines, 1); err != nil {
			t.Fatal(err)
		}
		allocs[lines] = testing.AllocsPerRun(20, func() {
			if _, err := File(path); err != nil {
				t.Fatal(err)
			}
		})
	}
	if allocs[10] != allocs[10000] {
		t.Fatalf("allocs per File: %v for 10 lines, %v for 10000; want the same", allocs[10], allocs[10000])
	}
}

// BenchmarkSum measures File on lines random 8-digit integers (the dataset of
// WriteFile, seed 1), read from the page cache. Besides sec/op it reports
// ns/line, the per-line cost the budget is written in.
func BenchmarkSum(b *testing.B) {
	for _, lines := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "ints.txt")
			want, err := WriteFile(path, lines, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer() // the generator is setup, not the operation
			for b.Loop() {
				got, err := File(path)
				if err != nil || got != want {
					b.Fatalf("File = %d, %v; want %d", got, err, want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
		})
	}
}
