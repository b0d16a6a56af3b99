package gate

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
)

// xperfTestdata locates benchstat's own golden files in the module cache.
func xperfTestdata(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/perf").Output()
	if err != nil {
		t.Fatalf("locating golang.org/x/perf: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "cmd", "benchstat", "testdata")
}

// benchstatRow is one row of benchstat's "vs base" table.
type benchstatRow struct {
	name                 string
	base, head           float64
	baseRange, headRange string
	delta, p             string
	n                    string
}

var benchstatRowRE = regexp.MustCompile(`^(\S+)\s+(\S+) ± (\S+)(?: ¹)?\s+(\S+) ± (\S+)(?: [¹²])?\s+(\S+) \((?:p=(\S+) )?n=(\S+)\)`)

// parseBenchstat reads the rows of each unit table of a benchstat golden
// output, keyed by unit then name.
func parseBenchstat(t *testing.T, path string) map[string]map[string]benchstatRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]map[string]benchstatRow{}
	var unit string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "vs base") {
			unit = strings.Fields(strings.Trim(line, " │"))[0]
			tables[unit] = map[string]benchstatRow{}
			continue
		}
		m := benchstatRowRE.FindStringSubmatch(line)
		if m == nil || unit == "" {
			continue
		}
		name := budgets.ParseBenchmarkID("", m[1], 0).Name
		tables[unit][name] = benchstatRow{
			name: m[1], base: parseScaled(t, m[2]), baseRange: m[3],
			head: parseScaled(t, m[4]), headRange: m[5], delta: m[6], p: m[7], n: m[8],
		}
	}
	return tables
}

func parseScaled(t *testing.T, s string) float64 {
	t.Helper()
	mult := 1.0
	for _, suf := range []struct {
		s string
		m float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"n", 1e-9}, {"µ", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}} {
		if strings.HasSuffix(s, suf.s) {
			s, mult = strings.TrimSuffix(s, suf.s), suf.m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parsing benchstat value %q: %v", s, err)
	}
	return v * mult
}

// sidesByConfig splits one benchfmt file into base and head by a config key,
// as benchstat's "-col KEY" does.
func sidesByConfig(t *testing.T, path, key, baseVal, headVal string) (*Side, *Side) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base, head := NewSide(Source{Label: baseVal}), NewSide(Source{Label: headVal})
	rd := benchfmt.NewReader(f, path)
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok {
			switch r.GetConfig(key) {
			case baseVal:
				base.Add(r)
			case headVal:
				head.Add(r)
			}
		}
	}
	base.AddUnits(rd.Units())
	head.AddUnits(rd.Units())
	return base, head
}

func readSideFile(t *testing.T, path string) *Side {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadSide(Source{Label: filepath.Base(path)}, f, path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSameNumbersAsBenchstat compares perfslo's rows with the golden outputs
// of benchstat itself on benchstat's own testdata: the same centers, ranges,
// deltas, p-values, sample counts and "~".
func TestSameNumbersAsBenchstat(t *testing.T) {
	dir := xperfTestdata(t)
	cases := []struct {
		golden     string
		base, head func(t *testing.T) (*Side, *Side)
	}{
		{"crcIgnore.stdout", func(t *testing.T) (*Side, *Side) {
			return readSideFile(t, filepath.Join(dir, "crc-old.txt")), readSideFile(t, filepath.Join(dir, "crc-new.txt"))
		}, nil},
		{"issue19634.stdout", func(t *testing.T) (*Side, *Side) {
			return sidesByConfig(t, filepath.Join(dir, "issue19634.txt"), "note", "before", "after")
		}, nil},
		{"issue19565.stdout", func(t *testing.T) (*Side, *Side) {
			return sidesByConfig(t, filepath.Join(dir, "issue19565.txt"), "note", "before", "after")
		}, nil},
		{"smallSample.stdout", func(t *testing.T) (*Side, *Side) {
			return sidesByConfig(t, filepath.Join(dir, "smallSample.txt"), "note", "before", "after")
		}, nil},
		{"units.stdout", func(t *testing.T) (*Side, *Side) {
			return sidesByConfig(t, filepath.Join(dir, "units.txt"), "note", "before", "after")
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			base, head := c.base(t)
			// benchstat tests each row alone: no family-wise correction.
			rep := Compare(base, head, Options{Correction: CorrectionNone})
			want := parseBenchstat(t, filepath.Join(dir, c.golden))
			checked := 0
			for _, row := range rep.Results {
				if row.Base == nil || row.Head == nil {
					continue
				}
				name := strings.TrimPrefix(row.Benchmark, "Benchmark")
				w, ok := want[row.Unit][name]
				if !ok {
					continue
				}
				if len(row.Warnings) > 0 && strings.Contains(row.Warnings[0], "compared statistically") {
					// perfslo deliberately leaves the exact assumption
					// when counts vary (DESIGN.md); benchstat keeps it.
					continue
				}
				checked++
				approx(t, name+" base", row.Base.Center, w.base)
				approx(t, name+" head", row.Head.Center, w.head)
				if got := rangePercent(row.Base); got != w.baseRange {
					t.Errorf("%s %s: base range %s, benchstat %s", name, row.Unit, got, w.baseRange)
				}
				if got := rangePercent(row.Head); got != w.headRange {
					t.Errorf("%s %s: head range %s, benchstat %s", name, row.Unit, got, w.headRange)
				}
				if got := FormatDelta(&row); got != w.delta {
					t.Errorf("%s %s: delta %s, benchstat %s", name, row.Unit, got, w.delta)
				}
				if w.p != "" {
					if got := strconv.FormatFloat(*row.P, 'f', 3, 64); got != w.p {
						t.Errorf("%s %s: p=%s, benchstat p=%s", name, row.Unit, got, w.p)
					}
				}
				if got := strings.TrimPrefix(FormatP(&row)[strings.Index(FormatP(&row), "n="):], "n="); got != w.n {
					t.Errorf("%s %s: n=%s, benchstat n=%s", name, row.Unit, got, w.n)
				}
			}
			if checked == 0 {
				t.Fatalf("no row of %s was compared", c.golden)
			}
			t.Logf("%d rows agree with benchstat", checked)
		})
	}
}

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	// benchstat prints four significant digits.
	if want == 0 && got == 0 {
		return
	}
	if math.Abs(got-want)/math.Max(math.Abs(want), 1e-300) > 5e-4 {
		t.Errorf("%s: %g, benchstat %g", what, got, want)
	}
}
