// Package wordfreq finds the most frequent words of a text: tokenize with a
// regular expression, fold case, count in a map, sort.
//
// A word is a run of letters, optionally joined by apostrophes ("don't",
// "o'clock"); digits and punctuation separate words. Words compare after
// Unicode lower-casing. Ties are broken alphabetically so the result is
// deterministic, which the tests and any diff of outputs need.
package wordfreq

import (
	"cmp"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
)

// word matches one word: letters, with inner apostrophes.
var word = regexp.MustCompile(`\pL+(?:['’]\pL+)*`)

// Count is a word and how many times it occurs.
type Count struct {
	Word string
	N    int
}

// TopWords returns the n most frequent words of text, most frequent first,
// ties in alphabetical order. It returns fewer than n when the text has
// fewer distinct words, and nil for n <= 0.
func TopWords(text string, n int) []Count {
	if n <= 0 {
		return nil
	}
	counts := make(map[string]int)
	for _, w := range word.FindAllString(text, -1) {
		counts[strings.ToLower(w)]++
	}
	all := make([]Count, 0, len(counts))
	for w, c := range counts {
		all = append(all, Count{w, c})
	}
	slices.SortFunc(all, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return strings.Compare(a.Word, b.Word)
	})
	return all[:min(n, len(all))]
}

// Text returns the benchmark dataset: words words of pseudo-English prose
// drawn from a 1,000-word vocabulary with a Zipf distribution (s=1.1, as
// natural language roughly follows), in sentences of 5–15 words that start
// with a capital and end with a full stop, some words followed by a comma.
// The same arguments always give the same text.
func Text(words int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	vocab := vocabulary(1000, rng)
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	var b strings.Builder
	for i := 0; i < words; {
		sentence := min(5+rng.IntN(11), words-i)
		for j := range sentence {
			w := vocab[zipf.Uint64()]
			if j == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
			if j < sentence-1 && rng.IntN(10) == 0 {
				b.WriteByte(',')
			}
		}
		b.WriteString(". ")
		i += sentence
	}
	return b.String()
}

// vocabulary returns n distinct pronounceable words of 1–4 syllables.
func vocabulary(n int, rng *rand.Rand) []string {
	const consonants, vowels = "bcdfghklmnprstvwz", "aeiou"
	seen := make(map[string]bool, n)
	vocab := make([]string, 0, n)
	for len(vocab) < n {
		var w []byte
		for range 1 + rng.IntN(4) {
			w = append(w, consonants[rng.IntN(len(consonants))], vowels[rng.IntN(len(vowels))])
		}
		if rng.IntN(4) == 0 {
			w = append(w, consonants[rng.IntN(len(consonants))])
		}
		if s := string(w); !seen[s] {
			seen[s] = true
			vocab = append(vocab, s)
		}
	}
	return vocab
}
