package strbuild

import (
	"strings"
	"testing"
)

func TestJoin(t *testing.T) {
	for _, words := range [][]string{
		nil,
		{""},
		{"one"},
		{"a", "b", "c"},
		{"", "x", ""},
		strings.Fields(dataset),
	} {
		want := strings.Join(words, " ")
		if got := Builder(words); got != want {
			t.Errorf("Builder(%q) = %q, want %q", words, got, want)
		}
		if got := Concat(words); got != want {
			t.Errorf("Concat(%q) = %q, want %q", words, got, want)
		}
	}
}

// dataset is 20 words of English prose; the benchmarks join it repeated 10
// times: 200 words, 1,089 bytes joined.
const dataset = `the quick brown fox jumps over the lazy dog while five ` +
	`boxing wizards jump quickly and my sphinx judges vows`

func words(tb testing.TB) []string {
	w := strings.Fields(strings.Repeat(dataset+" ", 10))
	if len(w) != 200 {
		tb.Fatalf("dataset has %d words, want 200", len(w))
	}
	return w
}

// BenchmarkBuilder measures Builder on 200 words of prose.
func BenchmarkBuilder(b *testing.B) {
	w := words(b)
	b.ReportAllocs()
	for b.Loop() {
		Builder(w)
	}
}

// BenchmarkConcat measures Concat on the same 200 words.
func BenchmarkConcat(b *testing.B) {
	w := words(b)
	b.ReportAllocs()
	for b.Loop() {
		Concat(w)
	}
}

func TestDatasetSize(t *testing.T) {
	if n := len(Builder(words(t))); n != 1_089 {
		t.Fatalf("joined dataset is %d bytes, want the 1,089 the benchmarks document", n)
	}
}
