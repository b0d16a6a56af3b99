package dashboard_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/pipeline"
	"github.com/perfslo/perfslo/internal/recorded"
	"github.com/perfslo/perfslo/internal/store"
)

// echartsVersion is the echarts release go-echarts v2.6 draws with.
const echartsVersion = "5.6.0"

// echartsJS returns a local echarts.min.js: from npm's echarts package,
// fetched once with npm pack and kept in the user cache (the dashboard
// must not need a CDN, and the 1 MB script is not committed).
func echartsJS(t *testing.T) string {
	t.Helper()
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		cacheDir = os.TempDir()
	}
	dst := filepath.Join(cacheDir, "perfslo", "echarts-"+echartsVersion, "echarts.min.js")
	if _, err := os.Stat(dst); err == nil {
		return dst
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pack := exec.CommandContext(ctx, "npm", "pack", "echarts@"+echartsVersion, "--silent", "--pack-destination", tmp)
	if out, err := pack.CombinedOutput(); err != nil {
		t.Fatalf("npm pack echarts@%s (the dashboard test needs echarts.min.js): %v\n%s", echartsVersion, err, out)
	}
	untar := exec.Command("tar", "-xzf", filepath.Join(tmp, "echarts-"+echartsVersion+".tgz"), "-C", tmp, "package/dist/echarts.min.js")
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("unpacking echarts: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(tmp, "package", "dist", "echarts.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteBytes(dst, data); err != nil {
		t.Fatal(err)
	}
	return dst
}

// chromium finds Debian's chromium (what .ci/run installs).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIP: no Chromium found (apt-get install -y chromium, as .ci/run does): the dashboard's browser test cannot run here")
	return ""
}

// exampleHistory records eight baselines of the examples' recorded runs
// (sum and jsonenc: 5 benchmarks), with Sum/lines=100000 slowing 3% and
// Encode 4% a commit, so creep and burn have something to show.
func exampleHistory(t *testing.T) (*store.GitBranch, *budgets.Config) {
	t.Helper()
	cfg, err := budgets.Load("../../examples/perfslo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.File = "examples/perfslo.yaml"
	var pools [][]string
	for _, f := range []string{"examples-sum.txt", "examples-jsonenc.txt"} {
		runs, err := recorded.Runs("../../bench/simulate/pools/" + f)
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, runs)
	}
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	h := recorded.History{Commits: 8, Start: start, Step: 24 * time.Hour, Meta: store.Meta{Name: "main"}, Policy: budgets.History{Keep: 100, Raw: 4},
		Results: func(i int) string {
			return recorded.Scale(recorded.Pick(pools[0], 0, 20), "BenchmarkSum/lines=100000", math.Pow(1.03, float64(i))) +
				recorded.Scale(recorded.Pick(pools[1], 0, 20), "BenchmarkEncode", math.Pow(1.04, float64(i)))
		}}
	g, _, err := h.Record(dir)
	if err != nil {
		t.Fatal(err)
	}
	return g, cfg
}

// TestDashboardInChromium renders the dashboard, loads it in headless
// Chromium, and checks that every chart was drawn and nothing was logged
// as an error; it leaves a screenshot where PERFSLO_SCREENSHOT says.
func TestDashboardInChromium(t *testing.T) {
	browser := chromium(t)
	g, cfg := exampleHistory(t)
	v, err := pipeline.LoadHistory(g, cfg, "", gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rows, err := pipeline.WriteDashboard(out, v, echartsJS(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("%d benchmarks on the index, want 5 (3 sums, encode, decode)", len(rows))
	}
	for i := 1; i < len(rows); i++ {
		if rows[i-1].Headroom != "—" && rows[i].Headroom != "—" && parsePct(rows[i-1].Headroom) > parsePct(rows[i].Headroom) {
			t.Errorf("index not sorted by headroom: %s before %s", rows[i-1].Headroom, rows[i].Headroom)
		}
	}
	if len(v.Creeping()) == 0 {
		t.Errorf("no creep to mark")
	}
	index := filepath.Join(out, "index.html")
	html, _ := os.ReadFile(index)
	for _, want := range []string{`"creep +`, `"RAER limit `, `"interval"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	dom, logs := load(t, browser, index)
	drawn := len(regexp.MustCompile(`_echarts_instance_="ec_`).FindAllString(dom, -1))
	canvases := strings.Count(dom, "<canvas")
	if drawn != len(rows) || canvases < len(rows) {
		t.Errorf("%d charts initialised and %d canvases for %d benchmarks\nconsole:\n%s", drawn, canvases, len(rows), logs)
	}
	if bad := consoleErrors(logs); len(bad) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(bad, "\n"))
	}
	// A benchmark's page: one chart per unit.
	page := filepath.Join(out, filepath.FromSlash(rows[0].Page))
	dom, logs = load(t, browser, page)
	if n := len(regexp.MustCompile(`_echarts_instance_="ec_`).FindAllString(dom, -1)); n < 3 {
		t.Errorf("%s: %d charts drawn, want one per unit (≥ 3)\n%s", rows[0].Page, n, logs)
	}
	if bad := consoleErrors(logs); len(bad) > 0 {
		t.Errorf("%s: console errors:\n%s", rows[0].Page, strings.Join(bad, "\n"))
	}
	// The check sees errors: a page with an uncaught one is caught.
	bad := filepath.Join(out, "bad.html")
	if err := os.WriteFile(bad, []byte("<html><body><script>undefinedFunction()</script></body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, logs := load(t, browser, bad); len(consoleErrors(logs)) == 0 {
		t.Errorf("an uncaught ReferenceError went unseen; the console check is blind:\n%s", logs)
	}
	if shot := os.Getenv("PERFSLO_SCREENSHOT"); shot != "" {
		screenshot(t, browser, index, shot)
	}
	t.Logf("index: %d charts, least headroom %s %s %s", drawn, rows[0].Benchmark, rows[0].Unit, rows[0].Headroom)
}

func parsePct(s string) float64 {
	var f float64
	fmt.Sscan(strings.TrimSuffix(s, "%"), &f)
	return f
}

// load runs headless Chromium on a page: its DOM after scripts ran, and
// what it logged (console messages and page errors).
func load(t *testing.T, browser, page string) (dom, logs string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, append(chromeFlags(t), "--virtual-time-budget=5000", "--dump-dom", "file://"+page)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v\n%s", page, err, stderr.String())
	}
	return string(out), stderr.String()
}

func screenshot(t *testing.T, browser, page, dst string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	abs, _ := filepath.Abs(dst)
	cmd := exec.CommandContext(ctx, browser, append(chromeFlags(t), "--virtual-time-budget=5000", "--window-size=1280,2400", "--screenshot="+abs, "file://"+page)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	t.Logf("screenshot: %s", abs)
}

func chromeFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0", "--allow-file-access-from-files"}
}

// consoleErrors picks the lines of Chromium's log that are the page's
// console errors or uncaught exceptions.
func consoleErrors(logs string) []string {
	var bad []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "ERROR") || strings.Contains(line, "Uncaught") || strings.Contains(line, "error")) {
			bad = append(bad, line)
		}
	}
	return bad
}
