// Package affected decides which packages a change can slow down: those
// whose own files, or whose test binary's dependencies' files, the change
// touches. The selection (Select) is pure, so it is tested apart from the
// go list and git calls that feed it (Load, Changed).
//
// It errs on the side of running: a change it cannot place in the package
// graph safely (go.mod, go.sum, go.work, vendor/, the budgets file) runs
// everything, and every file in a package's directory counts as that
// package's, Go or not (assembly, cgo sources, data read at run time).
package affected

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Package is one package of the graph, as Select needs it.
type Package struct {
	// ImportPath is the package's import path.
	ImportPath string
	// Dir is the package's directory relative to the repository root,
	// slash-separated ("." for the root); "" for packages outside it
	// (the standard library, the module cache).
	Dir string
	// Module is the path of the module the package belongs to.
	Module string
	// Embeds are the files embedded by the package or its tests, relative
	// to Dir (they may lie in subdirectories).
	Embeds []string
	// Target is true for a package the gate would run: it matches the
	// patterns and has test files.
	Target bool
	// Benchmarks counts the Benchmark functions of the package's test
	// files: the weight of a shard when no durations are stored.
	Benchmarks int
	// Deps are the import paths the package's test binary depends on,
	// transitively (without the test-variant suffix).
	Deps []string
}

// Skip is a package left out, and why.
type Skip struct {
	Package string `json:"package"`
	Reason  string `json:"reason"`
}

// Selection is what to gate.
type Selection struct {
	// All is true when every target runs; Reason then says why.
	All    bool
	Reason string
	// Changed are the changed files (repository-relative).
	Changed []string
	// Run are the targets to gate, with why each one is affected.
	Run []Skip
	// Skipped are the targets left out.
	Skipped []Skip
	// BaseOnly are the directories of changed Go files in which the head
	// has no package: a package the change deleted or moved away. Only the
	// base can be listed there, so the gate must build the base even when
	// no head package is affected, or the vanished benchmarks would pass
	// unjudged.
	BaseOnly []string
}

// Runs reports whether the target importPath is selected.
func (s *Selection) Runs(importPath string) bool {
	for _, r := range s.Run {
		if r.Package == importPath {
			return true
		}
	}
	return false
}

// globalFiles are files whose change can alter every package's build.
var globalFiles = map[string]bool{"go.mod": true, "go.sum": true, "go.work": true, "go.work.sum": true}

// Select picks the targets that changed files affect. config is the
// budgets file's repository-relative path ("" for none): changing it can
// change any verdict, so it runs everything, as force does.
func Select(pkgs []Package, changed []string, config string, force bool) Selection {
	sel := Selection{Changed: append([]string(nil), changed...)}
	sort.Strings(sel.Changed)
	if why := globalReason(sel.Changed, config, force); why != "" {
		sel.All, sel.Reason = true, why
		for _, p := range pkgs {
			if p.Target {
				sel.Run = append(sel.Run, Skip{Package: p.ImportPath, Reason: why})
			}
		}
		sortSkips(sel.Run)
		return sel
	}
	owned := ownedChanges(pkgs, sel.Changed)
	sel.BaseOnly = baseOnlyDirs(pkgs, sel.Changed)
	for _, p := range pkgs {
		if !p.Target {
			continue
		}
		if why := affectedBy(p, owned); why != "" {
			sel.Run = append(sel.Run, Skip{Package: p.ImportPath, Reason: why})
		} else {
			sel.Skipped = append(sel.Skipped, Skip{Package: p.ImportPath, Reason: "unaffected: no changed file in it or in its dependencies"})
		}
	}
	sortSkips(sel.Run)
	sortSkips(sel.Skipped)
	sel.Reason = fmt.Sprintf("%d changed file(s) affect %d of %d package(s)", len(sel.Changed), len(sel.Run), len(sel.Run)+len(sel.Skipped))
	if len(sel.BaseOnly) > 0 {
		sel.Reason += fmt.Sprintf("; Go files changed where the head has no package (%s): the base's packages there are run too", strings.Join(sel.BaseOnly, ", "))
	}
	return sel
}

func sortSkips(s []Skip) { sort.Slice(s, func(i, j int) bool { return s[i].Package < s[j].Package }) }

// globalReason says why a change runs everything, "" when it does not.
func globalReason(changed []string, config string, force bool) string {
	if force {
		return "--all: every package"
	}
	for _, f := range changed {
		switch {
		case globalFiles[path.Base(f)]:
			return f + " changed: every package"
		case config != "" && f == config:
			return f + " (the budgets) changed: every package"
		case f == "vendor" || strings.HasPrefix(f, "vendor/") || strings.Contains(f, "/vendor/"):
			return f + " (vendored code) changed: every package"
		}
	}
	return ""
}

// baseOnlyDirs lists the directories of changed Go files that hold no
// package of the head's graph (test data and vendored code excepted).
func baseOnlyDirs(pkgs []Package, changed []string) []string {
	dirs := map[string]bool{}
	for i := range pkgs {
		dirs[pkgs[i].Dir] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range changed {
		d := path.Dir(f)
		if !strings.HasSuffix(f, ".go") || dirs[d] || seen[d] || inTestdata(f) {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// inTestdata reports whether f lies in a directory the go command ignores.
func inTestdata(f string) bool {
	for _, part := range strings.Split(path.Dir(f), "/") {
		if part == "testdata" || strings.HasPrefix(part, "_") || strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}

// ownedChanges maps each package with a changed file to its first one.
func ownedChanges(pkgs []Package, changed []string) map[string]string {
	byDir := map[string][]*Package{}
	for i := range pkgs {
		if pkgs[i].Dir != "" {
			byDir[pkgs[i].Dir] = append(byDir[pkgs[i].Dir], &pkgs[i])
		}
	}
	owned := map[string]string{}
	mark := func(p *Package, f string) {
		if _, ok := owned[p.ImportPath]; !ok {
			owned[p.ImportPath] = f
		}
	}
	for _, f := range changed {
		// Every file of the directory itself, and testdata/ below it.
		for d := path.Dir(f); ; d = path.Dir(d) {
			for _, p := range byDir[d] {
				if d == path.Dir(f) || strings.HasPrefix(f, path.Join(d, "testdata")+"/") || p.embeds(f) {
					mark(p, f)
				}
			}
			if d == "." || d == "/" {
				break
			}
		}
	}
	return owned
}

// embeds reports whether the package embeds the repository file f.
func (p *Package) embeds(f string) bool {
	for _, e := range p.Embeds {
		if path.Join(p.Dir, e) == f {
			return true
		}
	}
	return false
}

// affectedBy says why target p is affected, "" when it is not.
func affectedBy(p Package, owned map[string]string) string {
	if p.Dir == "" {
		return "outside the repository: its changes cannot be seen, so it is gated"
	}
	if f, ok := owned[p.ImportPath]; ok {
		return "changed: " + f
	}
	deps := append([]string(nil), p.Deps...)
	sort.Strings(deps)
	for _, d := range deps {
		if f, ok := owned[d]; ok {
			return fmt.Sprintf("depends on %s (changed: %s)", d, f)
		}
	}
	return ""
}
