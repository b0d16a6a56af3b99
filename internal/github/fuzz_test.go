package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// fuzzHang is the longest one input may run: Go's fuzzer has no per-input
// timeout, so the target arms its own and crashes the worker past it.
const fuzzHang = 10 * time.Second

func hangGuard() (stop func() bool) {
	return time.AfterFunc(fuzzHang, func() { panic(fmt.Sprintf("one fuzz input ran for over %v: a hang", fuzzHang)) }).Stop
}

// fuzzReports are real reports: the gate's golden report and reports the
// gate writes from real samples (a pass, a regression), with raw samples
// named as perfslo gate --json names them.
func fuzzReports(f *testing.F) (reports [][]byte, base, head string) {
	golden, err := os.ReadFile(filepath.Join("..", "..", "gate", "testdata", "report.json"))
	if err != nil {
		f.Fatal(err)
	}
	reports = append(reports, golden)
	base = benchOutput(1000, 3)
	for _, h := range []string{benchOutput(1000, 3), benchOutput(1300, 4)} {
		sides := [2]*gate.Side{}
		for i, text := range []string{base, h} {
			s, err := gate.ReadSide(gate.Source{Label: "x"}, strings.NewReader(text), "x.txt")
			if err != nil {
				f.Fatal(err)
			}
			sides[i] = s
		}
		r := gate.Compare(sides[0], sides[1], gate.Options{Now: time.Unix(1e9, 0).UTC()})
		r.Samples = &gate.Samples{Base: "report.samples/base.txt", Head: "report.samples/head.txt"}
		var buf bytes.Buffer
		if err := gate.WriteJSON(&buf, r); err != nil {
			f.Fatal(err)
		}
		reports = append(reports, buf.Bytes())
	}
	return reports, base, benchOutput(1300, 4)
}

// roundTrip writes r as the gate does and reads it back strictly: a report
// the gate can write, the commenting job must be able to read.
func roundTrip(t *testing.T, r *gate.Report) {
	var buf bytes.Buffer
	if err := gate.WriteJSON(&buf, r); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	back, err := ParseReport("again.json", buf.Bytes())
	if err != nil {
		t.Fatalf("ParseReport of WriteJSON's output: %v\n%s", err, buf.Bytes())
	}
	if back.Verdict() != r.Verdict() || len(back.Results) != len(r.Results) {
		t.Fatalf("round trip changed the report: %s/%d rows, wrote %s/%d", back.Verdict(), len(back.Results), r.Verdict(), len(r.Results))
	}
}

// render is everything the commenting job makes of a report it accepted.
func render(t *testing.T, r *gate.Report) {
	body := CommentMarkdown(r, "fuzz")
	if !strings.Contains(body, Marker("fuzz")) {
		t.Fatalf("comment without its marker")
	}
	if len([]rune(body)) > CommentMax {
		t.Fatalf("comment of %d characters, over GitHub's %d", len([]rune(body)), CommentMax)
	}
	_ = SummaryMarkdown(r, "fuzz")
	_ = Conclusion(r)
	_ = checkTitle(r)
	notes, _ := Annotations(r, func(*gate.Row) (gate.Location, bool) { return gate.Location{File: "x_test.go", Line: 1}, true })
	for _, n := range notes {
		if strings.ContainsAny(n.GetTitle(), "\r\n") {
			t.Fatalf("annotation title with a line break: %q", n.GetTitle())
		}
	}
}

// FuzzParseReport: no report.json makes the strict reader panic or hang;
// every error names the file; what it accepts is valid, renders, and
// survives a write and a strict read again.
func FuzzParseReport(f *testing.F) {
	reports, _, _ := fuzzReports(f)
	for _, r := range reports {
		f.Add(r)
		f.Add(r[:len(r)*2/3])
	}
	f.Add([]byte(`{"schema":1,"verdict":"pass","verdict":"fail"}`))
	f.Add([]byte(`{"schema":1,"verdict":"pass","extra":{"x":1}}`))
	f.Add([]byte(`{"schema":1,"verdict":"pass","results":[{"benchmark":"A\n::error::x","verdict":"pass"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		defer hangGuard()()
		r, err := ParseReport("report.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "report.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := ValidateReport(r); err != nil {
			t.Fatalf("accepted a report ValidateReport refuses: %v", err)
		}
		render(t, r)
		roundTrip(t, r)
	})
}

// FuzzArtifact: a hostile artifact (report, both raw samples and
// pr_number, all fuzzed) goes through ReadArtifact, Rejudge with the base's
// budgets and the rendering without a panic or a hang; the re-judged
// report is one the gate's strict reader accepts.
func FuzzArtifact(f *testing.F) {
	cfg, err := budgets.Parse("perfslo.yaml", []byte("version: 1\nbudgets:\n  - benchmark: BenchmarkSum/lines=*\n    operation: sum\n    dataset: lines\n    limits: {sec/op: 1.2ns * lines, allocs/op: 3}\n"))
	if err != nil {
		f.Fatal(err)
	}
	reports, base, head := fuzzReports(f)
	for _, r := range reports {
		f.Add(r, []byte(base), []byte(head), []byte("42\n"))
		f.Add(r, []byte(head), []byte(base+"BenchmarkSum/lines=1000 1 NaN ns/op\n"), []byte("-1"))
		f.Add(r, []byte(base[:len(base)/2]), []byte{0, 1, 2}, []byte(""))
	}
	f.Fuzz(func(t *testing.T, report, baseTxt, headTxt, pr []byte) {
		defer hangGuard()()
		dir := t.TempDir()
		files := map[string][]byte{ReportFile: report, "report.samples/base.txt": baseTxt, "report.samples/head.txt": headTxt}
		if len(pr) > 0 {
			files[PRNumberFile] = pr
		}
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		a, err := ReadArtifact(dir, ArtifactLimits{})
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error does not name the artifact's file: %v", err)
			}
			return
		}
		if a.PR < 0 || (len(pr) == 0 && a.PR != 0) {
			t.Fatalf("pull request number %d from %q", a.PR, pr)
		}
		judged, err := Rejudge(a.Report, dir, cfg, false)
		if err != nil {
			if !errors.Is(err, ErrNoSamples) && !strings.HasPrefix(err.Error(), "raw samples: ") {
				t.Fatalf("unexpected Rejudge error: %v", err)
			}
			return
		}
		_ = Changed(a.Report, judged, 5)
		render(t, judged)
		roundTrip(t, judged)
	})
}

// webhookSeeds are some of GitHub's own example payloads for the events
// perfslo reads; nil when they cannot be installed (no npm).
func webhookSeeds(f *testing.F) [][]byte {
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(cache, "perfslo", "octokit-openapi-23.0.2-webhooks-7.6.1", "node_modules/@octokit/webhooks-examples/api.github.com/index.json"))
	if err != nil {
		data, err = os.ReadFile(filepath.Join(octokitDir(f), "node_modules/@octokit/webhooks-examples/api.github.com/index.json"))
		if err != nil {
			return nil
		}
	}
	var index []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		f.Fatal(err)
	}
	var seeds [][]byte
	for _, e := range index {
		switch e.Name {
		case "pull_request", "workflow_run", "push":
			for _, ex := range e.Examples[:min(3, len(e.Examples))] {
				seeds = append(seeds, ex)
			}
		}
	}
	return seeds
}

// FuzzEvent: no event payload (nor pr_number beside it) makes ReadEvent
// panic or hang; a pull request it accepts has a number and a head commit.
func FuzzEvent(f *testing.F) {
	for _, s := range webhookSeeds(f) {
		for name := range uint8(4) {
			f.Add(s, name, []byte("42\n"))
		}
	}
	f.Add([]byte(`{"workflow_run":{"head_sha":"abc","pull_requests":[{"number":7,"head":{"sha":"abc"},"base":{"sha":"def"}}]}}`), uint8(0), []byte("1"))
	f.Add([]byte(`{"pull_request":{"number":1,"head":{"sha":"a","repo":null}}}`), uint8(1), []byte(""))
	f.Add([]byte(`{"after":"abc"}`), uint8(3), []byte("0x10"))
	names := []string{"", "pull_request", "workflow_run", "push", "pull_request_target"}
	f.Fuzz(func(t *testing.T, payload []byte, which uint8, pr []byte) {
		defer hangGuard()()
		dir := t.TempDir()
		path := filepath.Join(dir, "event.json")
		prPath := filepath.Join(dir, PRNumberFile)
		if err := os.WriteFile(path, payload, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(prPath, pr, 0o644); err != nil {
			t.Fatal(err)
		}
		name := names[int(which)%len(names)]
		ev, err := ReadEvent(path, name, prPath)
		if err != nil {
			if !strings.Contains(err.Error(), dir) && !strings.HasPrefix(err.Error(), "pull request number") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if ev.PR < 0 {
			t.Fatalf("negative pull request number %d", ev.PR)
		}
		if (ev.Name == "pull_request" || ev.Name == "pull_request_target") && (ev.PR == 0 || ev.HeadSHA == "") {
			t.Fatalf("%s event accepted without a number or head: %+v", ev.Name, ev)
		}
		if ev.FromArtifact && ev.PR <= 0 {
			t.Fatalf("pull request number %d taken from pr_number %q", ev.PR, pr)
		}
		_ = ev.NamesPullRequest()
	})
}
