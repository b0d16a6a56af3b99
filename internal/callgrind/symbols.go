package callgrind

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"sort"
	"strings"
)

// importPath reads the package's import path from a test binary's build
// information: `go test -c` records the main package as "<import path>.test".
func importPath(binary string) (string, error) {
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		return "", fmt.Errorf("%s: reading Go build information: %w (is it a test binary built with `go test -c`?)", binary, err)
	}
	p, ok := strings.CutSuffix(bi.Path, ".test")
	if !ok {
		return "", fmt.Errorf("%s: built as %q, not a test binary (`go test -c` names it <package>.test)", binary, bi.Path)
	}
	return p, nil
}

// symbolPrefix is how the Go linker spells an import path in symbol names
// (cmd/internal/objabi.PathToPrefix): control characters, space, '%', '"'
// and non-ASCII bytes are %-escaped everywhere, and '.' is escaped in the
// last path element, so "gopkg.in/yaml.v3" becomes "gopkg.in/yaml%2ev3".
func symbolPrefix(path string) string {
	slash := strings.LastIndexByte(path, '/')
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c <= ' ' || (c == '.' && i > slash) || c == '%' || c == '"' || c >= 0x7F {
			fmt.Fprintf(&b, "%%%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// funcSymbols returns the names of the binary's function symbols.
func funcSymbols(binary string) (map[string]bool, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (callgrind runs ELF binaries: Linux only)", binary, err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: no symbol table (%v): built with -ldflags=-s? callgrind needs function names to count inside a benchmark", binary, err)
	}
	out := make(map[string]bool, len(syms))
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			out[s.Name] = true
		}
	}
	return out, nil
}

// topSymbol returns the symbol of a top-level benchmark function. It lives
// in the package itself or in its external test package ("<path>_test").
func topSymbol(binary, pkg, top string) (string, error) {
	syms, err := funcSymbols(binary)
	if err != nil {
		return "", err
	}
	var found []string
	for _, p := range []string{pkg, pkg + "_test"} {
		if s := symbolPrefix(p) + "." + top; syms[s] {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("%s: no function %s.%s (or in %s_test): is the benchmark in this package?", binary, pkg, top, pkg)
	default:
		return "", fmt.Errorf("%s: both %s and %s exist; cannot tell which one the benchmark runs", binary, found[0], found[1])
	}
}

// runN is the testing package's method that calls a benchmark's function
// (b.benchFunc(b)) with b.N set, for top-level benchmarks and for b.Run's
// sub-benchmarks alike.
const runN = "testing.(*B).runN"

// benchRunner reports whether a function is part of the machinery runN calls
// besides the benchmark body: the testing package itself and what it uses
// (locks, contexts, the runtime, race hooks).
func benchRunner(name string) bool {
	for _, p := range []string{"testing.", "runtime.", "context.", "sync.", "sync/", "internal/", "time.", "fmt."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	// Unnamed code (callgrind writes an address).
	return strings.HasPrefix(name, "0x")
}

// leafFromProfile finds the function a sub-benchmark's b.Run passed, from a
// whole-program callgrind profile of one run of that sub-benchmark at -test.benchtime 2x:
// the callees of testing.(*B).runN are the benchmark functions of every
// level (the top-level function, each enclosing b.Run's function, and the
// leaf). The leaf is the one that does not call (*B).Run; if callgrind's
// view is ambiguous, the one runN called twice (run1's single iteration and
// then the 2 iterations); a b.Loop body is called once but calls (*B).Loop.
func leafFromProfile(f *File, top string) (string, error) {
	caller := f.Functions[runN]
	if caller == nil {
		return "", fmt.Errorf("%s: no calls from %s recorded: did the benchmark run?", f.Path, runN)
	}
	var cands []string
	for callee := range caller.Calls {
		if !benchRunner(callee) {
			cands = append(cands, callee)
		}
	}
	sort.Strings(cands)
	calls := func(fn, callee string) int64 {
		if g := f.Functions[fn]; g != nil {
			return g.Calls[callee]
		}
		return 0
	}
	pick := func(keep func(string) bool) []string {
		var out []string
		for _, c := range cands {
			if keep(c) {
				out = append(out, c)
			}
		}
		return out
	}
	if leaves := pick(func(c string) bool { return c != top && calls(c, "testing.(*B).Run") == 0 }); len(leaves) == 1 {
		return leaves[0], nil
	}
	if leaves := pick(func(c string) bool { return c != top && caller.Calls[c] >= 2 }); len(leaves) == 1 {
		return leaves[0], nil
	}
	if leaves := pick(func(c string) bool { return c != top && calls(c, "testing.(*B).Loop") > 0 }); len(leaves) == 1 {
		return leaves[0], nil
	}
	return "", fmt.Errorf("%s: cannot tell which function runs the sub-benchmark: %s calls %s", f.Path, runN, strings.Join(cands, ", "))
}

// toggleArg turns a symbol into a valgrind function pattern that matches
// it alone. valgrind's patterns treat '*' and '?' as wildcards and have no
// escape (measured: "testing.(\*B).runN" matches nothing), and Go method
// symbols contain '*' ("pkg.(*T).bench-fm"); '?' (any one character) in its
// place matches the same symbol and, since Go writes no other character
// after "(" in a method's name, nothing longer. The caller checks the
// pattern against the binary's symbols anyway (uniqueMatch).
func toggleArg(symbol string) string {
	return strings.ReplaceAll(symbol, "*", "?")
}

// globMatch is valgrind's VG_(string_match): '*' any sequence, '?' any one
// character, everything else literal.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
	}
}

// uniqueMatch checks that pattern selects exactly one function of the
// binary, so that the count is not the sum of several functions' calls.
func uniqueMatch(binary, pattern string) error {
	syms, err := funcSymbols(binary)
	if err != nil {
		return err
	}
	var m []string
	for s := range syms {
		if globMatch(pattern, s) {
			m = append(m, s)
		}
	}
	sort.Strings(m)
	switch {
	case len(m) == 0:
		return fmt.Errorf("%s: no function matches %q", binary, pattern)
	case len(m) > 1:
		return fmt.Errorf("%s: valgrind pattern %q matches %d functions (%s), not just the benchmark's", binary, pattern, len(m), strings.Join(m, ", "))
	}
	return nil
}
