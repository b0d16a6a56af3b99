package gate

import (
	"fmt"
	"strings"
)

// maxSkippedText caps the skipped packages the text report lists.
const maxSkippedText = 30

// Skipped is a package a run did not gate, and why (unaffected by the
// change, or another shard's).
type Skipped struct {
	Package string `json:"package"`
	Reason  string `json:"reason"`
}

// Shard is one part of a suite split over several jobs: what it ran and
// what must agree between shards for their reports to be merged.
type Shard struct {
	// Index is 1-based, of Count.
	Index int `json:"index"`
	Count int `json:"count"`
	// Packages are the packages the shard gated.
	Packages []string `json:"packages"`
	// Config is the digest of the budgets file the shard judged with
	// ("none" without one); Version is the perfslo that measured.
	Config  string `json:"config"`
	Version string `json:"version"`
}

// String is "2/3".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// skippedText is ", 12 packages skipped (unaffected)" for verdict lines,
// "" when nothing was skipped.
func skippedText(r *Report) string {
	if len(r.Skipped) == 0 {
		return ""
	}
	return fmt.Sprintf("%d package(s) skipped, not judged: %s", len(r.Skipped), r.Skipped[0].Reason+moreText(len(r.Skipped)-1))
}

func moreText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %d more, see the report)", n)
}

// nothingToGate is true for a run that skipped every package and ran
// nothing: the change touches no benchmarked code.
func (r *Report) nothingToGate() bool {
	return len(r.Results) == 0 && len(r.Failures) == 0 && len(r.Skipped) > 0
}

// skippedSection lists the packages not gated, collapsed: a reader checks
// that nothing they changed was left out.
func skippedSection(r *Report) mdSection {
	s := mdSection{closer: "\n</details>\n"}
	if r.Selection != "" || len(r.Skipped) > 0 {
		s.header = fmt.Sprintf("\n<details><summary>%d package(s) skipped, not judged</summary>\n\n%s\n\n", len(r.Skipped), escapeText(r.Selection))
	}
	for _, sk := range r.Skipped {
		s.rows = append(s.rows, fmt.Sprintf("- `%s`: %s\n", sk.Package, escapeText(sk.Reason)))
	}
	return s
}

// packageLabels names each package of rows by the shortest tail of its
// import path that no other package of the report shares: "parse" alone,
// but "a/parse" and "b/parse" when two modules of a workspace both have
// one, so rows of clashing names never read as the same benchmark.
func packageLabels(rows []Row) map[string]string {
	var pkgs []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Package] {
			seen[r.Package] = true
			pkgs = append(pkgs, r.Package)
		}
	}
	labels := map[string]string{}
	for _, p := range pkgs {
		elems := strings.Split(p, "/")
		for n := 1; n <= len(elems); n++ {
			tail := strings.Join(elems[len(elems)-n:], "/")
			unique := true
			for _, q := range pkgs {
				if q != p && (q == tail || strings.HasSuffix(q, "/"+tail)) {
					unique = false
					break
				}
			}
			if unique || n == len(elems) {
				labels[p] = tail
				break
			}
		}
	}
	return labels
}
