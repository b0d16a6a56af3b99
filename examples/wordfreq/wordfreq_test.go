package wordfreq

import (
	"reflect"
	"strings"
	"testing"
)

func TestTopWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		n    int
		want []Count
	}{
		{name: "empty", text: "", n: 3, want: []Count{}},
		{name: "n zero", text: "a a b", n: 0, want: nil},
		{name: "case folded", text: "Go go GO gopher", n: 2, want: []Count{{"go", 3}, {"gopher", 1}}},
		{name: "ties alphabetical", text: "b a c b a c", n: 3, want: []Count{{"a", 2}, {"b", 2}, {"c", 2}}},
		{name: "fewer distinct than n", text: "x y x", n: 5, want: []Count{{"x", 2}, {"y", 1}}},
		{name: "punctuation and digits split", text: "one,two;three 4four... two!", n: 2, want: []Count{{"two", 2}, {"four", 1}}},
		{name: "apostrophes inside words", text: "don't 'quote' don't o’clock", n: 3, want: []Count{{"don't", 2}, {"o’clock", 1}, {"quote", 1}}},
		{name: "unicode letters", text: "Éclair éclair straße", n: 1, want: []Count{{"éclair", 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := TopWords(tc.text, tc.n); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("TopWords(%q, %d) = %v, want %v", tc.text, tc.n, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	text := Text(5000, 1)
	if text != Text(5000, 1) {
		t.Fatal("Text is not deterministic for a fixed seed")
	}
	if n := len(word.FindAllString(text, -1)); n != 5000 {
		t.Fatalf("Text(5000, 1) has %d words, want 5000", n)
	}
	// Zipf: the most frequent word is far more common than the tenth.
	top := TopWords(text, 10)
	if top[0].N < 3*top[9].N {
		t.Fatalf("top words %v do not look Zipf-distributed", top)
	}
	if !strings.HasSuffix(text, ". ") {
		t.Fatalf("text ends with %q, want a full stop", text[len(text)-5:])
	}
}

// BenchmarkTopWords measures the 10 most frequent words of 5,000 words of
// Zipf-distributed pseudo-English (Text(5000, 1), about 30 KB).
func BenchmarkTopWords(b *testing.B) {
	text := Text(5000, 1)
	b.SetBytes(int64(len(text)))
	TopWords(text, 10) // compile the regexp's lazy state outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		TopWords(text, 10)
	}
}
