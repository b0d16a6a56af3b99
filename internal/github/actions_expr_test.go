package github

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// exprContext evaluates the subset of GitHub Actions expressions the
// shipped workflows use: contexts (github.event.…, runner.temp,
// steps.ID.outputs.NAME), string and number literals, == and != (strings
// compared ignoring case, as GitHub does), !, && and ||, parentheses, and
// the status functions. Anything else fails the test: the harness must not
// guess what a workflow means.
type exprContext struct {
	status string // the job's: "success" or "failure"
	values map[string]any
}

var interpolation = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// interpolate replaces each ${{ expr }} in s with its value.
func (c *exprContext) interpolate(t *testing.T, s string) string {
	t.Helper()
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		return exprString(c.eval(t, interpolation.FindStringSubmatch(m)[1]))
	})
}

// truthy evaluates an if: condition, with or without ${{ }}.
func (c *exprContext) truthy(t *testing.T, cond string) bool {
	t.Helper()
	cond = strings.TrimSpace(cond)
	if m := interpolation.FindStringSubmatch(cond); m != nil && m[0] == cond {
		cond = m[1]
	}
	v := c.eval(t, cond)
	// A condition without a status function implies success() &&.
	if !strings.Contains(cond, "always()") && !strings.Contains(cond, "failure()") && !strings.Contains(cond, "cancelled()") && c.status != "success" {
		return false
	}
	return truth(v)
}

// envMap evaluates the values of an env: or with: mapping.
func (c *exprContext) envMap(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, val := range m {
		out[k] = c.interpolate(t, exprString(val))
	}
	return out
}

func (c *exprContext) eval(t *testing.T, expr string) any {
	t.Helper()
	p := &exprParser{c: c, toks: tokenize(t, expr), expr: expr}
	v := p.or(t)
	if p.i != len(p.toks) {
		t.Fatalf("expression %q: the harness does not understand %q", expr, p.toks[p.i])
	}
	return v
}

type exprParser struct {
	c    *exprContext
	toks []string
	i    int
	expr string
}

func (p *exprParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *exprParser) next() string { s := p.peek(); p.i++; return s }

func (p *exprParser) or(t *testing.T) any {
	v := p.and(t)
	for p.peek() == "||" {
		p.next()
		w := p.and(t)
		if !truth(v) {
			v = w
		}
	}
	return v
}

func (p *exprParser) and(t *testing.T) any {
	v := p.cmp(t)
	for p.peek() == "&&" {
		p.next()
		w := p.cmp(t)
		if truth(v) {
			v = w
		}
	}
	return v
}

func (p *exprParser) cmp(t *testing.T) any {
	v := p.unary(t)
	if op := p.peek(); op == "==" || op == "!=" {
		p.next()
		w := p.unary(t)
		eq := looseEqual(v, w)
		if op == "==" {
			return eq
		}
		return !eq
	}
	return v
}

func (p *exprParser) unary(t *testing.T) any {
	if p.peek() == "!" {
		p.next()
		return !truth(p.unary(t))
	}
	return p.primary(t)
}

func (p *exprParser) primary(t *testing.T) any {
	t.Helper()
	tok := p.next()
	switch {
	case tok == "(":
		v := p.or(t)
		if p.next() != ")" {
			t.Fatalf("expression %q: unbalanced parentheses", p.expr)
		}
		return v
	case strings.HasPrefix(tok, "'"):
		return strings.ReplaceAll(tok[1:len(tok)-1], "''", "'")
	case tok == "true" || tok == "false":
		return tok == "true"
	case tok == "null":
		return nil
	case tok != "" && (tok[0] == '-' || unicode.IsDigit(rune(tok[0]))):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			t.Fatalf("expression %q: number %q: %v", p.expr, tok, err)
		}
		return f
	case p.peek() == "(" && isIdent(tok):
		p.next()
		var args []any
		for p.peek() != ")" {
			if len(args) > 0 && p.next() != "," {
				t.Fatalf("expression %q: want , between the arguments of %s", p.expr, tok)
			}
			args = append(args, p.or(t))
		}
		p.next()
		return p.call(t, tok, args)
	case tok != "":
		parts := strings.Split(tok, ".")
		cur, known := p.c.values[parts[0]]
		if !known {
			t.Fatalf("expression %q: the harness has no context %q", p.expr, parts[0])
		}
		for _, part := range parts[1:] {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[part]
		}
		return cur
	}
	t.Fatalf("expression %q: unexpected end", p.expr)
	return nil
}

var exprToken = regexp.MustCompile(`\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|,|[A-Za-z_][A-Za-z0-9_.-]*|-?[0-9][0-9.]*)`)

func isIdent(s string) bool {
	return s != "" && (unicode.IsLetter(rune(s[0])) || s[0] == '_') && !strings.Contains(s, ".")
}

// call evaluates the functions the shipped workflows use.
func (p *exprParser) call(t *testing.T, name string, args []any) any {
	t.Helper()
	switch name {
	case "always":
		return true
	case "success":
		return p.c.status == "success"
	case "failure":
		return p.c.status == "failure"
	case "cancelled":
		return false
	case "format":
		if len(args) == 0 {
			t.Fatalf("expression %q: format() needs a format string", p.expr)
		}
		out := exprString(args[0])
		for i, a := range args[1:] {
			out = strings.ReplaceAll(out, "{"+strconv.Itoa(i)+"}", exprString(a))
		}
		return out
	}
	t.Fatalf("expression %q: the harness does not emulate %s()", p.expr, name)
	return nil
}

func tokenize(t *testing.T, expr string) []string {
	t.Helper()
	var toks []string
	rest := expr
	for strings.TrimSpace(rest) != "" {
		m := exprToken.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			t.Fatalf("expression %q: the harness cannot read %q", expr, rest)
		}
		toks = append(toks, rest[m[2]:m[3]])
		rest = rest[m[1]:]
	}
	return toks
}

func truth(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	}
	return true
}

func looseEqual(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs)
	}
	return exprString(a) == exprString(b)
}

// exprString is a value as ${{ }} writes it into text.
func exprString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case uint64:
		return strconv.FormatUint(v, 10)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

func TestExpressions(t *testing.T) {
	c := &exprContext{status: "success", values: map[string]any{
		"github": map[string]any{"event_name": "pull_request", "base_ref": "main",
			"event": map[string]any{"number": float64(7), "workflow_run": map[string]any{"event": "Pull_Request"}}},
	}}
	for expr, want := range map[string]string{
		"github.base_ref":     "main",
		"github.event.number": "7",
		"github.event.workflow_run.event == 'pull_request'":                    "true",
		"github.event_name != 'push' && github.base_ref":                       "main",
		"!(github.event.missing || false)":                                     "true",
		"github.event.missing":                                                 "",
		"'it''s'":                                                              "it's",
		"always() && github.event_name == 'workflow_run'":                      "false",
		"github.event_name == 'pull_request' || 'unreachable'":                 "true",
		"github.base_ref != '' && format('-{0}{1}', github.base_ref, 2) || ''": "-main2",
		"github.event.missing != '' && format('-{0}', 'x') || ''":              "",
	} {
		if got := exprString(c.eval(t, expr)); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	if got := c.interpolate(t, "--base origin/${{ github.base_ref }} #${{github.event.number}}"); got != "--base origin/main #7" {
		t.Errorf("interpolate = %q", got)
	}
	c.status = "failure"
	if c.truthy(t, "github.base_ref == 'main'") || !c.truthy(t, "always()") || !c.truthy(t, "${{ failure() }}") {
		t.Error("status functions: after a failure only always() and failure() conditions hold")
	}
}
