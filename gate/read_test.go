package gate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadJSONChecks: the one reader refuses what perfslo did not write — a
// verdict or count its rows contradict, a newer schema, bad JSON — and names
// the file, with line:column where JSON allows.
func TestReadJSONChecks(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, goldenReport(t)); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	dir := t.TempDir()
	read := func(name, body string) error {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, err = ReadJSON(f)
		return err
	}
	if err := read("good.json", good); err != nil {
		t.Fatalf("a report WriteJSON wrote: %v", err)
	}
	for _, c := range []struct{ name, body, want string }{
		{"edited.json", strings.Replace(good, `"verdict": "fail"`, `"verdict": "pass"`, 1), "edited.json: verdict pass with"},
		{"recounted.json", strings.Replace(good, `"failed": `, `"failed": 9`, 1), "but its rows and failures say fail"},
		{"newer.json", strings.Replace(good, `"schema": 1`, `"schema": 99`, 1), "newer.json: report schema 99 is newer"},
		{"syntax.json", "{\n \"schema\": 1,\n \"verdict\": pass\n}", "syntax.json:3:13: invalid character 'p'"},
		{"type.json", `{"schema": "one"}`, "type.json:1:"},
		{"empty.json", `{"a": 1}`, "empty.json: not a perfslo report"},
	} {
		if err := read(c.name, c.body); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
		}
	}
}

// TestReadSideControlCharacters: go test escapes control characters in
// benchmark names, so raw samples holding one (found by FuzzArtifact: a
// re-judged report then failed the strict reader) are refused at their line,
// for the name, the package and the unit alike.
func TestReadSideControlCharacters(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"BenchmarkA\x1b[31m-8 10 5 ns/op\n", `in.txt:1: benchmark name "BenchmarkA\x1b[31m-8" holds the control character U+001B`},
		{"BenchmarkSum/\x04ines=1000 10 5 ns/op\n", `in.txt:1: benchmark name "BenchmarkSum/\x04ines=1000"`},
		{"pkg: example.com/m\u2028x\nBenchmarkA 10 5 ns/op\n", `in.txt:2: pkg "example.com/m\u2028x" holds the control character U+2028`},
		{"BenchmarkA 10 5 ns/op\nBenchmarkA 10 5 ns/\x7fop\n", `in.txt:2: unit "sec/\x7fop" holds the control character U+007F`},
	} {
		_, err := ReadSide(Source{}, strings.NewReader(c.in), "in.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadSide(%q) = %v, want an error with %q", c.in, err, c.want)
		}
	}
}
