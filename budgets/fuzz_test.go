package budgets

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: no input makes Parse panic, every failure is located *Errors,
// and whatever parses can be described, matched and evaluated.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(matchYAML))
	for _, tc := range parseErrorCases {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			errs := Errors(err)
			if len(errs) == 0 {
				t.Fatalf("error without *Error: %v", err)
			}
			for _, e := range errs {
				if e.File != "fuzz.yaml" || e.Msg == "" || !strings.HasPrefix(e.Error(), "fuzz.yaml:") {
					t.Fatalf("badly located error: %#v", e)
				}
			}
			return
		}
		if err := Describe(io.Discard, cfg); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"BenchmarkSum/lines=1000", "BenchmarkX/n=0/size=1KiB", "BenchmarkX"} {
			if b := cfg.Match("example.com/m/sum", name); b != nil {
				for _, l := range b.Limits {
					_, _ = l.Eval(name) // must not panic; errors are fine
				}
			}
		}
		cfg.Unmatched([]BenchmarkID{{Package: "example.com/m/sum", Name: "BenchmarkSum"}})
	})
}
