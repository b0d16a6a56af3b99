package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/profiles"
)

func TestProfileBenchRegexp(t *testing.T) {
	for name, want := range map[string]string{
		"BenchmarkSum":              "^BenchmarkSum$",
		"Sum/lines=1000":            "^BenchmarkSum$/^lines=1000$",
		"BenchmarkX/a.b/c+d":        `^BenchmarkX$/^a\.b$/^c\+d$`,
		"BenchmarkParse/size=(1|2)": `^BenchmarkParse$/^size=\(1\|2\)$`,
	} {
		got := BenchRegexp(name)
		if got != want {
			t.Errorf("BenchRegexp(%q) = %q, want %q", name, got, want)
		}
		for _, part := range strings.Split(got, "/") {
			if _, err := regexp.Compile(part); err != nil {
				t.Errorf("BenchRegexp(%q): %v", name, err)
			}
		}
	}
	if got := FileName("BenchmarkSum/lines=1000"); got != "BenchmarkSum_lines=1000" {
		t.Errorf("FileName = %q", got)
	}
}

// TestProfileAllocExact profiles a real benchmark that makes one 64-byte
// allocation per op and checks the per-op arithmetic end to end.
func TestProfileAllocExact(t *testing.T) {
	_, pkgs := builtFixture(t)
	dir := t.TempDir()
	pr, err := Profile(context.Background(), pkgs["fast"], "BenchmarkAlloc", ProfileOptions{
		OutDir: dir, Iters: 20000, Mem: true, CPU: 1, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cpu %s b.N=%d; mem %s b.N=%d; mem2 %s b.N=%d; %s",
		filepath.Base(pr.CPUProfile), pr.CPUResult.Iters, filepath.Base(pr.MemProfile), pr.MemResult.Iters,
		filepath.Base(pr.MemShortProfile), pr.MemShortResult.Iters, pr.Elapsed)
	if pr.CPUResult.Iters != 20000 {
		t.Errorf("CPU run b.N = %d, want the requested 20000", pr.CPUResult.Iters)
	}
	if pr.MemShortResult.Iters != 2 || pr.MemResult.Iters < 6 || pr.MemResult.Iters > 20000 {
		t.Errorf("allocation runs b.N = %d and %d", pr.MemResult.Iters, pr.MemShortResult.Iters)
	}
	if _, err := profiles.LoadMeasured(pr.CPUProfile, int64(pr.CPUResult.Iters)); err != nil {
		t.Error(err)
	}
	long, err := profiles.LoadMeasured(pr.MemProfile, int64(pr.MemResult.Iters))
	if err != nil {
		t.Fatal(err)
	}
	short, err := profiles.LoadMeasured(pr.MemShortProfile, int64(pr.MemShortResult.Iters))
	if err != nil {
		t.Fatal(err)
	}
	exact, err := profiles.Subtract(long, short)
	if err != nil {
		t.Fatal(err)
	}
	if rows := budgetRows(exact); len(rows) != 1 || rows[0].allocs != 1 || rows[0].bytes != 64 {
		t.Errorf("BenchmarkAlloc per op = %+v, want exactly 1 alloc of 64 B", rows)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files in the profile directory, want 3", len(entries))
	}
}

type profilesRow struct{ allocs, bytes float64 }

// budgetRows reads BenchmarkAlloc's allocations per op through the public
// function-budget path.
func budgetRows(m *profiles.Measured) []profilesRow {
	rows := profiles.BudgetRows(&budgetsAlloc, profiles.BudgetTarget{Benchmark: "BenchmarkAlloc", Mem: m})
	if len(rows) != 2 || rows[0].Head == nil || rows[1].Head == nil {
		return nil
	}
	return []profilesRow{{allocs: rows[0].Head.Center, bytes: rows[1].Head.Center}}
}

func TestProfileSubBenchmarkAndCalibration(t *testing.T) {
	_, pkgs := builtFixture(t)
	// No Iters and no SecPerOp: a calibration run sizes the CPU profile.
	// The benchmark reads testdata/, so this also checks the directory.
	pr, err := Profile(context.Background(), pkgs["fast"], "BenchmarkTestdata/n=1", ProfileOptions{
		OutDir: t.TempDir(), Duration: 50 * time.Millisecond, CPU: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := pr.CPUResult.Name.String(); got != "Testdata/n=1" {
		t.Errorf("profiled %q", got)
	}
	if pr.CPUResult.Iters < 1000 {
		t.Errorf("calibrated b.N = %d, want thousands for an empty loop", pr.CPUResult.Iters)
	}
	if pr.MemProfile != "" {
		t.Errorf("memory profile without Mem")
	}
}

func TestProfileErrors(t *testing.T) {
	_, pkgs := builtFixture(t)
	ctx := context.Background()
	_, err := Profile(ctx, pkgs["fast"], "BenchmarkNope", ProfileOptions{OutDir: t.TempDir(), Iters: 10})
	if !errors.Is(err, ErrNoBenchmark) || !strings.Contains(err.Error(), "cpu profile of BenchmarkNope in example.com/bench/fast") {
		t.Errorf("missing benchmark: %v", err)
	}
	_, err = Profile(ctx, pkgs["fails"], "BenchmarkFatal", ProfileOptions{OutDir: t.TempDir(), Iters: 10})
	if err == nil || !strings.Contains(err.Error(), "cpu profile of BenchmarkFatal in example.com/bench/fails: fail:") || !strings.Contains(err.Error(), "boom fatal") {
		t.Errorf("failing benchmark: %v", err)
	}
	_, err = Profile(ctx, pkgs["slow"], "BenchmarkSleep", ProfileOptions{OutDir: t.TempDir(), Iters: 1, Timeout: 500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("timeout: %v", err)
	}
}

var budgetsAlloc = budgets.Budget{Profile: &budgets.ProfileBudget{
	AllocsPerOp: map[string]float64{`fast\.BenchmarkAlloc$`: 1},
	BytesPerOp:  map[string]float64{`fast\.BenchmarkAlloc$`: 64},
}}
