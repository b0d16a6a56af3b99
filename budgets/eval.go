package budgets

import (
	"fmt"
	"go/ast"
	"go/token"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Eval computes the limit for one benchmark, in the tidied unit's base
// (seconds for sec/op even when the file says ns/op, bytes, counts, bytes
// per second). Parameters are bound from the sub-benchmark name as benchfmt
// splits it: "BenchmarkSum/lines=1000" binds lines=1000; values may carry
// a suffix ("size=4kB" is 4000, "1KiB" 1024, "n=1M" 1e6, "d=10ms" 0.01).
// A GOMAXPROCS suffix ("-8") is ignored. The error names the parameter the
// benchmark lacks and where the limit is written.
func (l Limit) Eval(benchmark string) (float64, error) {
	c := l.expr.c
	if c == nil {
		return 0, &Error{File: l.File, Line: l.Line, Column: l.Column, Msg: fmt.Sprintf("limit %q was not compiled (a Limit comes from Parse)", l.Source)}
	}
	fail := func(off int, format string, args ...any) (float64, error) {
		line, col := c.loc(off)
		return 0, &Error{File: l.File, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	raw := BenchmarkParams(benchmark)
	env := make(map[string]float64, len(c.params))
	for _, p := range c.params {
		v, ok := raw[p]
		if !ok {
			return fail(c.paramAt[p], "limit %q needs parameter %q, which benchmark %s does not set%s",
				l.Source, p, benchmark, paramHint(benchmark, p, raw))
		}
		q, ok := parseQuantity(v)
		if !ok {
			return fail(c.paramAt[p], "limit %q: parameter %s=%s of benchmark %s is not a number (such as 1000, 4kB, 1KiB, 1M)",
				l.Source, p, v, benchmark)
		}
		env[p] = q.value
	}
	v, oe := c.eval(c.root, env)
	if oe != nil {
		return fail(oe.off, "limit %q for benchmark %s: %s", l.Source, benchmark, oe.msg)
	}
	v *= c.scale
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fail(0, "limit %q for benchmark %s is not a finite number", l.Source, benchmark)
	case v < 0:
		return fail(0, "limit %q for benchmark %s is negative (%g %s)", l.Source, benchmark, v, l.Unit)
	}
	return v, nil
}

// paramHint says which parameters the benchmark does set, to spot typos.
func paramHint(benchmark, want string, have map[string]string) string {
	if len(have) == 0 {
		return fmt.Sprintf(" (a sub-benchmark name binds it, as in %s/%s=1000)", strings.SplitN(benchmark, "/", 2)[0], want)
	}
	names := make([]string, 0, len(have))
	for k := range have {
		names = append(names, k)
	}
	slices.Sort(names)
	return fmt.Sprintf(" (it sets %s)", strings.Join(names, ", "))
}

// BenchmarkParams returns the key=value parameters of a benchmark name, as written:
// "BenchmarkSum/lines=1000/mode=fast-8" gives lines=1000 and mode=fast.
func BenchmarkParams(benchmark string) map[string]string {
	_, parts := benchfmt.Name(benchmark).Parts()
	out := map[string]string{}
	for _, p := range parts {
		if !strings.HasPrefix(string(p), "/") {
			continue // GOMAXPROCS
		}
		if k, v, ok := strings.Cut(string(p[1:]), "="); ok && k != "" {
			out[k] = v
		}
	}
	return out
}

// Params returns the parameters the limit needs from the benchmark name,
// sorted ("lines" for "10ns * lines").
func (l Limit) Params() []string {
	if l.expr.c == nil {
		return nil
	}
	return slices.Clone(l.expr.c.params)
}

// writtenUnit is the unit as the file spells it, in which bare numbers of
// the expression are read ("ns/op" where Unit is "sec/op").
func (l Limit) writtenUnit() string {
	if l.expr.c == nil || l.expr.c.written == "" {
		return l.Unit
	}
	return l.expr.c.written
}

// String returns the expression as Describe shows it: "10ns × lines".
func (l Limit) String() string {
	if l.expr.c == nil {
		return l.Source
	}
	return l.expr.c.render(l.expr.c.root)
}

func (c *compiled) eval(n ast.Expr, env map[string]float64) (float64, *offError) {
	at := func() int { return c.orig(c.fset.Position(n.Pos()).Offset) }
	switch n := n.(type) {
	case *ast.BasicLit:
		q := c.lits[c.fset.Position(n.Pos()).Offset]
		if q.dim != dimNone {
			return q.value / c.scale, nil
		}
		return q.value, nil
	case *ast.Ident:
		return env[n.Name], nil
	case *ast.ParenExpr:
		return c.eval(n.X, env)
	case *ast.UnaryExpr:
		x, err := c.eval(n.X, env)
		if n.Op == token.SUB {
			x = -x
		}
		return x, err
	case *ast.BinaryExpr:
		x, err := c.eval(n.X, env)
		if err != nil {
			return 0, err
		}
		y, err := c.eval(n.Y, env)
		if err != nil {
			return 0, err
		}
		switch n.Op {
		case token.ADD:
			return x + y, nil
		case token.SUB:
			return x - y, nil
		case token.MUL:
			return x * y, nil
		}
		if y == 0 {
			return 0, &offError{c.orig(c.fset.Position(n.OpPos).Offset), "division by zero"}
		}
		return x / y, nil
	case *ast.CallExpr:
		args := make([]float64, len(n.Args))
		for i, a := range n.Args {
			v, err := c.eval(a, env)
			if err != nil {
				return 0, err
			}
			args[i] = v
		}
		v, msg := funcs[n.Fun.(*ast.Ident).Name].fn(args...)
		if msg != "" {
			return 0, &offError{at(), msg}
		}
		return v, nil
	}
	return 0, &offError{at(), "unsupported expression"} // check rejects these
}

// render prints the tree with the literals as written and × for products.
func (c *compiled) render(n ast.Expr) string {
	switch n := n.(type) {
	case *ast.BasicLit:
		return c.lits[c.fset.Position(n.Pos()).Offset].text
	case *ast.Ident:
		return n.Name
	case *ast.ParenExpr:
		return "(" + c.render(n.X) + ")"
	case *ast.UnaryExpr:
		return n.Op.String() + c.render(n.X)
	case *ast.BinaryExpr:
		op := n.Op.String()
		if n.Op == token.MUL {
			op = "×"
		}
		return c.render(n.X) + " " + op + " " + c.render(n.Y)
	case *ast.CallExpr:
		args := make([]string, len(n.Args))
		for i, a := range n.Args {
			args[i] = c.render(a)
		}
		return c.render(n.Fun) + "(" + strings.Join(args, ", ") + ")"
	}
	return "?"
}
