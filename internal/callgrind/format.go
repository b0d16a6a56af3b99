package callgrind

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// File is one callgrind output file (all its parts summed), reduced to what
// a per-operation comparison needs: the event names, the totals, and per
// function the self cost, the cost of its calls and how often it called whom.
type File struct {
	// Path is where the file was read from ("" for a reader).
	Path string
	// Cmd is the profiled command line, as callgrind recorded it.
	Cmd string
	// Trigger is why callgrind wrote this dump ("Program termination",
	// "--dump-before=pkg.BenchmarkX", ...).
	Trigger string
	// Events are the event names, in the order of every cost vector here
	// ("Ir", or "Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim").
	Events []string
	// Totals is the sum of every function's self cost: what the cost
	// lines attribute. Counts are read from here, not from Summary.
	Totals []int64
	// Summary is the "summary:" header (Totals when there is none). With
	// --zero-before it can exceed Totals by a varying amount (measured:
	// summaries of two identical runs 1.6% apart, their totals 0.003%),
	// as the format allows ("equal or larger than a total over all self
	// costs").
	Summary []int64
	// Functions maps a function's name to its costs. Recursion levels that
	// callgrind writes as separate names ("f'2") are folded into "f".
	Functions map[string]*Function
}

// Function is one function's costs in a File.
type Function struct {
	Name string
	// Object is the ELF object holding its code.
	Object string
	// Source is the source file its code is in (the "fl=" in effect at
	// its "fn=" line), "" when callgrind had no debug information.
	Source string
	// Self is the cost of the function's own instructions, per event.
	Self []int64
	// Callees is the inclusive cost callgrind attributed to calls from this
	// function, per event: Self plus this sum is the inclusive cost. Under
	// Go's goroutine switches callgrind's call stack can be wrong (a switch
	// to another stack looks like returns, the way back like calls), so
	// inclusive costs are indicative; self costs are exact.
	Callees []int64
	// Calls counts the calls made from this function, by callee name.
	Calls map[string]int64
}

// Inclusive is the function's self cost plus the cost of its calls.
func (f *Function) Inclusive() []int64 {
	out := make([]int64, len(f.Self))
	for i := range out {
		out[i] = f.Self[i] + f.Callees[i]
	}
	return out
}

// EventIndex returns the position of event in f.Events, or -1.
func (f *File) EventIndex(event string) int {
	for i, e := range f.Events {
		if e == event {
			return i
		}
	}
	return -1
}

// Event returns the total count of one event (0 if it was not collected).
func (f *File) Event(event string) int64 {
	if i := f.EventIndex(event); i >= 0 && i < len(f.Totals) {
		return f.Totals[i]
	}
	return 0
}

// SortedFunctions returns the functions ordered by self cost of event,
// highest first, then by name.
func (f *File) SortedFunctions(event string) []*Function {
	i := f.EventIndex(event)
	out := make([]*Function, 0, len(f.Functions))
	for _, fn := range f.Functions {
		out = append(out, fn)
	}
	sort.Slice(out, func(a, b int) bool {
		if i >= 0 && out[a].Self[i] != out[b].Self[i] {
			return out[a].Self[i] > out[b].Self[i]
		}
		return out[a].Name < out[b].Name
	})
	return out
}

// ParseFile reads a callgrind output file.
func ParseFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := Parse(fh, path)
	if err != nil {
		return nil, err
	}
	f.Path = path
	return f, nil
}

// Parse reads the callgrind format (version 1, as valgrind's "Callgrind
// Format Specification" describes it) from r; name is used in errors
// ("name:line: ..."). Several parts in one file are summed, provided they
// record the same events.
func Parse(r io.Reader, name string) (*File, error) {
	p := &parser{
		name:  name,
		file:  &File{Functions: map[string]*Function{}},
		names: map[string]map[int]string{},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, p.line, err)
	}
	if p.file.Events == nil {
		return nil, fmt.Errorf("%s: no \"events:\" line: not a callgrind output file", name)
	}
	if p.pendingCall {
		return nil, fmt.Errorf("%s:%d: file ends after a calls= line, expected its cost line", name, p.line)
	}
	f := p.file
	f.Totals = make([]int64, len(f.Events))
	for _, fn := range f.Functions {
		for i, v := range fn.Self {
			f.Totals[i] += v
		}
	}
	if p.totals != nil {
		for i := range f.Totals {
			if f.Totals[i] != p.totals[i] {
				return nil, fmt.Errorf("%s: totals: line says %s=%d, the cost lines add up to %d: truncated or corrupt file",
					name, f.Events[i], p.totals[i], f.Totals[i])
			}
		}
	}
	f.Summary = f.Totals
	if p.summary != nil {
		f.Summary = p.summary
	}
	return f, nil
}

type parser struct {
	name string
	line int
	file *File

	positions int // subpositions per cost line
	// names holds the compressed-name tables, one per kind: "fn" (fn, cfn),
	// "fl" (fl, fi, fe, cfi, cfl) and "ob" (ob, cob).
	names map[string]map[int]string

	object      string
	source      string // the last fl=, fi= or fe=
	fn          *Function
	callee      string
	pendingCall bool // the next cost line is a call's inclusive cost
	callCount   int64

	summary, totals []int64
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.name, p.line, fmt.Sprintf(format, args...))
}

func (p *parser) parseLine(line string) error {
	if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	if p.pendingCall {
		// A call's cost line is mandatory right after calls=.
		return p.costLine(line)
	}
	if key, val, ok := headerLine(line); ok {
		return p.header(key, val)
	}
	if eq := strings.IndexByte(line, '='); eq > 0 && isSpecKey(line[:eq]) {
		return p.spec(line[:eq], line[eq+1:])
	}
	return p.costLine(line)
}

// headerLine splits "key: value" lines; keys are letters only, so a cost
// line (digits, '+', '-', '*') never matches.
func headerLine(line string) (key, val string, ok bool) {
	colon := strings.IndexByte(line, ':')
	if colon <= 0 {
		return "", "", false
	}
	for _, c := range line[:colon] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", "", false
		}
	}
	return line[:colon], strings.TrimSpace(line[colon+1:]), true
}

func isSpecKey(k string) bool {
	switch k {
	case "ob", "fl", "fi", "fe", "fn", "cob", "cfi", "cfl", "cfn", "calls", "jump", "jcnd":
		return true
	}
	return false
}

func (p *parser) header(key, val string) error {
	switch key {
	case "events":
		ev := strings.Fields(val)
		if len(ev) == 0 {
			return p.errorf("empty events: line")
		}
		if p.file.Events != nil && strings.Join(ev, " ") != strings.Join(p.file.Events, " ") {
			return p.errorf("events %q differ from an earlier part's %q", val, strings.Join(p.file.Events, " "))
		}
		p.file.Events = ev
	case "positions":
		n := 0
		for _, f := range strings.Fields(val) {
			switch f {
			case "instr", "line", "bb":
				n++
			default:
				return p.errorf("unknown position %q, expected instr, bb or line", f)
			}
		}
		p.positions = n
	case "summary", "totals":
		v, err := p.costs(strings.Fields(val))
		if err != nil {
			return err
		}
		if key == "summary" {
			p.summary = addCosts(p.summary, v)
		} else {
			p.totals = addCosts(p.totals, v)
		}
	case "cmd":
		p.file.Cmd = val
	case "desc":
		if t, ok := strings.CutPrefix(val, "Trigger:"); ok {
			p.file.Trigger = strings.TrimSpace(t)
		}
	case "part":
		// A new part starts: its body uses its own positions and the
		// defaults again; name compression tables carry on.
		p.positions = 0
		p.fn = nil
	default:
		// version, creator, pid, thread, event: none changes the costs.
	}
	return nil
}

func addCosts(acc, v []int64) []int64 {
	if acc == nil {
		return v
	}
	for i := range v {
		acc[i] += v[i]
	}
	return acc
}

func (p *parser) spec(key, val string) error {
	switch key {
	case "calls":
		f := strings.Fields(val)
		if len(f) < 1 {
			return p.errorf("calls= without a count")
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return p.errorf("calls=%s: bad count %q", val, f[0])
		}
		if p.fn == nil {
			return p.errorf("calls= before any fn= line")
		}
		if p.callee == "" {
			return p.errorf("calls= without a cfn= line before it")
		}
		p.callCount = n
		p.pendingCall = true
		return nil
	case "jump", "jcnd":
		// Jump counts (--collect-jumps) are not needed here; the position
		// line that follows carries no cost.
		return nil
	}
	kind := key
	switch key {
	case "fi", "fe", "cfi", "cfl":
		kind = "fl"
	case "cfn":
		kind = "fn"
	case "cob":
		kind = "ob"
	}
	name, err := p.resolve(kind, val)
	if err != nil {
		return err
	}
	switch key {
	case "ob":
		p.object = name
	case "fl", "fi", "fe":
		// Callgrind writes a file only when it changes (fi=/fe= for
		// inlined code), so the current one is the last of any of them.
		p.source = name
	case "fn":
		p.fn = p.function(name)
	case "cfn":
		p.callee = foldRecursion(name)
	}
	return nil
}

// resolve expands name compression: "(id) name" defines id, "(id)" refers
// to an earlier definition.
func (p *parser) resolve(kind, val string) (string, error) {
	val = strings.TrimLeft(val, " \t")
	if len(val) < 2 || val[0] != '(' || val[1] < '0' || val[1] > '9' {
		return val, nil
	}
	end := strings.IndexByte(val, ')')
	if end < 0 {
		return "", p.errorf("unterminated compressed name %q", val)
	}
	id, err := strconv.Atoi(val[1:end])
	if err != nil {
		return "", p.errorf("bad compressed name id in %q", val)
	}
	table := p.names[kind]
	if table == nil {
		table = map[int]string{}
		p.names[kind] = table
	}
	if rest := strings.TrimLeft(val[end+1:], " \t"); rest != "" {
		table[id] = rest
		return rest, nil
	}
	name, ok := table[id]
	if !ok {
		return "", p.errorf("compressed name (%d) used before it was defined", id)
	}
	return name, nil
}

// foldRecursion maps callgrind's names for deeper recursion levels
// ("runtime.f'2") to the function's own name.
func foldRecursion(name string) string {
	i := strings.LastIndexByte(name, '\'')
	if i <= 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

func (p *parser) function(name string) *Function {
	name = foldRecursion(name)
	fn := p.file.Functions[name]
	if fn == nil {
		n := len(p.file.Events)
		fn = &Function{Name: name, Object: p.object, Source: p.source, Self: make([]int64, n), Callees: make([]int64, n), Calls: map[string]int64{}}
		p.file.Functions[name] = fn
	}
	return fn
}

func (p *parser) costLine(line string) error {
	f := strings.Fields(line)
	npos := p.positions
	if npos == 0 {
		npos = 1 // "positions: line" is the default
	}
	if p.file.Events == nil {
		return p.errorf("cost line before the events: header")
	}
	if len(f) < npos {
		return p.errorf("cost line %q has %d fields, expected at least %d positions", line, len(f), npos)
	}
	for _, s := range f[:npos] {
		if !validSubposition(s) {
			return p.errorf("bad position %q in %q, expected a number, +N, -N or *", s, line)
		}
	}
	costs, err := p.costs(f[npos:])
	if err != nil {
		return err
	}
	if p.pendingCall {
		p.pendingCall = false
		for i, v := range costs {
			p.fn.Callees[i] += v
		}
		p.fn.Calls[p.callee] += p.callCount
		p.callee = ""
		return nil
	}
	if p.fn == nil {
		if allZero(costs) {
			return nil
		}
		return p.errorf("cost line before any fn= line")
	}
	for i, v := range costs {
		p.fn.Self[i] += v
	}
	return nil
}

func (p *parser) costs(fields []string) ([]int64, error) {
	if len(fields) > len(p.file.Events) {
		return nil, p.errorf("%d costs for %d events (%s)", len(fields), len(p.file.Events), strings.Join(p.file.Events, " "))
	}
	out := make([]int64, len(p.file.Events))
	for i, s := range fields {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil || v < 0 {
			return nil, p.errorf("bad cost %q, expected a non-negative integer", s)
		}
		out[i] = v
	}
	return out, nil
}

func validSubposition(s string) bool {
	if s == "*" {
		return true
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	if _, err := strconv.ParseUint(s, 0, 64); err != nil {
		return false
	}
	return true
}

func allZero(v []int64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// mergeFiles sums files that record the same events (the threads of one
// process) into one.
func mergeFiles(files []*File) (*File, error) {
	out := &File{Cmd: files[0].Cmd, Trigger: files[0].Trigger, Events: files[0].Events, Functions: map[string]*Function{}}
	n := len(out.Events)
	out.Totals = make([]int64, n)
	out.Summary = make([]int64, n)
	for _, f := range files {
		if strings.Join(f.Events, " ") != strings.Join(out.Events, " ") {
			return nil, fmt.Errorf("%s records %q, %s %q: cannot add them", f.Path, strings.Join(f.Events, " "), files[0].Path, strings.Join(out.Events, " "))
		}
		for i := range n {
			out.Totals[i] += f.Totals[i]
			out.Summary[i] += f.Summary[i]
		}
		for name, fn := range f.Functions {
			g := out.Functions[name]
			if g == nil {
				g = &Function{Name: name, Object: fn.Object, Source: fn.Source, Self: make([]int64, n), Callees: make([]int64, n), Calls: map[string]int64{}}
				out.Functions[name] = g
			}
			for i := range n {
				g.Self[i] += fn.Self[i]
				g.Callees[i] += fn.Callees[i]
			}
			for c, k := range fn.Calls {
				g.Calls[c] += k
			}
		}
	}
	return out, nil
}
