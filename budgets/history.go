package budgets

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// History bounds the git store's history of default-branch baselines. The
// newest Raw entries keep every sample, so creep can be judged with the
// gate's own statistics; older entries are compacted to one summary per
// benchmark and unit (center, interval, n), which is all a trend needs; and
// entries beyond Keep or older than MaxAge are dropped. Without such bounds
// a data branch grows by every run's samples forever.
type History struct {
	// Keep is the most entries kept (default 1000).
	Keep int
	// Raw is how many of the newest entries keep their samples (default 30).
	Raw int
	// MaxAge drops entries older than this; 0 keeps them regardless of age.
	MaxAge time.Duration

	Line, Column int
}

// Creep compares the head with an older baseline, so that a run of small
// regressions, each inside the per-PR tolerance, still gets noticed.
type Creep struct {
	// Commits compares with the baseline recorded this many entries before
	// the head (default 5 when Days is not set).
	Commits int
	// Days compares with the newest baseline at least this many days older
	// than the head; when both are set the older of the two is used.
	Days int
	// Tolerance is the largest accumulated change per unit, as a fraction;
	// units without an entry use the project's tolerance.
	Tolerance map[string]float64

	Line, Column int
}

// Burn is the efficiency error budget: a RAER limit's headroom is a budget,
// and each baseline that moves closer to the limit burns some of it.
type Burn struct {
	// Window is how many of the newest baselines the burn rate is measured
	// over (default 5).
	Window int
	// Warn and Fail are burn rates, as fractions of the budget (the limit)
	// burnt per baseline, that warn or fail; 0 disables each.
	Warn, Fail float64

	Line, Column int
}

// Default retention and windows.
const (
	DefaultHistoryKeep = 1000
	DefaultHistoryRaw  = 30
	DefaultCreepBack   = 5
	DefaultBurnWindow  = 5
)

var (
	historyKeys = []string{"keep", "raw", "max-age"}
	creepKeys   = []string{"commits", "days", "tolerance"}
	burnKeys    = []string{"window", "warn", "fail"}
)

// HistoryPolicy is the config's history retention, defaults filled in.
func (c *Config) HistoryPolicy() History {
	h := History{Keep: DefaultHistoryKeep, Raw: DefaultHistoryRaw}
	if c != nil && c.History != nil {
		h = *c.History
	}
	return h
}

// CreepPolicy is the config's creep setting, defaults filled in: five
// baselines back, with the project's tolerances.
func (c *Config) CreepPolicy() Creep {
	cr := Creep{Commits: DefaultCreepBack}
	if c != nil && c.Creep != nil {
		cr = *c.Creep
	}
	return cr
}

// BurnPolicy is the config's burn setting, defaults filled in (a window of
// five baselines, no thresholds).
func (c *Config) BurnPolicy() Burn {
	b := Burn{Window: DefaultBurnWindow}
	if c != nil && c.Burn != nil {
		b = *c.Burn
	}
	return b
}

func (r *reader) history(n ast.Node) *History {
	fs, ok := r.strict(n, "history", historyKeys...)
	if !ok {
		return nil
	}
	h := &History{Keep: DefaultHistoryKeep, Raw: DefaultHistoryRaw}
	h.Line, h.Column = pos(r.resolve(n))
	r.atLeast(fs, "keep", "history.keep", 1, fmt.Sprintf("keep at least 1 entry (default %d)", DefaultHistoryKeep), &h.Keep)
	r.atLeast(fs, "raw", "history.raw", 0, fmt.Sprintf("a count of entries, 0 or more (default %d)", DefaultHistoryRaw), &h.Raw)
	if h.Raw > h.Keep {
		h.Raw = h.Keep
	}
	if f, ok := fs["max-age"]; ok {
		if s, ok := r.text(f.value, "history.max-age"); ok {
			d, ok := parseAge(s)
			if !ok {
				r.errorf(f.value, "history.max-age %q: expected an age such as 365d or 720h", s)
			}
			h.MaxAge = d
		}
	}
	return h
}

// parseAge reads "90d" (days, which time.ParseDuration lacks) or a Go
// duration.
func parseAge(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n > 0
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}

func (r *reader) creep(n ast.Node) *Creep {
	fs, ok := r.strict(n, "creep", creepKeys...)
	if !ok {
		return nil
	}
	c := &Creep{}
	c.Line, c.Column = pos(r.resolve(n))
	r.atLeast(fs, "commits", "creep.commits", 1, "compare with at least 1 baseline back", &c.Commits)
	r.atLeast(fs, "days", "creep.days", 1, "compare with a baseline at least 1 day older", &c.Days)
	if c.Commits == 0 && c.Days == 0 {
		c.Commits = DefaultCreepBack
	}
	if f, ok := fs["tolerance"]; ok {
		c.Tolerance = r.tolerances(f.value, "creep.tolerance")
	}
	return c
}

func (r *reader) burn(n ast.Node) *Burn {
	fs, ok := r.strict(n, "burn", burnKeys...)
	if !ok {
		return nil
	}
	b := &Burn{Window: DefaultBurnWindow}
	b.Line, b.Column = pos(r.resolve(n))
	r.atLeast(fs, "window", "burn.window", 2, fmt.Sprintf("a rate needs at least 2 baselines (default %d)", DefaultBurnWindow), &b.Window)
	for _, k := range []struct {
		key string
		dst *float64
	}{{"warn", &b.Warn}, {"fail", &b.Fail}} {
		if f, ok := fs[k.key]; ok {
			if s, ok := r.scalar(f.value, "burn."+k.key); ok {
				v, msg := parsePercent(s)
				if msg != "" {
					r.errorf(f.value, "burn.%s: %s (a share of the budget burnt per baseline)", k.key, msg)
				}
				*k.dst = v
			}
		}
	}
	if b.Warn > 0 && b.Fail > 0 && b.Fail < b.Warn {
		r.errorf(n, "burn: fail %s is below warn %s; failing should take the faster burn", pctText(b.Fail), pctText(b.Warn))
	}
	return b
}

func pctText(f float64) string { return strconv.FormatFloat(f*100, 'g', 4, 64) + "%" }
