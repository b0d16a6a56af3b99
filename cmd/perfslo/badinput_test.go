package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The bad-input corpus: every way a user's files, flags and repository can
// be wrong that we could think of, each run through the real perfslo
// binary. Each must exit 1 (could not decide: never 0, never 2), say what
// is wrong, naming the file and line when there is a file, in a few lines
// (at most 4 KiB), show no Go panic trace, and write nothing (no --json,
// --markdown, job summary or .perfslo directory).

// badCase is one bad input. Its files are written into a fresh directory,
// setup (when set) prepares more there, and args run with that directory
// as the working directory.
type badCase struct {
	name  string
	files map[string]string
	setup func(t *testing.T, dir string)
	args  []string
	env   []string // added to the environment; {dir} is the case's directory
	want  string   // a regexp the error output must match
}

// Outputs every case asks for; none may exist after the run.
var badOutputs = []string{"out/report.json", "out/report.md", "out", "summary.md", ".perfslo"}

const (
	goodBench = "BenchmarkX-8 100 5 ns/op\nBenchmarkX-8 100 6 ns/op\nBenchmarkX-8 100 5 ns/op\nBenchmarkX-8 100 6 ns/op\nBenchmarkX-8 100 5 ns/op\nBenchmarkX-8 100 6 ns/op\n"
	tinyMod   = "module example.com/tiny\n\ngo 1.24\n"
	tinyBench = "package tiny\n\nimport \"testing\"\n\nfunc BenchmarkTiny(b *testing.B) {\n\tfor b.Loop() {\n\t}\n}\n"
	budgetOK  = "version: 1\nbudgets:\n  - benchmark: BenchmarkX\n    operation: x\n    dataset: y\n"
)

// compareCase judges new.txt against a good old.txt.
func compareCase(name, newTxt, want string) badCase {
	return badCase{name: "compare/" + name, files: map[string]string{"old.txt": goodBench, "new.txt": newTxt},
		args: []string{"compare", "old.txt", "new.txt", "--json", "out/report.json", "--markdown", "out/report.md"}, want: want}
}

// checkCase validates perfslo.yaml.
func checkCase(name, yaml, want string) badCase {
	return badCase{name: "check/" + name, files: map[string]string{"perfslo.yaml": yaml},
		args: []string{"check", "--config", "perfslo.yaml", "--list=false"}, want: want}
}

// commentCase posts report.json as markdown only (no API), with a job
// summary file that must not appear.
func commentCase(name string, report string, want string) badCase {
	return badCase{name: "comment/" + name, files: map[string]string{"report.json": report},
		args: []string{"comment", "--report", "report.json", "--markdown-only"}, want: want}
}

// eventCase posts report.json for a GitHub event (name, payload) with a
// token and an API address nothing answers at: each must fail on the
// payload or pr_number before any request.
func eventCase(name, event, payload, report, prNumber, want string) badCase {
	c := badCase{name: "comment/" + name, files: map[string]string{"report.json": report, "event.json": payload},
		args: []string{"comment", "--report", "report.json"}, want: want,
		env: []string{"GITHUB_TOKEN=ghs_notarealtoken", "GITHUB_REPOSITORY=o/r", "GITHUB_EVENT_NAME=" + event,
			"GITHUB_API_URL=http://127.0.0.1:9", "GITHUB_EVENT_PATH={dir}/event.json"}}
	if prNumber != "" {
		c.files["pr_number"] = prNumber
	}
	return c
}

// gateCase runs the gate in a tiny git repository of one benchmark (two
// commits on main); setup changes it first.
func gateCase(name string, setup func(t *testing.T, dir string), want string, args ...string) badCase {
	return badCase{name: "gate/" + name, setup: func(t *testing.T, dir string) {
		tinyRepo(t, dir)
		if setup != nil {
			setup(t, dir)
		}
	}, args: append([]string{"gate", "--json", "out/report.json", "--markdown", "out/report.md", "--count", "2", "--benchtime", "1x", "--no-profiles"}, args...), want: want}
}

func tinyRepo(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "go.mod"), tinyMod)
	writeFile(t, filepath.Join(dir, "tiny_test.go"), tinyBench)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "one")
	writeFile(t, filepath.Join(dir, "tiny_test.go"), tinyBench+"\n// two\n")
	git(t, dir, "commit", "-q", "-a", "-m", "two")
}

// binary is n bytes of noise with NULs and line breaks, fixed by seed.
func binary(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

func badCases() []badCase {
	huge := "BenchmarkX-8 100 " + strings.Repeat("5", 100<<10) + " ns/op\n"
	golden, _ := os.ReadFile(filepath.Join("..", "..", "gate", "testdata", "report.json"))
	report := string(golden)
	cases := []badCase{
		// compare: the benchmark files.
		compareCase("truncated-line", "BenchmarkX-8 100 5 ns/op\nBenchmarkX-8 100", `new\.txt:2: missing measurements .*truncated output\?`),
		compareCase("truncated-unit", "BenchmarkX-8 100 5 ns/op\nBenchmarkX-8 100 5", `new\.txt:2: missing units`),
		compareCase("binary", binary(4096, 1), `new\.txt: no benchmark results`),
		compareCase("binary-value", "BenchmarkX-8 100 \x00\x01\x02 ns/op\n", `new\.txt:1: parsing measurement: invalid syntax`),
		compareCase("huge-line", huge, `new\.txt:1: a line longer than 64 KiB`),
		compareCase("huge-line-after-results", goodBench+huge, `new\.txt:7: a line longer than 64 KiB`),
		compareCase("nan", "BenchmarkX-8 100 NaN ns/op\nBenchmarkX-8 100 NaN ns/op\n", `new\.txt:1: BenchmarkX-8: NaN sec/op is not a finite number`),
		compareCase("inf", goodBench+"BenchmarkX-8 100 +Inf ns/op\n", `new\.txt:7: BenchmarkX-8: \+Inf ns/op is not a finite number`),
		compareCase("minus-inf-bytes", "BenchmarkX-8 100 5 ns/op -Inf B/op\n", `new\.txt:1: BenchmarkX-8: -Inf B/op is not a finite number`),
		compareCase("negative-time", strings.ReplaceAll(goodBench, " 5 ns", " -5 ns"), `new\.txt:1: BenchmarkX-8: -5e-09 sec/op is negative`),
		compareCase("negative-allocs", "BenchmarkX-8 100 5 ns/op 3 B/op -1 allocs/op\n", `new\.txt:1: BenchmarkX-8: -1 allocs/op is negative`),
		compareCase("duplicate-unit", "BenchmarkX-8 100 5 ns/op 7 ns/op\n", `new\.txt:1: BenchmarkX-8: unit sec/op given twice on one line`),
		compareCase("mixed-units", "BenchmarkX-8 100 5 ns/op\nBenchmarkX-8 100 0.005 ms/op\n", `new\.txt:2: BenchmarkX-8: mixed units: ms/op here, sec/op at new\.txt:1`),
		compareCase("mixed-units-between-sides", strings.ReplaceAll(goodBench, "ns/op", "ms/op"), `new\.txt:1: BenchmarkX-8: mixed units: ms/op here, sec/op in the base \(old\.txt:1\)`),
		compareCase("empty", "", `new\.txt: no benchmark results`),
		compareCase("header-only", "goos: linux\ngoarch: amd64\npkg: example.com/m\ncpu: X\n", `new\.txt: no benchmark results`),
		compareCase("no-benchmarks-ran", "PASS\nok  \texample.com/m\t0.01s\n", `new\.txt: no benchmark results`),
		compareCase("control-character", "BenchmarkX\x1b[2J-8 100 5 ns/op\n", `new\.txt:1: benchmark name .* holds the control character U\+001B`),
		compareCase("many-bad-lines", strings.Repeat("BenchmarkX-8 100 NaN ns/op\n", 5000), `(?s)new\.txt:10: .*new\.txt: \.\.\. and 4990 more like these`),
		{name: "compare/directory", files: map[string]string{"old.txt": goodBench, "new.txt/x": ""},
			args: []string{"compare", "old.txt", "new.txt", "--json", "out/report.json"}, want: `new\.txt: read .*new\.txt: is a directory`},
		{name: "compare/dangling-symlink", files: map[string]string{"old.txt": goodBench},
			setup: func(t *testing.T, dir string) { symlink(t, "nowhere.txt", filepath.Join(dir, "new.txt")) },
			args:  []string{"compare", "old.txt", "new.txt", "--json", "out/report.json"}, want: `open .*new\.txt: no such file or directory`},
		{name: "compare/missing-file", files: map[string]string{"old.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--json", "out/report.json"}, want: `open .*new\.txt: no such file or directory`},
		{name: "compare/one-file", files: map[string]string{"old.txt": goodBench},
			args: []string{"compare", "old.txt", "--json", "out/report.json"}, want: `want two files, OLD and NEW; got 1 argument`},
		{name: "compare/unknown-flag", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--nope", "--json", "out/report.json"}, want: `flag provided but not defined: -nope`},
		{name: "compare/flag-without-value", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--json"}, want: `flag needs an argument: -json`},
		{name: "compare/bad-alpha", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--alpha", "2", "--json", "out/report.json"}, want: `--alpha 2: want a level between 0 and 1`},
		{name: "compare/bad-correction", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--correction", "bogus", "--json", "out/report.json"}, want: `--correction "bogus": want one of`},
		{name: "compare/bad-fail-on", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--fail-on", "sometimes", "--json", "out/report.json"}, want: `fail-on "sometimes"`},
		{name: "compare/missing-config", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			args: []string{"compare", "old.txt", "new.txt", "--config", "nope.yaml", "--json", "out/report.json"}, want: `nope\.yaml: .*no such file or directory`},
		{name: "compare/broken-config", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench, "perfslo.yaml": "version: 1\nrun:\n  count: ten\n"},
			args: []string{"compare", "old.txt", "new.txt", "--json", "out/report.json"}, want: `perfslo\.yaml:3:10: run\.count: expected an integer, found "ten"`},

		// check: perfslo.yaml.
		checkCase("type-error", "version: 1\nrun:\n  count: ten\n", `perfslo\.yaml:3:10: run\.count: expected an integer, found "ten"`),
		checkCase("type-error-list", "version: 1\nbudgets: {benchmark: x}\n", `perfslo\.yaml:2:10: budgets: expected a list, found a mapping`),
		checkCase("unknown-key", "version: 1\ntolerances:\n  sec/op: 5%\n", `perfslo\.yaml:2:1: unknown key "tolerances" in perfslo\.yaml; did you mean "tolerance"\?`),
		checkCase("unknown-nested-key", budgetOK+"    limit: {sec/op: 1ms}\n", `perfslo\.yaml:6:5: unknown key "limit" in a budgets entry; did you mean "limits"\?`),
		checkCase("bad-expression", budgetOK+"    limits: {sec/op: 10ns * * lines}\n", `perfslo\.yaml:6:29: limit "10ns \* \* lines": unexpected \*`),
		checkCase("unknown-parameter", budgetOK+"    limits: {sec/op: 10ns * foo}\n", `perfslo\.yaml:6:29: limit "10ns \* foo" needs parameter "foo"`),
		checkCase("huge-number", budgetOK+"    limits: {sec/op: 1e400ns}\n", `perfslo\.yaml:6:22: limit "1e400ns": number out of range`),
		checkCase("negative-limit", budgetOK+"    limits: {allocs/op: -1}\n", `perfslo\.yaml:6:25: limit "-1" for benchmark BenchmarkX is negative`),
		checkCase("unknown-unit", budgetOK+"    limits: {furlongs: 1}\n", `perfslo\.yaml:6:14: unknown unit "furlongs"`),
		checkCase("bad-glob", "version: 1\nbudgets:\n  - benchmark: \"BenchmarkX[\"\n    operation: x\n    dataset: y\n    limits: {sec/op: 1ms}\n", `perfslo\.yaml:3:16: benchmark pattern "BenchmarkX\[": bad glob`),
		checkCase("duplicate-key", "version: 1\nversion: 1\n", `perfslo\.yaml:2:1: invalid YAML: mapping key "version" already defined`),
		checkCase("duplicate-nested-key", "version: 1\ntolerance:\n  sec/op: 5%\n  sec/op: 6%\n", `perfslo\.yaml:4:3: invalid YAML: mapping key "sec/op" already defined`),
		checkCase("duplicate-budget", budgetOK+"    limits: {sec/op: 1ms}\n"+strings.TrimPrefix(budgetOK, "version: 1\nbudgets:\n")+"    limits: {sec/op: 2ms}\n",
			`perfslo\.yaml:7:5: a second budget for BenchmarkX: the first \(line 3\) always matches first`),
		checkCase("bad-tolerance", "version: 1\ntolerance:\n  sec/op: 5 percent\n", `perfslo\.yaml:3:11: tolerance sec/op: "5 percent" is not a percentage`),
		checkCase("nan-tolerance", "version: 1\ntolerance:\n  sec/op: .nan\n", `perfslo\.yaml:3:11: tolerance sec/op: "\.nan" is not a percentage`),
		checkCase("bad-count", "version: 1\nrun:\n  count: -3\n", `perfslo\.yaml:3:10: run\.count -3: need at least 2 samples`),
		checkCase("bad-benchtime", "version: 1\nrun:\n  benchtime: fast\n", `perfslo\.yaml:3:14: run\.benchtime "fast": expected a positive duration`),
		checkCase("version-2", "version: 2\n", `perfslo\.yaml:1:10: unsupported version 2`),
		checkCase("empty", "", `perfslo\.yaml:1:1: empty config`),
		checkCase("truncated", "version: 1\nbudgets:\n  - benchmark: \"BenchmarkX\n", `perfslo\.yaml:3:16: invalid YAML: could not find end character of double-quoted text`),
		checkCase("tab-indent", "version: 1\nrun:\n\tcount: 3\n", `perfslo\.yaml:3:1: invalid YAML: found character '\t' that cannot start any token`),
		checkCase("alias-type", "version: 1\nrun: &a\n  count: *a\n", `perfslo\.yaml:3:10: run\.count: expected a single value`),
		checkCase("binary", binary(2048, 2), `perfslo\.yaml:1:1: perfslo\.yaml: expected a mapping \(key: value\), found ".{1,300}…"`),
		checkCase("nul-bytes", "version: 1\n\x00\x00\x00\n", `perfslo\.yaml:2:1: invalid YAML`),
		{name: "check/config-is-directory", files: map[string]string{"perfslo.yaml/x": ""},
			args: []string{"check", "--config", "perfslo.yaml", "--list=false"}, want: `perfslo\.yaml: .*is a directory`},
		{name: "check/missing-config", args: []string{"check", "--config", "perfslo.yaml", "--list=false"}, want: `perfslo\.yaml: .*no such file or directory`},

		// comment: the report from an artifact.
		commentCase("truncated", report[:500], `report\.json:\d+:\d+: unexpected end of JSON input`),
		commentCase("unknown-field", strings.Replace(report, `"schema": 1,`, `"schema": 1, "bogus": {"x": 1},`, 1), `report\.json:2:\d+: unknown field bogus`),
		commentCase("duplicate-field", strings.Replace(report, `"schema": 1,`, `"schema": 1, "schema": 1,`, 1), `report\.json:2:\d+: field schema given twice`),
		commentCase("edited-verdict", strings.Replace(report, `"verdict": "fail"`, `"verdict": "pass"`, 1), `report\.json: verdict pass with \d+ failed .* the report was edited or is corrupt`),
		commentCase("newer-schema", strings.Replace(report, `"schema": 1,`, `"schema": 99,`, 1), `report\.json: report schema 99 is newer`),
		commentCase("binary", binary(1024, 3), `report\.json:1:1: invalid character`),
		commentCase("not-a-report", `{"hello": "world"}`, `report\.json: not a perfslo report \(no "schema" field\)`),
		commentCase("control-character", strings.Replace(report, `"benchmark": "`, `"benchmark": "\u001b[31m`, 1), `report\.json: results\[0\]\.benchmark .* holds the control character U\+001B`),
		{name: "comment/too-big", setup: func(t *testing.T, dir string) { sparse(t, filepath.Join(dir, "report.json"), 64<<20+1) },
			args: []string{"comment", "--report", "report.json", "--markdown-only"}, want: `report\.json: file too large: 67108865 bytes, over the 64 MiB perfslo reads \(67108864 bytes\)`},
		{name: "comment/missing", args: []string{"comment", "--report", "report.json", "--markdown-only"}, want: `open .*report\.json: no such file or directory`},
		{name: "comment/positional", files: map[string]string{"report.json": report},
			args: []string{"comment", "report.json", "--markdown-only"}, want: `unexpected argument "report\.json" \(the report is --report F\)`},

		eventCase("event-truncated", "pull_request", `{"pull_request": {"number": 1, "head": {"sha": "abc"`, report, "", `event\.json:1:\d+: not a pull_request payload: unexpected end of JSON input`),
		eventCase("event-wrong-shape", "pull_request", `{"pull_request": {"number": "one"}}`, report, "", `event\.json:1:\d+: not a pull_request payload: json: cannot unmarshal string`),
		eventCase("event-without-head", "pull_request", `{"pull_request": {"number": 7}}`, report, "", `event\.json: pull_request payload without pull_request\.number and pull_request\.head\.sha`),
		eventCase("event-push-broken", "push", `{"after": `, report, "", `event\.json:1:\d+: not a push payload`),
		eventCase("event-unnamed-not-json", "", "\x00\x01", report, "", `event\.json:1:1: event payload is not a JSON object`),
		eventCase("pr-number-injection", "workflow_run", `{"workflow_run": {"head_sha": "abc", "pull_requests": []}}`, report, "12; rm -rf /\n", `pr_number:1: want a pull request number \(a positive integer\), found "12; rm -rf /"`),
		eventCase("pr-number-negative", "workflow_run", `{"workflow_run": {"head_sha": "abc", "pull_requests": []}}`, report, "-3", `pr_number:1: want a pull request number`),

		// gate: the repository and the module.
		gateCase("base-ref-missing", nil, `base ref "nope" not found in`, "--base", "nope"),
		gateCase("no-git", nil, `git not found in PATH`, "--base", "HEAD~1"),
		gateCase("detached-head-no-default-branch", func(t *testing.T, dir string) {
			git(t, dir, "checkout", "-q", "--detach", "HEAD")
			git(t, dir, "branch", "-q", "-D", "main")
		}, `no default branch in .*pass a base ref explicitly`),
		gateCase("not-a-repository", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, ".git")); err != nil {
				t.Fatal(err)
			}
		}, `--base needs a git repository .* is not inside a git repository`, "--base", "HEAD"),
		gateCase("not-a-module", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "go.mod")); err != nil {
				t.Fatal(err)
			}
		}, `is not inside a Go module \(no go\.mod found above it\)`, "--base", "HEAD~1"),
		gateCase("base-and-baseline", nil, `--base and --baseline exclude each other`, "--base", "HEAD~1", "--baseline", "main"),
		gateCase("count-1", nil, `--count 1: need at least 2 samples per side`, "--base", "HEAD~1", "--count", "1"),
		gateCase("bad-benchtime", nil, `--benchtime "soon": expected a positive duration`, "--base", "HEAD~1", "--benchtime", "soon"),
		gateCase("bad-bench-regexp", nil, `--bench "X\(": error parsing regexp`, "--base", "HEAD~1", "--bench", "X("),
		gateCase("baseline-missing", nil, `baseline "nosuch" not found: no baselines saved in`, "--baseline", "nosuch"),
		gateCase("broken-config", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "perfslo.yaml"), "version: 1\nbudgets:\n  - benchmark: BenchmarkTiny\n    limits: {sec/op: 1ms\n")
		}, `perfslo\.yaml:\d+:\d+: invalid YAML`, "--base", "HEAD~1"),
		gateCase("positional", nil, `unexpected argument "extra"`, "--base", "HEAD~1", "extra"),

		// other commands.
		{name: "unknown-command", args: []string{"frobnicate"}, want: `unknown command "frobnicate"`},
		{name: "staging/bad-server", files: map[string]string{"perfslo.yaml": "version: 1\nstaging:\n  service: demo\n  budgets:\n    - function: fmt\n      cpu-share: 10%\n"},
			args: []string{"staging", "check", "--server", "ftp://x", "--json", "out/report.json"}, want: `want an http:// or https:// URL`},
		{name: "baseline/show-missing", setup: tinyRepo, args: []string{"baseline", "show", "nosuch"}, want: `baseline "nosuch" not found`},
	}
	// The shallow clone: only the last commit, as actions/checkout fetches.
	shallow := func(t *testing.T, dir string) {
		src := filepath.Join(t.TempDir(), "src")
		if err := os.Mkdir(src, 0o755); err != nil {
			t.Fatal(err)
		}
		tinyRepo(t, src)
		git(t, dir, "clone", "-q", "--depth", "1", "file://"+src, ".")
	}
	cases = append(cases,
		badCase{name: "gate/shallow-clone-base", setup: shallow, want: `base ref "HEAD~1" not found in .*shallow clone.*fetch-depth: 0`,
			args: []string{"gate", "--json", "out/report.json", "--count", "2", "--benchtime", "1x", "--base", "HEAD~1"}},
		badCase{name: "gate/shallow-clone-default-base", setup: shallow, want: `has no parent in .*shallow clone`,
			args: []string{"gate", "--json", "out/report.json", "--count", "2", "--benchtime", "1x"}},
	)
	if os.Geteuid() != 0 {
		cases = append(cases, badCase{name: "compare/unreadable", files: map[string]string{"old.txt": goodBench, "new.txt": goodBench},
			setup: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "new.txt"), 0) },
			args:  []string{"compare", "old.txt", "new.txt", "--json", "out/report.json"}, want: `new\.txt: permission denied`})
	}
	return cases
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// sparse makes a file of size bytes that takes no disk space.
func sparse(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// buildPerfslo builds the command once for the corpus.
func buildPerfslo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "perfslo")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// badEnv is the test's environment without what could change a case's
// outcome (GitHub and Pyroscope settings), with a job summary file that
// must stay unwritten, and a PATH that holds go and git only (or go only,
// for the cases that set PATH=).
func badEnv(t *testing.T, dir string, extra []string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "PYROSCOPE_") || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "GIT_CONFIG_GLOBAL=/dev/null", "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary.md")), extra...)
}

// toolPath is a directory holding only the named tools (links to the real
// ones), for a PATH that lacks the others.
func toolPath(t *testing.T, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s not found: %v", tool, err)
		}
		symlink(t, p, filepath.Join(dir, tool))
	}
	return dir
}

func TestBadInputCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds perfslo and runs the gate on tiny repositories")
	}
	bin := buildPerfslo(t)
	withGit, withoutGit := "PATH="+toolPath(t, "go", "git"), "PATH="+toolPath(t, "go")
	cases := badCases()
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d cases, want at least 40", len(cases))
	}
	t.Logf("%d bad inputs", len(cases))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each case has its own directory and process
			dir := t.TempDir()
			for name, body := range c.files {
				writeFile(t, filepath.Join(dir, name), body)
			}
			if c.setup != nil {
				c.setup(t, dir)
			}
			path := withGit
			if strings.HasSuffix(c.name, "/no-git") {
				path = withoutGit
			}
			cmd := exec.Command(bin, c.args...)
			cmd.Dir = dir
			env := []string{path}
			for _, kv := range c.env {
				env = append(env, strings.ReplaceAll(kv, "{dir}", dir))
			}
			cmd.Env = badEnv(t, dir, env)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatalf("perfslo did not run: %v", err)
			}
			all := stdout.String() + stderr.String()
			if code != 1 {
				t.Errorf("exit %d, want 1\n%s", code, all)
			}
			if strings.Contains(all, "goroutine ") || strings.Contains(all, "panic:") {
				t.Errorf("a Go panic trace:\n%s", all)
			}
			if strings.Contains(all, "ghs_notarealtoken") {
				t.Errorf("the token was printed:\n%s", all)
			}
			if stderr.Len() > 4<<10 {
				t.Errorf("%d bytes on stderr: an error must say what is wrong, not flood the terminal", stderr.Len())
			}
			if ok, _ := regexp.MatchString(c.want, stderr.String()); !ok {
				t.Errorf("stderr does not match %q:\n%s", c.want, stderr.String())
			}
			for _, out := range badOutputs {
				if _, err := os.Lstat(filepath.Join(dir, out)); err == nil {
					t.Errorf("%s was written", out)
				}
			}
		})
	}
}
