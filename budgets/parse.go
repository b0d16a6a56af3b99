package budgets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// The keys of each mapping, in the order the documentation lists them.
var (
	topKeys     = []string{"version", "run", "tolerance", "budgets", "staging", "history", "creep", "burn"}
	runKeys     = []string{"packages", "bench", "count", "benchtime", "cpu", "max-time", "measure"}
	budgetKeys  = []string{"benchmark", "package", "operation", "dataset", "limits", "tolerance", "profile", "measure"}
	profileKeys = []string{"cpu-share", "allocs/op", "B/op"}
	stagingKeys = []string{"service", "budgets"}
	stageBudKey = []string{"function", "cpu-share", "allocs/s"}
)

// DefaultMaxTime is how long the gate may measure by default before it
// decides with what it has.
const DefaultMaxTime = 10 * time.Minute

// Default is the configuration without a perfslo.yaml: every package, every
// benchmark, 10 samples of 100ms on one CPU, default tolerances, no budgets.
// It lets `perfslo gate` run on any module in one command.
func Default() *Config {
	return &Config{
		Version: Version,
		Run: Run{
			Packages:  []string{"./..."},
			Bench:     ".",
			Count:     10,
			Benchtime: "100ms",
			CPU:       1,
			MaxTime:   DefaultMaxTime,
			Measure:   MeasureTime,
		},
		Tolerance: map[string]float64{},
	}
}

// Load reads and parses a config file, and sets Module from the nearest
// go.mod at or above it. A missing file is an error wrapping
// fs.ErrNotExist that names the path, so a caller can fall back to Default.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("perfslo config: %w", err)
	}
	cfg, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	_, cfg.Module, _ = FindModule(filepath.Dir(path))
	return cfg, nil
}

// Parse reads a perfslo.yaml. file names it in errors. On failure it
// returns every problem found, each an *Error, sorted by position and
// joined with errors.Join (Errors splits them again).
func Parse(file string, data []byte) (cfg *Config, err error) {
	errs := &errorList{file: file}
	f, err := parseYAML(data)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil && yerr.GetToken().Position != nil {
			p := yerr.GetToken().Position
			errs.add(p.Line, p.Column, "invalid YAML: %s", yerr.GetMessage())
		} else {
			errs.add(0, 0, "invalid YAML: %v", err)
		}
		return nil, errs.err()
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			line, col := pos(d.Body)
			errs.add(line, col, "a second YAML document; perfslo.yaml holds one")
			break
		}
		body = d.Body
	}
	cfg = Default()
	cfg.File = file
	cfg.Version = 0
	if body == nil {
		errs.add(1, 1, "empty config; it starts with \"version: %d\"", Version)
		return nil, errs.err()
	}
	r := newReader(data, errs, body)
	r.config(body, cfg)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseYAML guards against a parser panic on hostile input: a config
// problem must never surface as a Go stack trace.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("YAML parser failed: %v", p)
		}
	}()
	return parser.ParseBytes(data, 0)
}

func (r *reader) config(body ast.Node, cfg *Config) {
	fs, ok := r.strict(body, "perfslo.yaml", topKeys...)
	if !ok {
		return
	}
	if f, ok := fs["version"]; !ok {
		r.errorf(body, "missing \"version: %d\" (the config schema version)", Version)
	} else if v, ok := r.integer(f.value, "version"); ok {
		if v != Version {
			r.errorf(f.value, "unsupported version %d; this perfslo reads version %d", v, Version)
		}
		cfg.Version = v
	}
	if f, ok := fs["run"]; ok {
		r.run(f.value, &cfg.Run)
	}
	if f, ok := fs["tolerance"]; ok {
		cfg.Tolerance = r.tolerances(f.value, "tolerance")
	}
	if f, ok := fs["budgets"]; ok {
		items, _ := r.sequence(f.value, "budgets")
		// The first entry that matches wins: a second entry for the same
		// benchmark and package would never apply, a budget silently off.
		firstLine := map[[2]string]int{}
		for _, item := range items {
			b, ok := r.budget(item)
			if !ok {
				continue
			}
			k := [2]string{b.Package, fullPattern(b.Benchmark)}
			if line, dup := firstLine[k]; dup {
				r.errs.add(b.Line, b.Column, "a second budget for %s%s: the first (line %d) always matches first, so this one would never apply; merge them", b.Benchmark, inPackage(b.Package), line)
				continue
			}
			cfg.Budgets = append(cfg.Budgets, b)
			firstLine[k] = b.Line
		}
	}
	if f, ok := fs["staging"]; ok {
		cfg.Staging = r.staging(f.value)
	}
	if f, ok := fs["history"]; ok {
		cfg.History = r.history(f.value)
	}
	if f, ok := fs["creep"]; ok {
		cfg.Creep = r.creep(f.value)
	}
	if f, ok := fs["burn"]; ok {
		cfg.Burn = r.burn(f.value)
	}
}

func (r *reader) run(n ast.Node, run *Run) {
	fs, _ := r.strict(n, "run", runKeys...)
	if f, ok := fs["packages"]; ok {
		items, _ := r.sequence(f.value, "run.packages")
		var pkgs []string
		for _, item := range items {
			if s, ok := r.text(item, "run.packages"); ok {
				pkgs = append(pkgs, strings.TrimSpace(s))
			}
		}
		if len(pkgs) == 0 && len(items) == 0 {
			r.errorf(f.value, "run.packages: list at least one package pattern, such as ./...")
		}
		run.Packages = pkgs
	}
	if f, ok := fs["bench"]; ok {
		if s, ok := r.text(f.value, "run.bench"); ok {
			if msg := checkBenchRegexp(s); msg != "" {
				r.errorf(f.value, "%s", msg)
			}
			run.Bench = s
		}
	}
	r.atLeast(fs, "count", "run.count", 2, "need at least 2 samples per side to compare (10 is the default)", &run.Count)
	if f, ok := fs["benchtime"]; ok {
		if s, ok := r.text(f.value, "run.benchtime"); ok {
			if msg := checkBenchtime(strings.TrimSpace(s)); msg != "" {
				r.errorf(f.value, "run.%s", msg)
			}
			run.Benchtime = strings.TrimSpace(s)
		}
	}
	if f, ok := fs["max-time"]; ok {
		if s, ok := r.text(f.value, "run.max-time"); ok {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil || d <= 0 {
				r.errorf(f.value, "run.max-time %q: expected a positive duration such as 10m or 90s", s)
			}
			run.MaxTime = d
		}
	}
	if f, ok := fs["measure"]; ok {
		if s, ok := r.text(f.value, "run.measure"); ok {
			s = strings.TrimSpace(s)
			if err := CheckMeasure(s); err != nil {
				r.errorf(f.value, "run.%v", err)
			}
			run.Measure = s
		}
	}
	r.atLeast(fs, "cpu", "run.cpu", 1, "GOMAXPROCS must be at least 1", &run.CPU)
}

// unit reads a unit key, reports nonsense, and returns it tidied.
func (r *reader) unit(f field) (string, bool) {
	if msg := checkUnit(f.key); msg != "" {
		r.errorf(f.keyN, "%s", msg)
		return "", false
	}
	_, tidied := TidyUnit(f.key)
	if msg := checkUnit(tidied); msg != "" {
		r.errorf(f.keyN, "%s", msg)
		return "", false
	}
	return tidied, true
}

// unitEntry is one "unit: value" of a mapping keyed by unit.
type unitEntry struct {
	field
	unit string // tidied
	src  string // the value as written
}

// unitEntries reads a mapping keyed by unit (tolerance, limits): each key a
// known-looking unit, no two keys naming the same unit once tidied (ns/op
// and sec/op), each value a scalar. Bad entries are reported and skipped.
func (r *reader) unitEntries(n ast.Node, what string) []unitEntry {
	fs, _ := r.fields(n, what)
	var out []unitEntry
	seen := map[string]string{}
	for _, f := range fs {
		unit, ok := r.unit(f)
		if !ok {
			continue
		}
		if prev, dup := seen[unit]; dup {
			r.errorf(f.keyN, "%s: %s repeats %s (both are %s)", what, f.key, prev, unit)
			continue
		}
		seen[unit] = f.key
		src, ok := r.scalar(f.value, what+" "+f.key)
		if !ok {
			continue
		}
		out = append(out, unitEntry{field: f, unit: unit, src: src})
	}
	return out
}

// tolerances reads a unit → percentage mapping.
func (r *reader) tolerances(n ast.Node, what string) map[string]float64 {
	out := map[string]float64{}
	for _, e := range r.unitEntries(n, what) {
		v, msg := parsePercent(e.src)
		if msg != "" {
			r.errorf(e.value, "%s %s: %s", what, e.key, msg)
			continue
		}
		out[e.unit] = v
	}
	return out
}

func inPackage(pkg string) string {
	if pkg == "" {
		return ""
	}
	return " in " + pkg
}
