package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
	"github.com/perfslo/perfslo/internal/store"
)

// Historian is a store that keeps the history of the default branch's
// baselines (the git branch store).
type Historian interface {
	Record(meta store.Meta, results []byte, pol budgets.History) (*store.RecordResult, error)
	History() ([]store.HistoryEntry, error)
}

var _ Historian = (*store.GitBranch)(nil)

// historyOf returns st's history, or says how to get one.
func historyOf(st store.Store) (Historian, error) {
	if h, ok := st.(Historian); ok {
		return h, nil
	}
	return nil, errors.New("the history lives in the git branch store: use --store git:BRANCH (e.g. git:" + store.DefaultGitBranch + ")")
}

// RecordHistory adds a saved baseline to the store's history when the store
// keeps one and the baseline is the default branch's (a baseline named
// after, or saved on, the default branch): feature branches would make the
// trend zig-zag between unrelated lines of work. It returns nil, nil when
// nothing was recorded.
func RecordHistory(ctx context.Context, moduleDir string, st store.Store, meta store.Meta, results []byte, cfg *budgets.Config) (*store.RecordResult, error) {
	h, ok := st.(Historian)
	if !ok {
		return nil, nil
	}
	def, err := gitref.DefaultBranch(ctx, moduleDir)
	if err != nil || (meta.Name != def && meta.Ref != def) {
		return nil, nil
	}
	return h.Record(meta, results, cfg.HistoryPolicy())
}

// HistoryView is a store's history judged: every trend, the creep of the
// newest baseline against an older one, and the burn of each budget.
type HistoryView struct {
	Entries int
	Trends  []gate.Trend
	// Creep compares Head with CreepBase, Back entries before it; nil when
	// the history is too short.
	Creep           *gate.Report
	Back            int
	CreepBase, Head gate.Snapshot
	Burn            []gate.Burn
	Policy          budgets.Creep
	// Steps marks, per series (package, benchmark, unit), the commits whose
	// own step regressed against the baseline before it.
	Steps map[[3]string]map[string]bool
	// Show bounds the points WriteHistory prints per trend (the newest);
	// 0 prints DefaultShow.
	Show int
}

// DefaultShow is how many of the newest baselines perfslo history prints
// per trend: a history of a thousand is for the dashboard.
const DefaultShow = 20

// LoadHistory reads the store's history and judges it (see BuildHistory).
func LoadHistory(st store.Store, cfg *budgets.Config, bench string, opt gate.Options) (*HistoryView, error) {
	h, err := historyOf(st)
	if err != nil {
		return nil, err
	}
	entries, err := h.History()
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errors.New("the history is empty: baselines saved on the default branch are recorded (perfslo baseline save --store git:BRANCH)")
	}
	snaps := make([]gate.Snapshot, 0, len(entries))
	for i := range entries {
		s, err := entries[i].Snapshot()
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, s)
	}
	return BuildHistory(snaps, cfg, bench, opt)
}

// BuildHistory judges snapshots (oldest first): trends with their limits,
// creep of the newest against the creep base the config picks, judged with
// the gate's statistics under the creep tolerances, and burn rates. bench,
// when set, is a regexp that keeps only the benchmarks it matches.
func BuildHistory(snaps []gate.Snapshot, cfg *budgets.Config, bench string, opt gate.Options) (*HistoryView, error) {
	if cfg == nil {
		cfg = budgets.Default()
	}
	var re *regexp.Regexp
	if bench != "" {
		var err error
		if re, err = regexp.Compile(bench); err != nil {
			return nil, fmt.Errorf("--bench %q: %v", bench, err)
		}
	}
	keep := func(name string) bool { return re == nil || re.MatchString(name) }
	v := &HistoryView{Entries: len(snaps), Policy: cfg.CreepPolicy()}
	for _, t := range gate.Trends(snaps, cfg) {
		if keep(t.Benchmark) {
			v.Trends = append(v.Trends, t)
		}
	}
	if i, ok := gate.CreepBase(snaps, v.Policy); ok {
		v.Back, v.CreepBase, v.Head = len(snaps)-1-i, snaps[i], snaps[len(snaps)-1]
		if opt.Now.IsZero() {
			opt.Now = time.Now().UTC()
		}
		rep := gate.Creep(v.CreepBase, v.Head, cfg, v.Policy, opt)
		var rows []gate.Row
		for _, r := range rep.Results {
			if keep(r.Benchmark) {
				rows = append(rows, r)
			}
		}
		rep.Results = rows
		v.Creep = rep
	}
	v.Burn = gate.BurnRates(v.Trends, cfg.BurnPolicy())
	v.Steps = stepRegressions(snaps, cfg, opt, keep)
	return v, nil
}

// stepRegressions judges each baseline against the one before it as its
// pull request was judged (the project's tolerances; raw samples while the
// history has them, intervals once compacted).
func stepRegressions(snaps []gate.Snapshot, cfg *budgets.Config, opt gate.Options, keep func(string) bool) map[[3]string]map[string]bool {
	out := map[[3]string]map[string]bool{}
	for i := 1; i < len(snaps); i++ {
		rep := gate.Creep(snaps[i-1], snaps[i], cfg, budgets.Creep{}, opt)
		for _, r := range rep.Results {
			if r.Verdict != gate.Regression || !keep(r.Benchmark) {
				continue
			}
			k := [3]string{r.Package, r.Benchmark, r.Unit}
			if out[k] == nil {
				out[k] = map[string]bool{}
			}
			out[k][snaps[i].Commit] = true
		}
	}
	return out
}

// Creeping returns the creep rows over their tolerance.
func (v *HistoryView) Creeping() []gate.Row {
	if v.Creep == nil {
		return nil
	}
	var out []gate.Row
	for _, r := range v.Creep.Results {
		if r.Verdict == gate.Regression {
			out = append(out, r)
		}
	}
	return out
}

// Exit is `perfslo history`'s exit code: 2 when something creeps past its
// tolerance or burns its budget at the fail rate, else 0.
func (v *HistoryView) Exit() int {
	if len(v.Creeping()) > 0 {
		return gate.ExitFail
	}
	for _, b := range v.Burn {
		if b.Level == "fail" {
			return gate.ExitFail
		}
	}
	return gate.ExitPass
}

// WriteHistory prints the view: each trend as a table (center, interval, n
// and headroom per commit), then creep and burn.
func WriteHistory(w io.Writer, v *HistoryView) error {
	fmt.Fprintf(w, "history: %d baselines\n", v.Entries)
	show := v.Show
	if show <= 0 {
		show = DefaultShow
	}
	for i := range v.Trends {
		writeTrend(w, &v.Trends[i], show)
	}
	writeCreep(w, v)
	if len(v.Burn) > 0 {
		fmt.Fprintln(w, "\nefficiency error budgets (RAER headroom):")
		for _, b := range v.Burn {
			mark := ""
			if b.Level != "" {
				mark = strings.ToUpper(b.Level) + ": "
			}
			fmt.Fprintf(w, "  %s%s\n", mark, b.Sentence())
		}
	}
	return nil
}

func writeTrend(w io.Writer, t *gate.Trend, show int) {
	fmt.Fprintf(w, "\n%s %s (%s)", t.Benchmark, t.Unit, t.Package)
	if t.Limit != nil {
		op := "≤"
		if t.Limit.Kind == "min" {
			op = "≥"
		}
		fmt.Fprintf(w, "  RAER limit %s %s = %s", op, t.Limit.Expr, gate.FormatValue(t.Limit.Limit, t.Unit))
		if t.Limit.Config != "" {
			fmt.Fprintf(w, " (%s)", t.Limit.Config)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  date\tcommit\tcenter\tinterval\tn\theadroom")
	pts := t.Points
	if len(pts) > show {
		fmt.Fprintf(tw, "  (%d older baselines: --last N shows more, perfslo report --html all)\n", len(pts)-show)
		pts = pts[len(pts)-show:]
	}
	for _, p := range pts {
		h := "-"
		if p.Headroom != nil {
			h = fmt.Sprintf("%.1f%%", 100**p.Headroom)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t[%s, %s]\t%d\t%s\n", p.Date.Format("2006-01-02 15:04"), ShortCommit(p.Commit), gate.FormatValue(p.Center, t.Unit),
			gate.FormatValue(p.Low, t.Unit), gate.FormatValue(p.High, t.Unit), p.N, h)
	}
	tw.Flush()
}

func writeCreep(w io.Writer, v *HistoryView) {
	if v.Creep == nil {
		fmt.Fprintf(w, "\ncreep: the history is too short for the creep base (%s)\n", creepWhat(v.Policy))
		return
	}
	st := v.Creep.Settings
	how := "intervals of compacted summaries"
	if st.Alpha > 0 {
		how = fmt.Sprintf("Mann-Whitney U at α=%g, %s over %d tests, as the gate", st.Alpha, st.Correction, st.Tests)
	}
	fmt.Fprintf(w, "\ncreep: %s vs %s (%d baselines back, %s; %s)\n", ShortCommit(v.Head.Commit), ShortCommit(v.CreepBase.Commit), v.Back, creepWhat(v.Policy), how)
	rows := v.Creeping()
	if len(rows) == 0 {
		fmt.Fprintln(w, "  nothing creeps past its tolerance")
		return
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  CREEP %s %s: %s → %s (%s, tolerance %s)\n", r.Benchmark, r.Unit, gate.FormatValue(r.Base.Center, r.Unit), gate.FormatValue(r.Head.Center, r.Unit),
			strings.Join(append([]string{gate.FormatDelta(&r)}, creepEvidence(&r)...), ", "), pctText(r.Tolerance))
	}
}

func creepEvidence(r *gate.Row) []string {
	if r.P != nil && !math.IsNaN(*r.P) && r.Assumption != "summary" {
		return []string{fmt.Sprintf("p=%.3g", *r.P)}
	}
	return []string{"intervals apart"}
}

func creepWhat(c budgets.Creep) string {
	var parts []string
	if c.Commits > 0 {
		parts = append(parts, fmt.Sprintf("creep.commits %d", c.Commits))
	}
	if c.Days > 0 {
		parts = append(parts, fmt.Sprintf("creep.days %d", c.Days))
	}
	return strings.Join(parts, ", ")
}

func pctText(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", 100*f), ".0") + "%" }

// ReadHistory is what `perfslo history` and `perfslo report` show: the
// history in the store spec names (see OpenHistory), judged by the budgets
// file at configPath (see LoadConfig; "" is the one of the module around
// dir) and narrowed to the benchmarks matching bench.
func ReadHistory(ctx context.Context, dir, configPath, spec, bench string) (*HistoryView, error) {
	cfg, err := LoadConfig(configPath, ModuleOrDir(dir))
	if err != nil {
		return nil, err
	}
	st, err := OpenHistory(ctx, dir, spec)
	if err != nil {
		return nil, err
	}
	return LoadHistory(st, cfg, bench, gate.Options{})
}

// OpenHistory opens the store `perfslo history` and `perfslo report` read:
// spec as for OpenStore, "" meaning the git branch store, whose repository
// is the one around dir (a go.mod is not needed to read a history).
func OpenHistory(ctx context.Context, dir, spec string) (store.Store, error) {
	if spec == "" {
		spec = "git:" + store.DefaultGitBranch
	}
	if strings.HasPrefix(spec, "git:") {
		repo, err := gitref.Root(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("--store %s needs a git repository: %w", spec, err)
		}
		return store.OpenGitBranch(repo, strings.TrimPrefix(spec, "git:"))
	}
	return store.Dir{Root: spec}, nil // historyOf says why it has no history
}

// recordOutcome is RecordHistory's result for the log.
type recordOutcome struct {
	res *store.RecordResult
	err error
}

// recordHistoryLogged is RecordHistory for baseline save: the baseline is
// saved already, so a history that cannot be written is a warning, not a
// failed save.
func recordHistoryLogged(ctx context.Context, moduleDir string, st store.Store, meta store.Meta, results []byte, cfg *budgets.Config) recordOutcome {
	res, err := RecordHistory(ctx, moduleDir, st, meta, results, cfg)
	return recordOutcome{res, err}
}

func logRecord(log io.Writer, o recordOutcome) {
	switch {
	case o.err != nil:
		fmt.Fprintf(log, "perfslo: warning: the baseline is saved but its history entry is not: %v\n", o.err)
	case o.res != nil:
		fmt.Fprintf(log, "perfslo: history: recorded %s (%d entries, %d with samples", o.res.Path, o.res.Entries, o.res.Raw)
		if o.res.Compacted+o.res.Dropped > 0 {
			fmt.Fprintf(log, "; compacted %d, dropped %d, branch squashed", o.res.Compacted, o.res.Dropped)
		}
		fmt.Fprintln(log, ")")
	}
}

// AttachHistory adds the history's verdicts on the head to a gate report:
// creep against the baseline the creep policy picks and the burn of each
// budget with the head as the newest point, plus the trends of the rows
// that regressed or creep, for the comment's charts. It reads the git
// store p.StoreSpec names, or the default one when perfslo.yaml has a creep
// or burn section; otherwise it does nothing. Problems become warnings in
// the note: the history informs the verdict, it never blocks the gate.
func AttachHistory(ctx context.Context, p Plan, head *gate.Side, rep *gate.Report) {
	cfg := p.Config
	spec := p.StoreSpec
	if !strings.HasPrefix(spec, "git:") {
		if cfg == nil || (cfg.Creep == nil && cfg.Burn == nil) {
			return
		}
		spec = ""
	}
	note := &gate.HistoryNote{}
	rep.History = note
	st, err := OpenHistory(ctx, p.ModuleDir, spec)
	if err != nil {
		if spec == "" {
			rep.History = nil // no git repository: nothing was asked of one
			return
		}
		note.Warnings = append(note.Warnings, "history: "+err.Error())
		return
	}
	h, _ := historyOf(st)
	entries, err := h.History()
	if err != nil || len(entries) == 0 {
		if err == nil && spec == "" {
			// Configured, but nothing recorded yet: not worth a warning
			// on every pull request until main's first baseline.
			rep.History = nil
			return
		}
		if err == nil {
			err = errors.New("no baselines recorded yet (baseline save on the default branch records them)")
		}
		note.Warnings = append(note.Warnings, "history: "+err.Error())
		return
	}
	snaps := make([]gate.Snapshot, 0, len(entries)+1)
	for i := range entries {
		s, err := entries[i].Snapshot()
		if err != nil {
			note.Warnings = append(note.Warnings, "history: "+err.Error())
			return
		}
		snaps = append(snaps, s)
	}
	now := p.Options.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	snaps = append(snaps, gate.Snapshot{Commit: rep.Head.Commit, Date: now, Side: head, Summaries: gate.Summarize(head, p.Options.Confidence)})
	v, err := BuildHistory(snaps, cfg, "", p.Options)
	if err != nil {
		note.Warnings = append(note.Warnings, "history: "+err.Error())
		return
	}
	fillNote(note, v, rep)
}

// fillNote copies the view's findings into the note, with the trends of the
// rows that regressed or creep.
func fillNote(note *gate.HistoryNote, v *HistoryView, rep *gate.Report) {
	note.Burn = v.Burn
	applyBurn(rep, v.Burn)
	chart := map[[3]string]bool{}
	for _, r := range rep.Results {
		if r.Verdict == gate.Regression || r.Verdict == gate.Violation {
			chart[[3]string{r.Package, r.Benchmark, r.Unit}] = true
		}
	}
	if v.Creep != nil {
		note.Back, note.Base = v.Back, v.Creep.Base
		note.Creep = v.Creeping()
		for _, r := range note.Creep {
			chart[[3]string{r.Package, r.Benchmark, r.Unit}] = true
		}
	}
	for _, t := range v.Trends {
		// A per-unit time (sec/line) draws the same line as its sec/op.
		derived := strings.HasPrefix(t.Unit, "sec/") && t.Unit != "sec/op"
		if chart[[3]string{t.Package, t.Benchmark, t.Unit}] && !derived {
			note.Trends = append(note.Trends, t)
		}
	}
}

// applyBurn puts the burn thresholds on the head's rows: a budget burnt at
// the fail rate or faster makes its row a violation (the efficiency error
// budget is spent too fast, though the limit still holds), the warn rate a
// warning. The verdict is then the report's own, derived from its rows.
func applyBurn(rep *gate.Report, burns []gate.Burn) {
	for _, b := range burns {
		if b.Level == "" {
			continue
		}
		for i := range rep.Results {
			r := &rep.Results[i]
			if r.Package != b.Package || r.Benchmark != b.Benchmark || r.Unit != b.Unit || r.Function != "" {
				continue
			}
			if b.Level == "fail" && r.Verdict != gate.Regression && r.Verdict != gate.Violation {
				r.Verdict = gate.Violation
				r.Reasons = append(r.Reasons, "efficiency error budget: "+b.Sentence()+" (burn.fail)")
			} else {
				r.Warnings = append(r.Warnings, "efficiency error budget: "+b.Sentence())
			}
		}
	}
}
