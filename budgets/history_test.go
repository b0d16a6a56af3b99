package budgets

import (
	"strings"
	"testing"
	"time"
)

const historyYAML = `version: 1
history:
  keep: 500
  raw: 20
  max-age: 365d
creep:
  commits: 5
  days: 30
  tolerance: {sec/op: 10%}
burn:
  window: 5
  warn: 10%
  fail: 25%
`

func TestParseHistory(t *testing.T) {
	cfg, err := Parse("perfslo.yaml", []byte(historyYAML))
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.HistoryPolicy()
	if h.Keep != 500 || h.Raw != 20 || h.MaxAge != 365*24*time.Hour || h.Line != 3 {
		t.Errorf("history = %+v", h)
	}
	c := cfg.CreepPolicy()
	if c.Commits != 5 || c.Days != 30 || c.Tolerance["sec/op"] != 0.10 {
		t.Errorf("creep = %+v", c)
	}
	b := cfg.BurnPolicy()
	if b.Window != 5 || b.Warn != 0.10 || b.Fail != 0.25 {
		t.Errorf("burn = %+v", b)
	}
	d := Default()
	if d.HistoryPolicy().Keep != DefaultHistoryKeep || d.CreepPolicy().Commits != DefaultCreepBack || d.BurnPolicy().Window != DefaultBurnWindow {
		t.Errorf("defaults: %+v %+v %+v", d.HistoryPolicy(), d.CreepPolicy(), d.BurnPolicy())
	}
	if err := validateYAML(t, compileSchema(t), []byte(historyYAML)); err != nil {
		t.Errorf("schema rejects the history config: %v", err)
	}
}

func TestParseHistoryErrors(t *testing.T) {
	for _, tc := range []parseErrorCase{
		{"keep 0", "version: 1\nhistory:\n  keep: 0\n", "3:9: history.keep 0: keep at least 1"},
		{"raw negative", "version: 1\nhistory:\n  raw: -1\n", "3:8: history.raw -1"},
		{"max-age garbage", "version: 1\nhistory:\n  max-age: soon\n", `3:12: history.max-age "soon"`},
		{"unknown history key", "version: 1\nhistory:\n  kep: 3\n", `3:3: unknown key "kep" in history; did you mean "keep"?`},
		{"creep commits 0", "version: 1\ncreep:\n  commits: 0\n", "3:12: creep.commits 0"},
		{"creep bad tolerance", "version: 1\ncreep:\n  tolerance: {sec/op: 5}\n", "creep.tolerance sec/op: bare number 5 is ambiguous"},
		{"burn window 1", "version: 1\nburn:\n  window: 1\n", "3:11: burn.window 1: a rate needs at least 2"},
		{"burn fail below warn", "version: 1\nburn:\n  warn: 20%\n  fail: 10%\n", "3:3: burn: fail 10% is below warn 20%"},
		{"burn warn garbage", "version: 1\nburn:\n  warn: lots\n", `3:9: burn.warn: "lots" is not a percentage`},
	} {
		_, err := Parse("perfslo.yaml", []byte(tc.src))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), "perfslo.yaml:"+tc.want) && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestDescribeHistory(t *testing.T) {
	cfg, err := Parse("perfslo.yaml", []byte(historyYAML))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Describe(&b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"History (git store, default branch): at most 500 baselines, none older than 365 days; the newest 20 keep their samples",
		"Creep: the head against the baseline 5 baselines back or 30 days back (the older one), judged like the gate with sec/op 10%.",
		"Burn: budget headroom consumed per baseline over the last 5; warn from 10% of the limit per baseline; fail from 25%.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("describe lacks %q:\n%s", want, b.String())
		}
	}
	var d strings.Builder
	Describe(&d, Default())
	if strings.Contains(d.String(), "History") {
		t.Errorf("the default config describes a history section")
	}
}
