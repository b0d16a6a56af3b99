package github

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

// TestStrictReport: a report from an artifact is its author's; anything the
// gate would not have written is refused, with the place.
func TestStrictReport(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var real bytes.Buffer
	if err := gate.WriteJSON(&real, failingReport(3)); err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("..", "..", "gate", "testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"written.json": real.Bytes(), "golden.json": golden} {
		if _, err := LoadReport(write(name, data)); err != nil {
			t.Errorf("a report the gate wrote is refused: %v", err)
		}
	}
	edit := func(old, new string) []byte {
		if !strings.Contains(real.String(), old) {
			t.Fatalf("the report has no %q", old)
		}
		return []byte(strings.Replace(real.String(), old, new, 1))
	}
	for _, c := range []struct {
		name string
		data []byte
		want string // in the error, after the file name
	}{
		{"unknown top-level field", edit(`  "verdict": "fail",`, `  "verdict": "fail",`+"\n"+`  "trusted": true,`), `:4:3: unknown field trusted`},
		{"unknown field in a Stat", edit(`"center": 0.000008,`, `"center": 0.000008, "forged": 1,`), `unknown field results[0].base.forged`},
		{"unknown field in a row", edit(`"benchmark": "BenchmarkSum/lines=1000",`, `"benchmark": "BenchmarkSum/lines=1000", "override": "pass",`), `unknown field results[0].override`},
		{"key twice", edit(`  "verdict": "fail",`, `  "verdict": "fail",`+"\n"+`  "verdict": "pass",`), `:4:3: field verdict given twice`},
		{"row verdict", edit(`"verdict": "regression"`, `"verdict": "fine"`), `results[0]: verdict "fine" is not one of the gate's`},
		{"line break in a name", edit(`"benchmark": "BenchmarkSum/lines=1000"`, `"benchmark": "BenchmarkSum\n::error::x"`), `results[0].benchmark "BenchmarkSum\n::error::x": holds the control character U+000A`},
		{"negative count", edit(`"n": 10`, `"n": -10`), `results[0].base.n = -10`},
		{"trailing data", append(real.Bytes(), []byte(`{"schema": 1}`)...), `invalid character '{' after top-level value`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := write("r.json", c.data)
			_, err := LoadReport(p)
			if err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v\nwant %s…%s", err, p, c.want)
			}
		})
	}
	// An unknown field with an empty value is what an omitempty field
	// looks like when written by hand: harmless, accepted.
	if _, err := LoadReport(write("empty.json", edit(`  "verdict": "fail",`, `  "verdict": "fail", "extra": null, "more": [],`))); err != nil {
		t.Errorf("empty unknown fields refused: %v", err)
	}
}

func TestReadArtifact(t *testing.T) {
	mk := func(t *testing.T) string {
		dir := t.TempDir()
		var buf bytes.Buffer
		gate.WriteJSON(&buf, failingReport(0))
		os.WriteFile(filepath.Join(dir, ReportFile), buf.Bytes(), 0o644)
		os.WriteFile(filepath.Join(dir, PRNumberFile), []byte("42\n"), 0o644)
		os.MkdirAll(filepath.Join(dir, "profiles"), 0o755)
		os.WriteFile(filepath.Join(dir, "profiles", "BenchmarkSum.cpu.pb.gz"), []byte("not really a profile"), 0o644)
		return dir
	}
	t.Run("good", func(t *testing.T) {
		dir := mk(t)
		a, err := ReadArtifact(dir, ArtifactLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if a.PR != 42 || a.Report.Verdict() != gate.Fail || strings.Join(a.Files, " ") != "pr_number profiles/BenchmarkSum.cpu.pb.gz report.json" {
			t.Errorf("artifact %+v", a)
		}
		if data, err := ReadArtifactFile(a, "profiles/BenchmarkSum.cpu.pb.gz", 1024); err != nil || string(data) != "not really a profile" {
			t.Errorf("ReadArtifactFile: %q, %v", data, err)
		}
		for _, bad := range []string{"../report.json", "/etc/passwd", "profiles/../../x"} {
			if _, err := ReadArtifactFile(a, bad, 1024); err == nil || !strings.Contains(err.Error(), "not a path inside the artifact") {
				t.Errorf("ReadArtifactFile(%q): %v", bad, err)
			}
		}
	})
	for _, c := range []struct {
		name  string
		setup func(dir string)
		lim   ArtifactLimits
		want  string
	}{
		{"symlink", func(dir string) { os.Symlink("/etc/passwd", filepath.Join(dir, "profiles", "p.pb.gz")) }, ArtifactLimits{}, "profiles/p.pb.gz is a symbolic link, not a regular file"},
		{"big file", func(dir string) { os.Truncate(filepath.Join(dir, "profiles", "BenchmarkSum.cpu.pb.gz"), 65<<20) }, ArtifactLimits{}, "65 MiB, over the 64 MiB perfslo reads"},
		{"too many files", func(dir string) {}, ArtifactLimits{Files: 2}, "more than 2 files"},
		{"too much in all", func(dir string) {}, ArtifactLimits{Total: 100}, "more than 100 bytes together"},
		{"no report", func(dir string) { os.Remove(filepath.Join(dir, ReportFile)) }, ArtifactLimits{}, "report.json: no such file"},
		{"bad pr number", func(dir string) { os.WriteFile(filepath.Join(dir, PRNumberFile), []byte("42 && curl"), 0o644) }, ArtifactLimits{}, "want a pull request number"},
		{"line break in a file name", func(dir string) { os.WriteFile(filepath.Join(dir, "a\nb"), nil, 0o644) }, ArtifactLimits{}, "holds the control character U+000A"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := mk(t)
			c.setup(dir)
			if _, err := ReadArtifact(dir, c.lim); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}
