package budgets

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A limit expression is Go expression syntax over float64: numbers, + - * /,
// parentheses, a few functions for complexity statements (log2, log10, ln,
// sqrt, min, max) and parameters, which are bound from the sub-benchmark
// name at evaluation. Numbers may carry a unit suffix ("10ns", "10KiB",
// "100MB/s", "1M"); a suffix must fit the limit's unit, so a duration in a
// B/op limit is an error, not a silent 1e-9. Bare numbers are in the unit as
// written: under "sec/op" 2 means 2 seconds, under "ns/op" 2 nanoseconds.
//
// go/parser does the parsing: quantity literals are first rewritten into
// plain float literals, with a map back to their place in the source, so
// errors still point at the column the user wrote.

// expr is a compiled limit expression; the zero value is "no expression".
type expr struct{ c *compiled }

type compiled struct {
	root    ast.Expr
	fset    *token.FileSet
	lits    map[int]quantity // rewritten offset → literal as written
	origOf  []int            // rewritten offset → source offset
	params  []string         // sorted, unique
	paramAt map[string]int   // parameter → source offset of its first use
	scale   float64          // unit as written → tidied unit
	written string           // the unit as written ("ns/op" for sec/op)
	loc     func(off int) (line, col int)
}

// funcs are the functions a limit may call, with their arity (-1: any ≥ 1).
var funcs = map[string]struct {
	arity int
	fn    func(args ...float64) (float64, string)
}{
	"log2":  {1, func(a ...float64) (float64, string) { return logOf(math.Log2, a[0]) }},
	"log10": {1, func(a ...float64) (float64, string) { return logOf(math.Log10, a[0]) }},
	"ln":    {1, func(a ...float64) (float64, string) { return logOf(math.Log, a[0]) }},
	"sqrt": {1, func(a ...float64) (float64, string) {
		if a[0] < 0 {
			return 0, "sqrt of a negative number"
		}
		return math.Sqrt(a[0]), ""
	}},
	"min": {-1, func(a ...float64) (float64, string) { return slices.Min(a), "" }},
	"max": {-1, func(a ...float64) (float64, string) { return slices.Max(a), "" }},
}

func logOf(f func(float64) float64, x float64) (float64, string) {
	if x <= 0 {
		return 0, "logarithm of a number ≤ 0"
	}
	return f(x), ""
}

// compile parses src as a limit on writtenUnit (as written in the file,
// before tidying). Problems go to errs, located through loc.
func compile(src, writtenUnit string, loc func(off int) (line, col int), errs *errorList) *compiled {
	scale, _ := TidyUnit(writtenUnit)
	c := &compiled{written: writtenUnit, scale: scale, loc: loc, lits: map[int]quantity{}, paramAt: map[string]int{}}
	fail := func(off int, format string, args ...any) *compiled {
		line, col := loc(off)
		errs.add(line, col, "limit %q: %s", src, fmt.Sprintf(format, args...))
		return nil
	}
	if strings.TrimSpace(src) == "" {
		return fail(0, "empty expression; write a number such as 0, or an expression such as 10ns * lines")
	}
	rewritten, err := c.rewrite(src)
	if err != nil {
		return fail(err.off, "%s", err.msg)
	}
	c.fset = token.NewFileSet()
	root, perr := parser.ParseExprFrom(c.fset, "", rewritten, parser.SkipObjectResolution)
	if perr != nil {
		off, msg := 0, perr.Error()
		if list, ok := perr.(scanner.ErrorList); ok && len(list) > 0 {
			off, msg = list[0].Pos.Offset, list[0].Msg
		}
		return fail(c.orig(off), "%s (expected an expression such as 10ns * lines + 1us)", msg)
	}
	c.root = root
	if off, msg := c.check(root, writtenUnit); msg != "" {
		return fail(off, "%s", msg)
	}
	slices.Sort(c.params)
	return c
}

// check walks the tree: it allows only what eval implements, checks each
// literal's suffix against the unit, and collects the parameters. It
// returns the source offset and message of the first problem.
func (c *compiled) check(n ast.Expr, writtenUnit string) (off int, msg string) {
	at := c.orig(c.fset.Position(n.Pos()).Offset)
	switch n := n.(type) {
	case *ast.BasicLit:
		if n.Kind != token.INT && n.Kind != token.FLOAT {
			return at, fmt.Sprintf("unexpected %s %s", strings.ToLower(n.Kind.String()), n.Value)
		}
		return at, checkQuantity(c.lits[c.fset.Position(n.Pos()).Offset], writtenUnit)
	case *ast.Ident:
		if _, isFunc := funcs[n.Name]; isFunc {
			return at, fmt.Sprintf("%s is a function: call it, as in %s(n)", n.Name, n.Name)
		}
		if _, dup := c.paramAt[n.Name]; !dup {
			c.paramAt[n.Name] = at
			c.params = append(c.params, n.Name)
		}
		return 0, ""
	case *ast.ParenExpr:
		return c.check(n.X, writtenUnit)
	case *ast.UnaryExpr:
		if n.Op != token.SUB && n.Op != token.ADD {
			return at, fmt.Sprintf("unsupported operator %s; use + - * / and parentheses", n.Op)
		}
		return c.check(n.X, writtenUnit)
	case *ast.BinaryExpr:
		opAt := c.orig(c.fset.Position(n.OpPos).Offset)
		switch n.Op {
		case token.ADD, token.SUB:
		case token.MUL:
			if c.hasUnit(n.X) && c.hasUnit(n.Y) {
				return opAt, "multiplies two quantities with units; one side must be a plain number or a parameter"
			}
		case token.QUO:
			if c.hasUnit(n.Y) {
				return opAt, "divides by a quantity with a unit; divide by a plain number or a parameter"
			}
		default:
			return opAt, fmt.Sprintf("unsupported operator %s; use + - * / and parentheses", n.Op)
		}
		if off, msg := c.check(n.X, writtenUnit); msg != "" {
			return off, msg
		}
		return c.check(n.Y, writtenUnit)
	case *ast.StarExpr:
		// "10ns * * n" parses as a product with a pointer dereference.
		return at, "unexpected * (a product needs a value on each side)"
	case *ast.CallExpr:
		id, isIdent := n.Fun.(*ast.Ident)
		if !isIdent {
			return at, "unsupported call; known functions: log2, log10, ln, sqrt, min, max"
		}
		f, known := funcs[id.Name]
		switch {
		case !known:
			return at, fmt.Sprintf("unknown function %s; known functions: log2, log10, ln, sqrt, min, max", id.Name)
		case n.Ellipsis.IsValid():
			return at, fmt.Sprintf("unexpected ... in call to %s", id.Name)
		case f.arity > 0 && len(n.Args) != f.arity, f.arity < 0 && len(n.Args) == 0:
			return at, fmt.Sprintf("%s takes %s", id.Name, plural(f.arity))
		}
		for _, a := range n.Args {
			if off, msg := c.check(a, writtenUnit); msg != "" {
				return off, msg
			}
		}
		return 0, ""
	}
	return at, "unsupported expression; use numbers, parameters, + - * /, parentheses and log2, log10, ln, sqrt, min, max"
}

// hasUnit reports whether n contains a literal with a unit suffix.
func (c *compiled) hasUnit(n ast.Expr) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if lit, ok := m.(*ast.BasicLit); ok && c.lits[c.fset.Position(lit.Pos()).Offset].dim != dimNone {
			found = true
		}
		return !found
	})
	return found
}

func plural(n int) string {
	if n < 0 {
		return "at least one argument"
	}
	if n == 1 {
		return "one argument"
	}
	return strconv.Itoa(n) + " arguments"
}

// offError is a problem at a byte offset of the source expression.
type offError struct {
	off int
	msg string
}

// rewrite replaces each quantity literal ("10ns", "4KiB", "100MB/s") by a
// plain float literal in the unit as written, so go/parser can read the
// expression, and records where each rewritten byte came from.
func (c *compiled) rewrite(src string) (string, *offError) {
	var b strings.Builder
	inIdent := false
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		if !inIdent && (isDigit(r) || r == '.' && i+1 < len(src) && isDigit(rune(src[i+1]))) {
			q, n := scanQuantity(src[i:])
			if n == 0 {
				return "", &offError{i, "number out of range"}
			}
			if next, _ := utf8.DecodeRuneInString(src[i+n:]); i+n < len(src) && isIdentRune(next) {
				word := src[i+n:]
				if end := strings.IndexFunc(word, func(r rune) bool { return !isIdentRune(r) }); end >= 0 {
					word = word[:end]
				}
				return "", &offError{i, fmt.Sprintf("unknown unit %q after %s; expected one of ns, us, µs, ms, s, B, kB, KiB, MB, MiB, GB, GiB, k, M, G (for a product, write 2*n)", word, src[i:i+n])}
			}
			v := q.value
			if q.dim != dimNone {
				v /= c.scale
			}
			lit := strconv.FormatFloat(v, 'g', -1, 64)
			c.lits[b.Len()] = q
			for range len(lit) {
				c.origOf = append(c.origOf, i)
			}
			b.WriteString(lit)
			i += n
			continue
		}
		inIdent = isIdentRune(r)
		for range size {
			c.origOf = append(c.origOf, i)
		}
		b.WriteString(src[i : i+size])
		i += size
	}
	c.origOf = append(c.origOf, len(src))
	return b.String(), nil
}

// orig maps an offset in the rewritten expression back to the source.
func (c *compiled) orig(off int) int {
	if off < 0 || len(c.origOf) == 0 {
		return 0
	}
	return c.origOf[min(off, len(c.origOf)-1)]
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
