package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// readRuns reads runs.jsonl; a torn last line (an interrupted write) is dropped.
func readRuns(path string) ([]Run, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []Run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	var bad error
	for sc.Scan() {
		line++
		if bad != nil {
			return nil, bad // a bad line that was not the last
		}
		var r Run
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad = fmt.Errorf("%s:%d: %v", path, line, err)
			continue
		}
		runs = append(runs, r)
	}
	return runs, sc.Err()
}

// Summary is one table line: a tool on a module's scenario.
type Summary struct {
	Runs, RunsFlagged, Crashes int
	// Injected is injected rows × runs; Detected of them were flagged;
	// RunsAll counts runs that flagged every injected row.
	Injected, Detected, RunsAll int
	// Untouched is untouched rows × runs; FalseFlags of them were flagged.
	Untouched, FalseFlags int
	Undecided             int     // decision rows left undecided, over all runs
	ExcludedFlags         int     // flags on excluded rows (neither right nor wrong)
	SideFlags             int     // flags on B/s and custom-unit rows (not counted)
	UnknownRows           int     // rows a tool printed that the ground truth lacks
	MedianWall            float64 // seconds
	// Per row: how often flagged when untouched, missed when injected.
	FalseByRow, MissedByRow, UndecidedByRow map[string]int
	Errors                                  map[string]int
}

// summarize scores runs of one cell against the ground truth.
func summarize(runs []Run, truth map[string]TruthRow) Summary {
	s := Summary{FalseByRow: map[string]int{}, MissedByRow: map[string]int{}, UndecidedByRow: map[string]int{}, Errors: map[string]int{}}
	var walls []float64
	var injected []string
	for k, t := range truth {
		if t.Class == classInjected {
			injected = append(injected, k)
		}
	}
	sort.Strings(injected)
	for _, r := range runs {
		s.Runs++
		walls = append(walls, r.Wall)
		if r.Crash {
			s.Crashes++
			s.Errors[r.Error]++
		}
		flagged := map[string]bool{}
		any := false
		for _, o := range r.Rows {
			k := o.key()
			t, known := truth[k]
			if unitClass(o.Unit) != "" {
				if o.Outcome == outFlag {
					s.SideFlags++
				}
				continue
			}
			if !known {
				s.UnknownRows++
				continue
			}
			if o.Outcome == outFlag {
				any = true
				flagged[k] = true
				switch t.Class {
				case classUntouched:
					s.FalseFlags++
					s.FalseByRow[label(t)]++
				case classExcluded:
					s.ExcludedFlags++
				}
			}
			if o.Outcome == outUndecided {
				s.Undecided++
				s.UndecidedByRow[label(t)]++
			}
		}
		if any {
			s.RunsFlagged++
		}
		for _, t := range truth {
			if t.Class == classUntouched {
				s.Untouched++
			}
		}
		all := true
		for _, k := range injected {
			s.Injected++
			if flagged[k] {
				s.Detected++
			} else {
				all = false
				s.MissedByRow[label(truth[k])]++
			}
		}
		if all && len(injected) > 0 {
			s.RunsAll++
		}
	}
	s.MedianWall = median(walls)
	return s
}

func label(t TruthRow) string { return t.Benchmark + " " + t.Unit }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	n := len(ys)
	if n%2 == 1 {
		return ys[n/2]
	}
	return (ys[n/2-1] + ys[n/2]) / 2
}

// scenarioTitle names a scenario in tables.
func scenarioTitle(s string) string {
	if s == scenAA {
		return "A/A (no-op commit)"
	}
	return "A/B (injected regressions)"
}

// writeTables writes the side-by-side tables of every module and scenario.
func writeTables(w io.Writer, mods []Module, truths map[string]*Truth, runs []Run) {
	for _, m := range mods {
		t := truths[m.Name]
		if t == nil {
			continue
		}
		for _, scen := range scenarios {
			truth := abTruth(t)
			if scen == scenAA {
				truth = aaTruth(t)
			}
			nInj, nUn, nEx := 0, 0, 0
			for _, r := range truth {
				switch r.Class {
				case classInjected:
					nInj++
				case classUntouched:
					nUn++
				case classExcluded:
					nEx++
				}
			}
			fmt.Fprintf(w, "\n### %s@%s — %s\n\n", m.Path, m.Version, scenarioTitle(scen))
			fmt.Fprintf(w, "Rows (sec/op, B/op, allocs/op): %d injected, %d untouched, %d excluded.\n\n", nInj, nUn, nEx)
			fmt.Fprintln(w, "| tool | runs | runs with any flag | detections | runs flagging every injected row | false flags (untouched rows flagged) | undecided rows | crashes (no report) | median wall |")
			fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
			sums := map[string]Summary{}
			for _, tool := range tools {
				var rs []Run
				for _, r := range runs {
					if r.Module == m.Name && r.Scenario == scen && r.Tool == tool {
						rs = append(rs, r)
					}
				}
				s := summarize(rs, truth)
				sums[tool] = s
				det, all := "—", "—"
				if s.Injected > 0 || nInj > 0 {
					det = fmt.Sprintf("%d / %d", s.Detected, s.Injected)
					all = fmt.Sprintf("%d / %d", s.RunsAll, s.Runs)
				}
				und := fmt.Sprint(s.Undecided)
				if tool == toolBenchstat {
					und = "— (no such outcome)"
				}
				fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %d / %d | %s | %d | %.0f s |\n",
					tool, s.Runs, s.RunsFlagged, det, all, s.FalseFlags, s.Untouched, und, s.Crashes, s.MedianWall)
			}
			for _, tool := range tools {
				s := sums[tool]
				var notes []string
				if len(s.FalseByRow) > 0 {
					notes = append(notes, "false flags: "+countList(s.FalseByRow))
				}
				if len(s.MissedByRow) > 0 {
					notes = append(notes, "missed: "+countList(s.MissedByRow))
				}
				if s.ExcludedFlags > 0 {
					notes = append(notes, fmt.Sprintf("%d flag(s) on excluded rows", s.ExcludedFlags))
				}
				if s.SideFlags > 0 {
					notes = append(notes, fmt.Sprintf("%d flag(s) on B/s or custom-unit rows (not counted)", s.SideFlags))
				}
				if s.UnknownRows > 0 {
					notes = append(notes, fmt.Sprintf("%d row(s) not in the ground truth", s.UnknownRows))
				}
				if len(s.Errors) > 0 {
					notes = append(notes, "crashes: "+countList(s.Errors))
				}
				if len(notes) > 0 {
					fmt.Fprintf(w, "\n- %s: %s\n", tool, strings.Join(notes, "; "))
				}
			}
		}
	}
}

// countList renders a count map as "a ×3, b ×1", most frequent first.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", strings.TrimSpace(k), m[k]))
	}
	return strings.Join(parts, ", ")
}

// writeTruth writes a module's ground truth as a table (time rows; memory
// rows only where they are not untouched).
func writeTruth(w io.Writer, m Module, t *Truth) {
	fmt.Fprintf(w, "\n### Ground truth: %s@%s\n\n", m.Path, m.Version)
	fmt.Fprintf(w, "Measured at setup (%s): base and head test binaries interleaved (ABBA), %d processes per side, -test.benchtime %s, GOMAXPROCS=1, %.0f s, load average %.2f→%.2f; the spin loop costs %.3f ns per iteration here. Injections:\n\n",
		t.Created.Format("2006-01-02 15:04 MST"), t.Rounds, t.Benchtime, t.Seconds, t.Load[0], t.Load[1], t.SpinNs)
	for _, in := range m.Injections {
		var on []string
		for b, n := range in.OnPath {
			on = append(on, fmt.Sprintf("%s ×%d", b, n))
		}
		sort.Strings(on)
		fmt.Fprintf(w, "- `%s` in %s: spin loop of %d iterations; called per op by: %s (%s)\n", in.Func, in.File, in.Spin, strings.Join(on, ", "), in.Why)
	}
	fmt.Fprintln(w, "\n| benchmark | unit | spin/op | base (median) | head (median) | predicted Δ | measured Δ (medians) | Δ (lower quartiles) | p | class | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range t.Rows {
		if r.Unit != "sec/op" && r.Class == classUntouched && r.Reason == "" || unitClass(r.Unit) != "" {
			continue
		}
		spin, pred := "", ""
		if r.Spin > 0 {
			spin = fmt.Sprint(r.Spin)
			if r.Unit == "sec/op" {
				pred = fmt.Sprintf("%+.0f%%", 100*r.Predicted)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.4g | %.4g | %s | %+.1f%% | %+.1f%% | %.2g | %s | %s |\n",
			r.Benchmark, r.Unit, spin, r.Base, r.Head, pred, 100*r.Effect, 100*r.EffectQ25, r.P, r.Class, r.Reason)
	}
	mem := 0
	for _, r := range t.Rows {
		if (r.Unit == "B/op" || r.Unit == "allocs/op") && r.Class == classUntouched && r.Reason == "" {
			mem++
		}
	}
	fmt.Fprintf(w, "\nPlus %d other untouched B/op and allocs/op rows (the spin loop allocates nothing). B/s and custom-unit rows are not counted.\n", mem)
}

// writeRunList lists every run in one line each.
func writeRunList(w io.Writer, runs []Run) {
	fmt.Fprintln(w, "\n## Every run\n\n| module | scenario | tool | rep | exit | wall | flags | undecided | load before→after | verdict / error |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		flags, und := r.counts()
		v := r.Verdict
		if r.Crash {
			v = "CRASH: " + r.Error
		}
		v = strings.ReplaceAll(v, "|", `\|`)
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %.0f s | %d | %d | %.2f→%.2f | %s |\n", r.Module, r.Scenario, r.Tool, r.Rep, r.Exit, r.Wall, flags, und, r.Load[0], r.Load[1], v)
	}
}
