package mapbuild

import (
	"maps"
	"testing"
)

func TestIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		want map[string]int
	}{
		{name: "empty", keys: nil, want: map[string]int{}},
		{name: "distinct", keys: []string{"a", "b", "c"}, want: map[string]int{"a": 0, "b": 1, "c": 2}},
		{name: "repeated key keeps last position", keys: []string{"a", "b", "a"}, want: map[string]int{"a": 2, "b": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, f := range map[string]func([]string) map[string]int{"Index": Index, "IndexSized": IndexSized} {
				if got := f(tc.keys); !maps.Equal(got, tc.want) {
					t.Errorf("%s(%q) = %v, want %v", name, tc.keys, got, tc.want)
				}
			}
		})
	}
}

func TestKeys(t *testing.T) {
	keys := Keys(1000, 1)
	m := IndexSized(keys)
	if len(m) != 1000 {
		t.Fatalf("Keys(1000, 1) has %d distinct keys, want 1000", len(m))
	}
	for i, k := range keys {
		if m[k] != i {
			t.Fatalf("index of %q = %d, want %d", k, m[k], i)
		}
	}
	if again := Keys(1000, 1); again[999] != keys[999] {
		t.Fatal("Keys is not deterministic for a fixed seed")
	}
}

// BenchmarkMapBuild measures indexing 1000 distinct user-name keys (Keys,
// seed 1), letting the map grow (presized=false) or sizing it up front
// (presized=true).
func BenchmarkMapBuild(b *testing.B) {
	keys := Keys(1000, 1)
	for _, bc := range []struct {
		name  string
		index func([]string) map[string]int
	}{
		{"presized=false", Index},
		{"presized=true", IndexSized},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m := bc.index(keys); len(m) != len(keys) {
					b.Fatalf("map has %d keys, want %d", len(m), len(keys))
				}
			}
		})
	}
}
