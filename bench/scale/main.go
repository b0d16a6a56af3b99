// Command scale is the evaluation behind bench/scale/results.md: perfslo on
// generated repositories at scale. It runs the real perfslo binary on
//
//   - a module of 20 benchmarked packages (a 10-link dependency chain and
//     10 independent leaves): a change in one leaf gates only that leaf, a
//     change at the bottom of the chain the chain, a go.mod change all, and
//     the time an --affected gate saves over --all;
//   - three shards of one change, merged, against one unsharded judgement
//     (perfslo compare) of the same raw samples;
//   - a two-module go.work workspace whose benchmark names clash;
//   - the base binary cache: a second gate's base build time, cold vs warm
//     cache, and without the cache.
//
// It writes every command it ran and what it printed (the verdict lines
// and the numbers) to -out. Usage: go run ./bench/scale -perfslo bin/perfslo
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/bench/scale/genrepo"
	"github.com/perfslo/perfslo/gate"
)

var (
	perfslo = flag.String("perfslo", "bin/perfslo", "the perfslo binary")
	out     = flag.String("out", "bench/scale/results.md", "results file")
	count   = flag.Int("count", 6, "samples per side")
	bt      = flag.String("benchtime", "20ms", "benchtime per sample")
)

// md collects the results file.
var md strings.Builder

func main() {
	flag.Parse()
	log.SetFlags(0)
	bin, err := filepath.Abs(*perfslo)
	if err != nil {
		log.Fatal(err)
	}
	*perfslo = bin
	work, err := os.MkdirTemp("", "perfslo-scale-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	outDir = filepath.Join(work, "reports")
	must(os.MkdirAll(outDir, 0o755))
	ver, _ := exec.Command(bin, "version").Output()
	fmt.Fprintf(&md, "# perfslo at scale: affected packages, shards, workspaces, cached base builds\n\n")
	fmt.Fprintf(&md, "Produced by `make bench-scale` (`go run ./bench/scale`) on %s, %s; gates measure with `--count %d --benchtime %s --confirm 0 --no-profiles` unless the command says otherwise; `$OUT` is a directory outside the generated repositories that receives the reports. The machine is shared with other jobs (1-minute load average at the start: %s), so times are indicative; selections and the equality of merged and unsharded verdicts are exact.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.TrimSpace(string(ver)), *count, *bt, loadavg())
	affectedSection(work)
	shardSection(work)
	workspaceSection(work)
	cacheSection(work)
	fmt.Fprintf(&md, "\n1-minute load average at the end: %s.\n", loadavg())
	if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
}

// result is one perfslo run.
type result struct {
	args   []string
	wall   time.Duration
	code   int
	stderr string
	stdout string
	report *gate.Report
	gated  int // packages with rows
}

// gateArgs are the common measuring settings.
func gateArgs(extra ...string) []string { return gateArgsN(*count, extra...) }

// gateArgsN is gateArgs with n samples per side.
func gateArgsN(n int, extra ...string) []string {
	return append([]string{"gate", "--count", fmt.Sprint(n), "--benchtime", *bt, "--confirm", "0", "--no-profiles", "--fail-on", "never"}, extra...)
}

// outDir holds every report, outside the generated repositories: a
// report written inside one would be an untracked change to the next gate.
var outDir string

// perf runs perfslo in dir; a JSON report at json (relative to outDir) is
// read.
func perf(dir, json string, args ...string) result {
	cmd := exec.Command(*perfslo, args...)
	cmd.Dir = dir
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, wall: time.Since(start), stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		log.Fatal(err)
	}
	if json != "" {
		var err error
		if r.report, err = gate.ReadJSONFile(filepath.Join(outDir, json)); err != nil {
			log.Fatalf("perfslo %s: %v\n%s", strings.Join(args, " "), err, se.String())
		}
		pkgs := map[string]bool{}
		for _, row := range r.report.Results {
			pkgs[row.Package] = true
		}
		r.gated = len(pkgs)
	}
	log.Printf("perfslo %s: %s, exit %d", strings.Join(args, " "), r.wall.Round(time.Millisecond), r.code)
	return r
}

// line is the first stdout/stderr line matching re.
func (r result) line(re string) string {
	m := regexp.MustCompile(re)
	for _, l := range strings.Split(r.stderr+"\n"+r.stdout, "\n") {
		if m.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return "(no line matching " + re + ")"
}

// show writes the command and the lines of its output that matter.
func show(dir string, r result, patterns ...string) {
	cmdline := strings.ReplaceAll(strings.Join(r.args, " "), outDir, "$OUT")
	cmdline = strings.ReplaceAll(cmdline, filepath.Dir(outDir), "$WORK")
	fmt.Fprintf(&md, "```\n$ cd %s && perfslo %s   # %.1fs, exit %d\n", dir, cmdline, r.wall.Seconds(), r.code)
	for _, p := range patterns {
		fmt.Fprintln(&md, r.line(p))
	}
	fmt.Fprint(&md, "```\n\n")
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func affectedSection(work string) {
	dir := filepath.Join(work, "chain")
	must(os.MkdirAll(dir, 0o755))
	must(genrepo.Chain(dir, 10, 10))
	fmt.Fprintf(&md, "## 1. Affected packages only (20 packages: chain/c01←c02←…←c10, leaf/l01…l10)\n\n")
	must(genrepo.Touch(dir, "leaf/l05/l05.go"))
	must(genrepo.Commit(dir, "touch leaf l05"))
	cache := []string{"--cache", filepath.Join(work, "cache-affected")}
	leaf := perf(dir, "leaf.json", gateArgs(append(cache, "--base", "HEAD~1", "--affected", "--json", rep("leaf.json"))...)...)
	all := perf(dir, "all.json", gateArgs(append(cache, "--base", "HEAD~1", "--affected", "--all", "--json", rep("all.json"))...)...)
	fmt.Fprintf(&md, "A comment added to `leaf/l05/l05.go`, committed; base `HEAD~1`:\n\n")
	show("chain", leaf, `^perfslo: gating`, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	show("chain", all, `^perfslo: gating`, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	fmt.Fprintf(&md, "| run | packages gated | skipped | rows | wall time |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&md, "| `--affected` | %d (%s) | %d | %d | %.1fs |\n", leaf.gated, gatedNames(leaf), len(leaf.report.Skipped), len(leaf.report.Results), leaf.wall.Seconds())
	fmt.Fprintf(&md, "| `--affected --all` | %d | %d | %d | %.1fs |\n\n", all.gated, len(all.report.Skipped), len(all.report.Results), all.wall.Seconds())
	fmt.Fprintf(&md, "Time saved by `--affected`: %.1fs of %.1fs (%.0f%%).\n\n", (all.wall - leaf.wall).Seconds(), all.wall.Seconds(), 100*(1-leaf.wall.Seconds()/all.wall.Seconds()))

	must(genrepo.Touch(dir, "chain/c01/c01.go"))
	must(genrepo.Commit(dir, "touch chain c01"))
	bottom := perf(dir, "bottom.json", gateArgs(append(cache, "--base", "HEAD~1", "--affected", "--json", rep("bottom.json"))...)...)
	fmt.Fprintf(&md, "A change at the bottom of the chain (`chain/c01/c01.go`) gates every package that depends on it, and no leaf:\n\n")
	show("chain", bottom, `^perfslo: gating`, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	fmt.Fprintf(&md, "Gated: %s.\n\n", gatedNames(bottom))

	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	must(err)
	_, err = f.WriteString("\n// a comment in go.mod\n")
	must(err)
	must(f.Close())
	must(genrepo.Commit(dir, "go.mod"))
	gomod := perf(dir, "gomod.json", gateArgs(append(cache, "--base", "HEAD~1", "--affected", "--json", rep("gomod.json"))...)...)
	fmt.Fprintf(&md, "A change to go.mod gates everything:\n\n")
	show("chain", gomod, `^perfslo: gating`, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	fmt.Fprintf(&md, "Packages gated: %d of 20, skipped: %d.\n\n", gomod.gated, len(gomod.report.Skipped))
}

func gatedNames(r result) string {
	pkgs := map[string]bool{}
	for _, row := range r.report.Results {
		pkgs[strings.TrimPrefix(row.Package, genrepo.Module+"/")] = true
	}
	var names []string
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func shardSection(work string) {
	dir := filepath.Join(work, "shards")
	must(os.MkdirAll(dir, 0o755))
	must(genrepo.Chain(dir, 10, 10))
	// A real change: c04 gets slower (and so does every link above it), a
	// leaf gets slower and another faster.
	for file, edit := range map[string][2]string{"chain/c04/c04.go": {"i < 50", "i < 150"}, "leaf/l03/l03.go": {"i < 200", "i < 400"}, "leaf/l07/l07.go": {"i < 200", "i < 50"}} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		must(err)
		must(os.WriteFile(filepath.Join(dir, file), bytes.Replace(data, []byte(edit[0]), []byte(edit[1]), 1), 0o644))
	}
	must(genrepo.Commit(dir, "c04 and l03 slower, l07 faster"))
	fmt.Fprintf(&md, "## 2. Three shards merged = one judgement of the same samples\n\n")
	fmt.Fprintf(&md, "A change that slows `chain/c04` (so c04…c10) and `leaf/l03` and speeds up `leaf/l07`; `--affected` selects 9 packages, split over 3 shards by benchmark count:\n\n")
	files, merged, one := runShards(dir)
	compareShards(files, merged, one)
	missing := perf(dir, "", "merge", files[0], files[2])
	dup := perf(dir, "", "merge", files[0], files[1], files[1], files[2])
	fmt.Fprintf(&md, "A missing or duplicated shard is an error (exit 1):\n\n")
	show("shards", missing, `perfslo merge:`)
	show("shards", dup, `perfslo merge:`)
}

// runShards gates the three shards at --count 10 (enough samples to see
// the change on this machine), merges them, and judges their samples'
// union once with perfslo compare.
func runShards(dir string) (files []string, merged, one result) {
	var base, head []byte
	for i := 1; i <= 3; i++ {
		json := fmt.Sprintf("report-%d.json", i)
		r := perf(dir, json, gateArgsN(10, "--base", "HEAD~1", "--affected", "--shard", fmt.Sprintf("%d/3", i), "--cache", "off", "--json", rep(json))...)
		show("shards", r, `^perfslo: shard`, `^perfslo: (PASS|FAIL|UNDECIDED)`)
		files = append(files, rep(json))
		b, err := os.ReadFile(filepath.Join(outDir, r.report.Samples.Base))
		must(err)
		h, err := os.ReadFile(filepath.Join(outDir, r.report.Samples.Head))
		must(err)
		base, head = append(base, b...), append(head, h...)
	}
	merged = perf(dir, "merged.json", append([]string{"merge"}, append(files, "--json", rep("merged.json"), "--fail-on", "never")...)...)
	show("shards", merged, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	must(os.WriteFile(rep("all-base.txt"), base, 0o644))
	must(os.WriteFile(rep("all-head.txt"), head, 0o644))
	one = perf(dir, "one.json", "compare", rep("all-base.txt"), rep("all-head.txt"), "--json", rep("one.json"), "--fail-on", "never")
	show("shards", one, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	return files, merged, one
}

// compareShards tabulates merged against unsharded, row by row.
func compareShards(files []string, merged, one result) {
	same, rows := 0, len(one.report.Results)
	fmt.Fprintf(&md, "| package | unit | merged verdict | unsharded verdict | merged p (BH over the suite) | its shard's own BH p |\n|---|---|---|---|---|---|\n")
	shardAdj := map[string]*float64{}
	for i := 1; i <= 3; i++ {
		r, err := gate.ReadJSONFile(files[i-1])
		must(err)
		for _, row := range r.Results {
			shardAdj[row.Package+" "+row.Unit] = row.PAdjusted
		}
	}
	for i, o := range one.report.Results {
		m := merged.report.Results[i]
		if m.Package == o.Package && m.Unit == o.Unit && m.Verdict == o.Verdict && eq(m.PAdjusted, o.PAdjusted) {
			same++
		}
		if o.Unit == "sec/op" {
			fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(o.Package, genrepo.Module+"/"), o.Unit, m.Verdict, o.Verdict, p(m.PAdjusted), p(shardAdj[o.Package+" "+o.Unit]))
		}
	}
	fmt.Fprintf(&md, "\n%d of %d rows (all units) have the same verdict and adjusted p merged as unsharded. Tests in the correction: merged %d, unsharded %d.\n\n", same, rows, merged.report.Settings.Tests, one.report.Settings.Tests)
}

func p(x *float64) string {
	if x == nil {
		return "–"
	}
	return fmt.Sprintf("%.4f", *x)
}

func eq(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func workspaceSection(work string) {
	dir := filepath.Join(work, "ws")
	must(os.MkdirAll(dir, 0o755))
	must(genrepo.Workspace(dir))
	must(genrepo.Touch(dir, "b/parse/parse.go"))
	must(genrepo.Commit(dir, "touch b/parse"))
	fmt.Fprintf(&md, "## 3. A two-module go.work workspace (`a/` = example.com/a, `b/` = example.com/b, each with `parse.BenchmarkParse`)\n\n")
	aff := perf(dir, "affected.json", gateArgs("--base", "HEAD~1", "--affected", "--cache", "off", "--json", rep("affected.json"))...)
	show("ws", aff, `^perfslo: gating`, `^perfslo: (PASS|FAIL|UNDECIDED)`)
	all := perf(dir, "ws-all.json", gateArgs("--base", "HEAD~1", "--cache", "off", "--json", rep("ws-all.json"))...)
	show("ws", all, `^perfslo: building head`, `^perfslo: (PASS|FAIL|UNDECIDED)`, `^pkg: example.com/a/parse`, `^pkg: example.com/b/parse`, `\(a/parse\)`, `\(b/parse\)`)
	fmt.Fprintf(&md, "| benchmark | package | module | unit | verdict |\n|---|---|---|---|---|\n")
	for _, row := range all.report.Results {
		if row.Unit == "sec/op" {
			fmt.Fprintf(&md, "| %s | %s | %s | %s | %s |\n", row.Benchmark, row.Package, row.Module, row.Unit, row.Verdict)
		}
	}
	fmt.Fprintln(&md)
}

var builtRe = regexp.MustCompile(`base built in ([0-9.]+)s \((\d+) of (\d+)`)

func cacheSection(work string) {
	dir := filepath.Join(work, "cache")
	must(os.MkdirAll(dir, 0o755))
	must(genrepo.Chain(dir, 10, 10))
	must(genrepo.Touch(dir, "leaf/l01/l01.go"))
	must(genrepo.Commit(dir, "touch l01"))
	fmt.Fprintf(&md, "## 4. Cached base builds (20 packages, `--affected --all`, base `HEAD~1`)\n\n")
	fmt.Fprintf(&md, "| gate | cache | base build time | binaries from the cache |\n|---|---|---|---|\n")
	cacheDir := filepath.Join(work, "bincache")
	var shown []result
	for _, run := range []struct{ name, cache string }{
		{"1st", "off"}, {"2nd", "off"}, {"1st (cold cache)", cacheDir}, {"2nd (same base)", cacheDir},
	} {
		// Build times are the point here: the fewest samples that run.
		r := perf(dir, "", "gate", "--count", "2", "--benchtime", "1x", "--confirm", "0", "--no-profiles", "--fail-on", "never", "--base", "HEAD~1", "--affected", "--all", "--cache", run.cache)
		m := builtRe.FindStringSubmatch(r.stderr)
		if m == nil {
			log.Fatalf("no build time in:\n%s", r.stderr)
		}
		label := "off"
		if run.cache != "off" {
			label = "on"
		}
		fmt.Fprintf(&md, "| %s | %s | %ss | %s of %s |\n", run.name, label, m[1], m[2], m[3])
		shown = append(shown, r)
	}
	fmt.Fprintln(&md)
	for _, r := range shown {
		show("cache", r, `base built in`)
	}
	fmt.Fprintf(&md, "Without the cache the second gate's base build takes as long as the first's (each gate checks the base out into a new temporary worktree and runs `go test -c` there); with it, the base's binaries are linked from the cache.\n")
}

// rep is a report's path in outDir.
func rep(name string) string { return filepath.Join(outDir, name) }

// loadavg is the 1-minute load average, "unknown" off Linux.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}
