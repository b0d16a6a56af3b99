package inject

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// setConfig parses the given knob values for one test and restores the
// link-time configuration afterwards.
func setConfig(t *testing.T, work, allocs, sites string) {
	t.Helper()
	saved := config
	t.Cleanup(func() { config = saved })
	if err := parse(work, allocs, sites); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		work, allocs, sites string
		wantWork            float64
		wantAllocs          int
		wantSites           []string
		err                 string
	}{
		{},
		{work: "5", wantWork: 0.05},
		{work: " 30% ", wantWork: 0.30},
		{work: "2.5", allocs: "3", wantWork: 0.025, wantAllocs: 3},
		{allocs: "1", sites: "sum, jsonenc,", wantAllocs: 1, wantSites: []string{"jsonenc", "sum"}},
		{work: "five", err: `inject.Work="five": want a percentage`},
		{work: "-1", err: `inject.Work="-1": want a percentage`},
		{allocs: "1.5", err: `inject.Allocs="1.5": want a whole number`},
		{allocs: "-2", err: `inject.Allocs="-2": want a whole number`},
	} {
		saved := config
		err := parse(tc.work, tc.allocs, tc.sites)
		got := config
		config = saved
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parse(%q, %q) error = %v, want one containing %q", tc.work, tc.allocs, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse(%q, %q, %q): %v", tc.work, tc.allocs, tc.sites, err)
			continue
		}
		if got.work != tc.wantWork || got.allocs != tc.wantAllocs || len(got.sites) != len(tc.wantSites) {
			t.Errorf("parse(%q, %q, %q) = %+v, want work %v allocs %d sites %v", tc.work, tc.allocs, tc.sites, got, tc.wantWork, tc.wantAllocs, tc.wantSites)
		}
		for _, s := range tc.wantSites {
			if !got.sites[s] {
				t.Errorf("parse(%q, %q, %q): site %q missing from %v", tc.work, tc.allocs, tc.sites, s, got.sites)
			}
		}
	}
}

func TestSiteEnabled(t *testing.T) {
	for _, tc := range []struct {
		work, allocs, sites string
		site                string
		want                bool
	}{
		{site: "sum", want: false},
		{work: "0", allocs: "0", site: "sum", want: false},
		{work: "5", site: "sum", want: true},
		{allocs: "1", site: "sum", want: true},
		{work: "5", sites: "jsonenc", site: "sum", want: false},
		{work: "5", sites: "jsonenc,sum", site: "sum", want: true},
	} {
		setConfig(t, tc.work, tc.allocs, tc.sites)
		if got := NewSite(tc.site).Enabled(); got != tc.want {
			t.Errorf("Work=%q Allocs=%q Sites=%q: NewSite(%q).Enabled() = %v, want %v", tc.work, tc.allocs, tc.sites, tc.site, got, tc.want)
		}
	}
}

func TestAllocs(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		setConfig(t, "", strconv.Itoa(n), "")
		site := NewSite("test")
		got := testing.AllocsPerRun(100, func() { site.Begin().End() })
		if got != float64(n) {
			t.Errorf("Allocs=%d: %v allocations per operation, want exactly %d", n, got, n)
		}
	}
}

// TestWork checks that End stretches an operation to (1+Work/100) times its
// real duration. Timing on a shared machine is noisy, so it measures a
// 2 ms operation and accepts a generous band.
func TestWork(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	setConfig(t, "50", "", "")
	site := NewSite("test")
	const real = 2 * time.Millisecond
	var best time.Duration
	for range 5 {
		start := time.Now()
		op := site.Begin()
		spend(real) // the operation's real work
		op.End()
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	if want := real * 3 / 2; best < want || best > want+want/5 {
		t.Fatalf("Work=50 on a %v operation took %v, want about %v", real, best, want)
	}
}

// TestLinkTime builds a program with the knob set by -ldflags -X, as the
// harness does, and checks both that the values arrive and that a bad one
// stops the program with a message instead of injecting nothing.
func TestLinkTime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "knob")
	const pkg = "github.com/perfslo/perfslo/examples/internal/inject"
	build := func(ldflags string) {
		t.Helper()
		out, err := exec.Command("go", "build", "-o", bin, "-ldflags", ldflags, "./testdata/knob").CombinedOutput()
		if err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}

	build("-X " + pkg + ".Work=5 -X " + pkg + ".Allocs=1 -X " + pkg + ".Sites=sum")
	out, err := exec.Command(bin).CombinedOutput()
	if want := `work="5" allocs="1" sum=true jsonenc=false` + "\n"; err != nil || string(out) != want {
		t.Fatalf("knob with Work=5 Allocs=1 Sites=sum printed %q (%v), want %q", out, err, want)
	}

	build("-X " + pkg + ".Work=5x")
	out, err = exec.Command(bin).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), `inject.Work="5x": want a percentage`) {
		t.Fatalf("knob with Work=5x: exit %v, output %q; want exit 2 naming the bad value", err, out)
	}
}
