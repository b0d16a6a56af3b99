// Package dashboard writes the static HTML dashboard of a baseline history:
// per benchmark its trend with the interval band, the RAER limit as a line,
// and the regressions and creep marked; an index sorted by headroom left.
// Charts are go-echarts line charts; the echarts script is loaded from
// Assets, which may be a URL or a directory next to the pages, so the
// dashboard also works where no CDN can be reached.
package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
)

// Key names one series: package, benchmark, unit.
type Key = [3]string

// Input is what the dashboard shows.
type Input struct {
	Title  string
	Trends []gate.Trend
	// Creep holds the rows creeping past their tolerance at the head.
	Creep []gate.Row
	Burn  []gate.Burn
	// Steps marks, per series, the commits whose own step regressed.
	Steps map[Key]map[string]bool
	// Assets is where echarts.min.js is loaded from: a URL prefix ending
	// in "/" or a path relative to the pages ("assets/"); "" is the
	// go-echarts default host.
	Assets string
}

// Row is one benchmark on the index.
type Row struct {
	Package, Benchmark, Unit string
	Latest, Limit, Headroom  string
	Burn, Creep              string
	// Tightest is the budgeted unit with the least headroom, when it is
	// another unit than the charted one ("allocs/op 0.0%").
	Tightest string
	Page     string
	Chart    template.HTML
	headroom float64
}

// Write writes DIR/index.html (every benchmark, least headroom first, one
// chart each) and DIR/bench/NAME.html (one chart per unit of a benchmark).
// Each file is written atomically.
func Write(dir string, in Input) ([]Row, error) {
	if in.Title == "" {
		in.Title = "perfslo: benchmark history"
	}
	groups := group(in.Trends)
	creep := map[Key]gate.Row{}
	for _, r := range in.Creep {
		creep[Key{r.Package, r.Benchmark, r.Unit}] = r
	}
	burn := map[Key]gate.Burn{}
	for _, b := range in.Burn {
		burn[Key{b.Package, b.Benchmark, b.Unit}] = b
	}
	var rows []Row
	for _, g := range groups {
		t := primary(g)
		k := Key{t.Package, t.Benchmark, t.Unit}
		row := Row{Package: t.Package, Benchmark: t.Benchmark, Unit: t.Unit, Latest: gate.FormatValue(t.Last().Center, t.Unit),
			Limit: "—", Headroom: "—", Page: "bench/" + slug(t.Package, t.Benchmark) + ".html", headroom: math.Inf(1)}
		if t.Limit != nil {
			row.Limit = gate.FormatValue(t.Limit.Limit, t.Unit)
			row.headroom = t.Limit.Headroom
			row.Headroom = fmt.Sprintf("%.1f%%", 100*t.Limit.Headroom)
		}
		if tt, ok := tightest(g); ok && tt.Unit != t.Unit {
			row.Tightest = fmt.Sprintf("%s %.1f%%", tt.Unit, 100*tt.Limit.Headroom)
		}
		if b, ok := burn[k]; ok && b.Left != nil {
			row.Burn = fmt.Sprintf("%.1f%%/baseline, ~%.0f left", 100*b.Rate, math.Ceil(*b.Left))
		}
		if c, ok := creep[k]; ok {
			row.Creep = gate.FormatDelta(&c)
		}
		chart, err := snippet(t, in, creep)
		if err != nil {
			return nil, err
		}
		row.Chart = chart
		var units []template.HTML
		for _, u := range g {
			c, err := snippet(u, in, creep)
			if err != nil {
				return nil, err
			}
			units = append(units, c)
		}
		if err := writePage(filepath.Join(dir, filepath.FromSlash(row.Page)), page{Title: t.Benchmark, Sub: t.Package, Script: script(in.Assets, "../"), Charts: units, Back: "../index.html"}); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].headroom < rows[j].headroom })
	return rows, writePage(filepath.Join(dir, "index.html"), page{Title: in.Title, Sub: fmt.Sprintf("%d benchmarks, least headroom first", len(rows)), Script: script(in.Assets, ""), Rows: rows})
}

// group collects the trends of each benchmark, in input order.
func group(trends []gate.Trend) [][]gate.Trend {
	index := map[[2]string]int{}
	var out [][]gate.Trend
	for _, t := range trends {
		if len(t.Points) == 0 {
			continue
		}
		k := [2]string{t.Package, t.Benchmark}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], t)
	}
	return out
}

// primary is the unit a benchmark is charted by on the index: sec/op when
// it has one (time is what moves; counts are usually exact), else the
// budgeted unit with the least headroom, else the first.
func primary(g []gate.Trend) gate.Trend {
	for _, t := range g {
		if t.Unit == "sec/op" {
			return t
		}
	}
	if t, ok := tightest(g); ok {
		return t
	}
	return g[0]
}

// tightest is the budgeted unit with the least headroom.
func tightest(g []gate.Trend) (gate.Trend, bool) {
	best := -1
	for i, t := range g {
		if t.Limit != nil && (best < 0 || t.Limit.Headroom < g[best].Limit.Headroom) {
			best = i
		}
	}
	if best < 0 {
		return gate.Trend{}, false
	}
	return g[best], true
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._=-]+`)

func slug(pkg, bench string) string {
	return strings.Trim(unsafeName.ReplaceAllString(pathTail(pkg)+"."+strings.TrimPrefix(bench, "Benchmark"), "_"), "_")
}

func pathTail(pkg string) string {
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		return pkg[i+1:]
	}
	return pkg
}

// script is the echarts script tag for a page at depth up ("" or "../").
func script(assets, up string) template.HTML {
	if assets == "" {
		assets = opts.Initialization{}.AssetsHost
		if assets == "" {
			assets = defaultHost()
		}
	} else if !strings.Contains(assets, "://") && !strings.HasPrefix(assets, "/") {
		assets = up + assets
	}
	return template.HTML(`<script src="` + template.HTMLEscapeString(assets+"echarts.min.js") + `"></script>`)
}

// defaultHost is go-echarts' own default assets host, read from a chart so
// that this package never spells it.
func defaultHost() string {
	l := charts.NewLine()
	l.SetGlobalOptions()
	return l.AssetsHost
}

// snippet renders one trend's chart as HTML (its div and script).
func snippet(t gate.Trend, in Input, creep map[Key]gate.Row) (template.HTML, error) {
	top := 0.0
	for _, p := range t.Points {
		top = math.Max(top, math.Abs(p.High))
	}
	if t.Limit != nil {
		top = math.Max(top, math.Abs(t.Limit.Limit))
	}
	scale, prefix := gate.DisplayScale(top)
	unit := prefix + gate.BaseUnit(t.Unit)
	xs := make([]string, len(t.Points))
	low := make([]opts.LineData, len(t.Points))
	band := make([]opts.LineData, len(t.Points))
	center := make([]opts.LineData, len(t.Points))
	for i, p := range t.Points {
		xs[i] = shortCommit(p.Commit) + " " + p.Date.Format("01-02")
		lo, hi := finite(p.Low, p.Center)/scale, finite(p.High, p.Center)/scale
		low[i] = opts.LineData{Value: round(lo)}
		band[i] = opts.LineData{Value: round(hi - lo)}
		center[i] = opts.LineData{Value: round(p.Center / scale)}
	}
	l := charts.NewLine()
	l.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "100%", Height: "320px", AssetsHost: "./"}),
		charts.WithTitleOpts(opts.Title{Title: strings.TrimPrefix(t.Benchmark, "Benchmark") + " " + t.Unit, Subtitle: pathTail(t.Package)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Right: "5%"}),
		charts.WithYAxisOpts(yAxis(t, unit, scale)),
		charts.WithAnimation(false),
	)
	l.SetXAxis(xs)
	hidden := opts.LineStyle{Opacity: opts.Float(0)}
	l.AddSeries("interval low", low, charts.WithLineChartOpts(opts.LineChart{Stack: "band", ShowSymbol: opts.Bool(false)}), charts.WithLineStyleOpts(hidden))
	l.AddSeries("interval", band, charts.WithLineChartOpts(opts.LineChart{Stack: "band", ShowSymbol: opts.Bool(false)}), charts.WithLineStyleOpts(hidden),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.25)}))
	marks := stepMarks(t, in.Steps[Key{t.Package, t.Benchmark, t.Unit}], xs, scale)
	if c, ok := creep[Key{t.Package, t.Benchmark, t.Unit}]; ok {
		last := len(t.Points) - 1
		marks = append(marks, opts.MarkPointNameCoordItem{Name: "creep", Value: "creep " + gate.FormatDelta(&c), Coordinate: []interface{}{xs[last], round(t.Points[last].Center / scale)}, Symbol: "pin", SymbolSize: 40})
	}
	series := []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)})}
	if len(marks) > 0 {
		series = append(series, charts.WithMarkPointNameCoordItemOpts(marks...))
	}
	if t.Limit != nil {
		series = append(series, charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "RAER limit " + t.Limit.Expr, YAxis: round(t.Limit.Limit / scale)}),
			charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Label: &opts.Label{Show: opts.Bool(true), Formatter: "RAER limit {c}"}}))
	}
	l.AddSeries("median", center, series...)
	s := l.RenderSnippet()
	return template.HTML(s.Element + s.Script), nil
}

// yAxis scales to the data, and reaches the RAER limit when the data stay
// well inside it: a limit drawn off the chart shows nothing.
func yAxis(t gate.Trend, unit string, scale float64) opts.YAxis {
	y := opts.YAxis{Name: unit, Scale: opts.Bool(true)}
	if t.Limit == nil {
		return y
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range t.Points {
		lo, hi = math.Min(lo, finite(p.Low, p.Center)), math.Max(hi, finite(p.High, p.Center))
	}
	lim := t.Limit.Limit
	if lim > hi {
		y.Max = round(lim * 1.1 / scale)
	}
	if lim < lo {
		y.Min = round(lim * 0.9 / scale)
	}
	return y
}

// stepMarks marks the points whose own step regressed.
func stepMarks(t gate.Trend, steps map[string]bool, xs []string, scale float64) []opts.MarkPointNameCoordItem {
	var out []opts.MarkPointNameCoordItem
	for i, p := range t.Points {
		if steps[p.Commit] {
			out = append(out, opts.MarkPointNameCoordItem{Name: "regression", Value: "regression", Coordinate: []interface{}{xs[i], round(p.Center / scale)}, Symbol: "pin", SymbolSize: 40})
		}
	}
	return out
}

func shortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

func finite(v, fallback float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fallback
	}
	return v
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

type page struct {
	Title, Sub string
	Script     template.HTML
	Rows       []Row
	Charts     []template.HTML
	Back       string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
{{.Script}}
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { border-bottom: 1px solid #ddd; padding: .3em .8em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 1em 0 2em; }
.warn { color: #b00; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Sub}}{{if .Back}} · <a href="{{.Back}}">all benchmarks</a>{{end}}</p>
{{if .Rows}}<table>
<tr><th>benchmark</th><th>unit</th><th>latest</th><th>RAER limit</th><th>headroom</th><th>tightest other budget</th><th>burn</th><th>creep</th></tr>
{{range .Rows}}<tr><td><a href="{{.Page}}">{{.Benchmark}}</a> <small>{{.Package}}</small></td><td>{{.Unit}}</td><td class="num">{{.Latest}}</td><td class="num">{{.Limit}}</td><td class="num">{{.Headroom}}</td><td>{{.Tightest}}</td><td>{{.Burn}}</td><td class="warn">{{.Creep}}</td></tr>
{{end}}</table>
{{range .Rows}}<div class="chart">{{.Chart}}</div>
{{end}}{{end}}{{range .Charts}}<div class="chart">{{.}}</div>
{{end}}
</body>
</html>
`))

func writePage(path string, p page) error {
	var b strings.Builder
	if err := pageTemplate.Execute(&b, p); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, []byte(b.String()))
}
