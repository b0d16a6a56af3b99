package budgets

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// reader walks goccy/go-yaml's AST rather than decoding into structs, so
// every value keeps its line and column, every problem is reported (not
// just the first), and unknown keys are caught at any depth.
type reader struct {
	errs    *errorList
	lines   []string            // the source, for exact columns inside values
	anchors map[string]ast.Node // &name → node, for *name and <<: *name
	// aliases counts alias expansions and merging holds the mappings being
	// merged: together they stop self-merges and alias bombs, which
	// would otherwise recurse or blow up exponentially.
	aliases   int
	merging   map[ast.Node]bool
	exhausted bool
}

// maxAliases bounds alias expansions per file; real configs use a handful.
const maxAliases = 1000

func newReader(data []byte, errs *errorList, body ast.Node) *reader {
	r := &reader{errs: errs, lines: strings.Split(string(data), "\n"), anchors: map[string]ast.Node{}, merging: map[ast.Node]bool{}}
	ast.Walk(anchorCollector(r.anchors), body)
	return r
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

// pos locates a node: line and column of its first token.
func pos(n ast.Node) (line, col int) {
	if n == nil {
		return 0, 0
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && !m.IsFlowStyle {
		return pos(m.Values[0].Key)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return 0, 0
}

func (r *reader) errorf(n ast.Node, format string, args ...any) {
	line, col := pos(n)
	r.errs.add(line, col, format, args...)
}

// resolve looks through anchors, tags and aliases to the node that holds
// the value. It returns nil for an alias to nothing (reported).
func (r *reader) resolve(n ast.Node) ast.Node {
	for range 64 { // aliases cannot loop in valid YAML; be safe anyway
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			if r.aliases++; r.aliases > maxAliases {
				if !r.exhausted {
					r.exhausted = true
					r.errorf(v, "more than %d alias expansions; perfslo.yaml does not need that many", maxAliases)
				}
				return nil
			}
			name := ""
			if v.Value != nil {
				name = v.Value.GetToken().Value
			}
			target, ok := r.anchors[name]
			if !ok {
				r.errorf(v, "unknown alias *%s; define it first with &%s", name, name)
				return nil
			}
			n = target
		default:
			return n
		}
	}
	r.errorf(n, "aliases nest too deep")
	return nil
}

// field is one key: value pair of a mapping.
type field struct {
	key   string
	keyN  ast.Node
	value ast.Node
}

// fields returns the pairs of a mapping (null counts as empty), with YAML
// merge keys (<<: *base) expanded; explicit keys win over merged ones.
func (r *reader) fields(n ast.Node, what string) ([]field, bool) {
	n = r.resolve(n)
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case nil:
		return nil, false
	case *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		r.errorf(n, "%s: expected a mapping (key: value), found %s", what, describeNode(n))
		return nil, false
	}
	var out, merged []field
	seen := map[string]bool{}
	for _, mv := range values {
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			if r.merging[n] {
				r.errorf(mv.Key, "%s: merge key (<<) merges a mapping into itself", what)
				continue
			}
			r.merging[n] = true
			for _, src := range r.mergeSources(mv.Value) {
				more, _ := r.fields(src, what)
				merged = append(merged, more...)
			}
			delete(r.merging, n)
			continue
		}
		k, ok := r.keyText(mv.Key)
		if !ok {
			continue
		}
		seen[k] = true
		out = append(out, field{key: k, keyN: mv.Key, value: mv.Value})
	}
	for _, f := range merged {
		if !seen[f.key] {
			seen[f.key] = true
			out = append(out, f)
		}
	}
	return out, true
}

func (r *reader) mergeSources(n ast.Node) []ast.Node {
	if s, ok := r.resolve(n).(*ast.SequenceNode); ok {
		return s.Values
	}
	return []ast.Node{n}
}

func (r *reader) keyText(k ast.Node) (string, bool) {
	switch v := r.resolve(k).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	case nil:
		return "", false
	}
	r.errorf(k, "unsupported key: a key is a plain string such as sec/op")
	return "", false
}

// strict returns a mapping's fields by key and reports keys not in allowed,
// suggesting the closest allowed one.
func (r *reader) strict(n ast.Node, what string, allowed ...string) (map[string]field, bool) {
	fs, ok := r.fields(n, what)
	out := make(map[string]field, len(fs))
	for _, f := range fs {
		if !contains(allowed, f.key) {
			msg := fmt.Sprintf("unknown key %q in %s", f.key, what)
			if s := closest(f.key, allowed); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			r.errorf(f.keyN, "%s (allowed: %s)", msg, strings.Join(allowed, ", "))
			continue
		}
		out[f.key] = f
	}
	return out, ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar returns a scalar's text as written (numbers keep their spelling).
func (r *reader) scalar(n ast.Node, what string) (string, bool) {
	switch v := r.resolve(n).(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return strings.TrimRight(v.Value.Value, "\n"), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	case *ast.NullNode:
		r.errorf(n, "%s: missing value", what)
		return "", false
	default:
		r.errorf(n, "%s: expected a single value, found %s", what, describeNode(v))
		return "", false
	}
}

// text is scalar for fields that must not be empty.
func (r *reader) text(n ast.Node, what string) (string, bool) {
	s, ok := r.scalar(n, what)
	if ok && strings.TrimSpace(s) == "" {
		r.errorf(n, "%s: empty value", what)
		return "", false
	}
	return s, ok
}

func (r *reader) integer(n ast.Node, what string) (int, bool) {
	v, isInt := r.resolve(n).(*ast.IntegerNode)
	if !isInt {
		if s, ok := r.scalar(n, what); ok {
			r.errorf(n, "%s: expected an integer, found %q", what, s)
		}
		return 0, false
	}
	switch x := v.GetValue().(type) {
	case int64:
		if int64(int(x)) == x {
			return int(x), true
		}
	case uint64:
		if x <= uint64(^uint(0)>>1) {
			return int(x), true
		}
	}
	r.errorf(n, "%s: integer %s out of range", what, v.GetToken().Value)
	return 0, false
}

// atLeast reads the integer field key of fs, when it is there, into dst,
// and reports a value below min at that value as "what N: why" (dst still
// takes it, so later checks see what the file says).
func (r *reader) atLeast(fs map[string]field, key, what string, min int, why string, dst *int) {
	f, ok := fs[key]
	if !ok {
		return
	}
	v, ok := r.integer(f.value, what)
	if !ok {
		return
	}
	if v < min {
		r.errorf(f.value, "%s %d: %s", what, v, why)
	}
	*dst = v
}

// sequence returns a list's items; a single scalar counts as a list of one.
func (r *reader) sequence(n ast.Node, what string) ([]ast.Node, bool) {
	switch v := r.resolve(n).(type) {
	case nil:
		return nil, false
	case *ast.SequenceNode:
		return v.Values, true
	case *ast.NullNode:
		return nil, true
	case *ast.StringNode:
		return []ast.Node{v}, true
	default:
		r.errorf(n, "%s: expected a list, found %s", what, describeNode(v))
		return nil, false
	}
}

// locator maps a byte offset inside a scalar's value to a line and column.
// Columns are exact when the value sits on one line as written (plain or
// simply quoted); otherwise every offset maps to the value's start.
func (r *reader) locator(n ast.Node, value string) func(off int) (int, int) {
	n = r.resolve(n)
	line, col := pos(n)
	shift := -1
	if tk := n.GetToken(); tk != nil && line >= 1 && line <= len(r.lines) && col >= 1 {
		if tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType {
			col++
		}
		src := r.lines[line-1]
		if i := runeOffset(src, col-1); i >= 0 && strings.HasPrefix(src[i:], value) {
			shift = 0
		}
	}
	return func(off int) (int, int) {
		if shift < 0 || off < 0 || off > len(value) {
			return line, col
		}
		return line, col + utf8.RuneCountInString(value[:off])
	}
}

// runeOffset returns the byte offset of the n-th rune of s, or -1.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	if n == 0 {
		return len(s)
	}
	return -1
}

// maxQuoted caps a value an error message quotes, in bytes: what a binary
// file or a huge scalar starts with is enough to find it.
const maxQuoted = 80

func describeNode(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "nothing"
	}
	s := n.String()
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return fmt.Sprintf("%q", s)
}
