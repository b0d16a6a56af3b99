package output

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/gate"
)

// report judges a real benchfmt pair: allocs/op goes from 0 to 1 in every
// sample, an exact regression that fails the gate.
func report(t *testing.T) *gate.Report {
	t.Helper()
	side := func(allocs string) *gate.Side {
		var b strings.Builder
		b.WriteString("pkg: example.com/m\n")
		for i := 0; i < 6; i++ {
			b.WriteString("BenchmarkX-1 1000 " + []string{"100", "101", "99", "100", "102", "98"}[i] + " ns/op 0 B/op " + allocs + " allocs/op\n")
		}
		s, err := gate.ReadSide(gate.Source{}, strings.NewReader(b.String()), "t.txt")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return gate.Compare(side("0"), side("1"), gate.Options{Now: time.Unix(0, 0).UTC()})
}

func TestReportWritesFilesAndExits(t *testing.T) {
	dir := t.TempDir()
	r := report(t)
	var stdout, stderr bytes.Buffer
	code, err := Report(&stdout, &stderr, Targets{JSON: "out/r.json", Markdown: "-", Dir: dir, FailOn: gate.FailOnUnmeasurable}, r)
	if err != nil || code != gate.ExitFail {
		t.Fatalf("Report = %d, %v; want exit %d", code, err, gate.ExitFail)
	}
	// Markdown took stdout, so no text report there.
	if !strings.Contains(stdout.String(), "allocs/op") || strings.HasPrefix(stdout.String(), "perfslo") {
		t.Errorf("stdout is not the markdown report:\n%s", stdout.String())
	}
	back, err := gate.ReadJSONFile(filepath.Join(dir, "out", "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Verdict() != r.Verdict() {
		t.Errorf("JSON verdict %v, report %v", back.Verdict(), r.Verdict())
	}
	stderr.Reset()
	code, err = Report(io.Discard, &stderr, Targets{FailOn: gate.FailOnNever}, r)
	if err != nil || code != gate.ExitPass || !strings.Contains(stderr.String(), "--fail-on never") {
		t.Errorf("fail-on never: %d, %v, stderr %q; want 0 and why", code, err, stderr.String())
	}
}

func TestFileLeavesNothingWhenRenderFails(t *testing.T) {
	dir := t.TempDir()
	err := File(io.Discard, dir, "r.json", func(io.Writer) error { return errors.New("boom") })
	if err == nil {
		t.Fatal("no error from a failed render")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a failed render left %v", ents)
	}
}

func TestReportPath(t *testing.T) {
	for _, c := range []struct{ json, want string }{{"-", ""}, {"", ""}, {"r.json", "/w/r.json"}, {"/abs.json", "/abs.json"}} {
		if got := (Targets{JSON: c.json, Dir: "/w"}).ReportPath(); got != c.want {
			t.Errorf("ReportPath(%q) = %q, want %q", c.json, got, c.want)
		}
	}
}
