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

// TestReadSideRefusesWhatGoTestNeverPrints: negative costs, a unit twice on
// one line, one quantity in two units, a line over 64 KiB; each was a
// sample (or a confusing "huge.txt: huge.txt:0:" error) before.
func TestReadSideRefusesWhatGoTestNeverPrints(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"BenchmarkA-8 10 -5 ns/op\n", "in.txt:1: BenchmarkA-8: -5e-09 sec/op is negative"},
		{"BenchmarkA-8 10 5 ns/op -2 B/op\n", "in.txt:1: BenchmarkA-8: -2 B/op is negative"},
		{"BenchmarkA-8 10 5 ns/op 6 ns/op\n", "in.txt:1: BenchmarkA-8: unit sec/op given twice on one line"},
		{"BenchmarkA-8 10 5 ns/op\nBenchmarkA-8 10 5 us/op\n", "in.txt:2: BenchmarkA-8: mixed units: us/op here, sec/op at in.txt:1"},
		{"BenchmarkA-8 10 5 ns/op\nBenchmarkA-8 10 " + strings.Repeat("1", 70<<10) + " ns/op\n", "in.txt:2: a line longer than 64 KiB"},
		{strings.Repeat("BenchmarkA-8 10 NaN ns/op\n", 25), "in.txt: ... and 15 more like these"},
	} {
		_, err := ReadSide(Source{}, strings.NewReader(c.in), "in.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadSide(%.60q) = %v, want an error with %q", c.in, err, c.want)
		}
	}
	// Legitimate: a custom metric may be negative, and a line may carry a
	// time in two units (b.ReportMetric) as long as every line does.
	for _, in := range []string{"BenchmarkA-8 10 5 ns/op -3 delta/op\n", "BenchmarkA-8 10 5 ns/op 0.005 us/op\nBenchmarkA-8 10 5 ns/op 0.005 us/op\n"} {
		if _, err := ReadSide(Source{}, strings.NewReader(in), "in.txt"); err != nil {
			t.Errorf("ReadSide(%q): %v", in, err)
		}
	}
}

// TestSameUnits: a head that reports a benchmark's time in another unit
// than the base would be a removed and an added row, never compared.
func TestSameUnits(t *testing.T) {
	read := func(name, in string) *Side {
		s, err := ReadSide(Source{Label: name}, strings.NewReader(in), name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := read("old.txt", "BenchmarkA-8 10 5 ns/op\n")
	if err := SameUnits(base, read("new.txt", "BenchmarkA-8 10 5 ns/op\n")); err != nil {
		t.Errorf("same units: %v", err)
	}
	err := SameUnits(base, read("new.txt", "BenchmarkA-8 10 5 ms/op\n"))
	if err == nil || !strings.Contains(err.Error(), "new.txt:1: BenchmarkA-8: mixed units: ms/op here, sec/op in the base (old.txt:1)") {
		t.Errorf("ms/op against sec/op: %v", err)
	}
}
