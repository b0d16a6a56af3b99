package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// historyDir holds the history in the branch's tree. Its name cannot name a
// baseline (CheckName refuses a leading dot), so List and Load never see it.
// Entries are sharded by month (.history/2026-12/…) so that recording one
// rewrites a small tree, not one listing every entry ever kept.
const historyDir = ".history"

// Entry suffixes: a raw entry keeps every sample, a summary only the
// per-benchmark summaries. The kind is in the name so that compaction can
// choose what to rewrite without reading every entry.
const (
	rawSuffix     = ".raw.json"
	summarySuffix = ".sum.json"
)

// HistoryEntry is one recorded baseline of the default branch.
type HistoryEntry struct {
	Meta Meta `json:"meta"`
	// Results is the benchfmt text; empty once compacted.
	Results string `json:"results,omitempty"`
	// Summaries is the compacted form (gate.FormatSummaries), set once the
	// samples are dropped: a line per series, a few KiB per baseline.
	Summaries string `json:"summaries,omitempty"`
	// Summary is Summaries parsed (or, for a raw entry, computed) on load.
	Summary []gate.Summary `json:"-"`
	// Path is the entry's place in the branch's tree.
	Path string `json:"-"`
}

// Raw reports whether the entry still has its samples.
func (e *HistoryEntry) Raw() bool { return e.Results != "" }

// Snapshot is the entry as gate's trends and creep take it: summaries
// always, the samples while the entry has them.
func (e *HistoryEntry) Snapshot() (gate.Snapshot, error) {
	s := gate.Snapshot{Commit: e.Meta.Commit, Date: e.Meta.Date, Summaries: e.Summary}
	if !e.Raw() && s.Summaries == nil {
		sums, err := gate.ParseSummaries(e.Summaries, e.Path)
		if err != nil {
			return s, err
		}
		s.Summaries = sums
	}
	if e.Raw() {
		side, err := gate.SideFromResults([]byte(e.Results), e.Path)
		if err != nil {
			return s, err
		}
		s.Side = side
		if s.Summaries == nil {
			s.Summaries = gate.Summarize(side, 0)
		}
	}
	return s, nil
}

// RecordResult says what one Record did to the history.
type RecordResult struct {
	Path string
	// Entries is how many the history holds now, Raw how many of them
	// with samples.
	Entries, Raw int
	// Compacted and Dropped count the entries compacted or dropped.
	Compacted, Dropped int
	// Squashed reports that the branch was rewritten as a single commit,
	// so that what compaction and retention removed is no longer reachable.
	Squashed bool
}

// entryName is the entry's path: month shard, then a name that sorts by
// date.
func entryName(m Meta) string {
	c := m.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "nocommit"
	}
	d := m.Date.UTC()
	return path.Join(historyDir, d.Format("2006-01"), d.Format("20060102T150405.000000000Z")+"-"+c+rawSuffix)
}

// entryDate reads the date back from an entry's file name.
func entryDate(p string) (time.Time, bool) {
	base := path.Base(p)
	stamp, _, ok := strings.Cut(base, "-")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405.000000000Z", stamp)
	return t, err == nil
}

// Record adds a baseline to the history under the retention policy: the
// newest pol.Raw entries keep their samples, older raw entries are
// compacted to summaries (in batches, once the raw ones exceed the policy
// by half again, so the branch is not rewritten on every record), and
// entries beyond pol.Keep or older than pol.MaxAge are dropped. When
// anything was compacted or dropped the branch is rewritten as one commit
// whose tree is the whole current state: otherwise the removed samples
// would stay reachable in the branch's past commits and the data branch
// would keep growing. The named baselines at the tip are kept as they are.
func (g *GitBranch) Record(meta Meta, results []byte, pol budgets.History) (*RecordResult, error) {
	ctx := context.Background()
	if err := g.checkBranch(ctx); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(results)) == 0 {
		return nil, errors.New("git store: history: no results to record")
	}
	if meta.Date.IsZero() {
		now := time.Now
		if g.Now != nil {
			now = g.Now
		}
		meta.Date = now().UTC()
	}
	data, err := json.Marshal(HistoryEntry{Meta: meta, Results: string(results)})
	if err != nil {
		return nil, err
	}
	blob, err := g.gitIn(ctx, append(data, '\n'), "hash-object", "-w", "--stdin")
	if err != nil {
		return nil, err
	}
	attempts := g.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			sleep := time.Sleep
			if g.Sleep != nil {
				sleep = g.Sleep
			}
			sleep(time.Duration(attempt-1) * 200 * time.Millisecond)
		}
		res, err := g.recordOnce(ctx, meta, strings.TrimSpace(blob), pol)
		if err == nil || !errors.Is(err, errRejected) {
			return res, err
		}
		last = err
	}
	return nil, fmt.Errorf("git store: recording history on %s: other writers kept winning after %d attempts: %w", g.branch(), attempts, last)
}

func (g *GitBranch) recordOnce(ctx context.Context, meta Meta, blob string, pol budgets.History) (*RecordResult, error) {
	tip, err := g.readRef(ctx)
	if err != nil {
		return nil, err
	}
	files, err := g.historyFiles(ctx, tip)
	if err != nil {
		return nil, err
	}
	res := &RecordResult{Path: entryName(meta)}
	files[res.Path] = blob
	if err := g.retain(ctx, files, pol, meta.Date, res); err != nil {
		return nil, err
	}
	entries, err := g.topEntries(ctx, tip)
	if err != nil {
		return nil, err
	}
	hist := newGitTree()
	for p, b := range files {
		hist.add(strings.TrimPrefix(p, historyDir+"/"), b)
	}
	sub, err := hist.write(ctx, g)
	if err != nil {
		return nil, err
	}
	entries[historyDir] = "040000 tree " + sub
	root, err := g.mktree(ctx, entries)
	if err != nil {
		return nil, err
	}
	res.Squashed = res.Compacted+res.Dropped > 0
	msg := fmt.Sprintf("perfslo: record history %s\n\nCommit: %s\nEntries: %d (%d raw)\n", meta.Name, meta.Commit, res.Entries, res.Raw)
	args := []string{"commit-tree", root, "-m", msg}
	if tip != "" && !res.Squashed {
		args = append(args, "-p", tip)
	}
	commit, err := g.git(ctx, g.identity(ctx), args...)
	if err != nil {
		return nil, err
	}
	return res, g.publish(ctx, tip, strings.TrimSpace(commit), res.Squashed)
}

// publish moves the branch from tip to commit: a compare-and-swap locally,
// a push to the remote (with a lease on tip when the commit does not
// descend from it, so a concurrent writer's commit is never overwritten).
func (g *GitBranch) publish(ctx context.Context, tip, commit string, rewrite bool) error {
	if g.Remote == "" {
		old := tip
		if old == "" {
			old = strings.Repeat("0", len(commit))
		}
		if _, err := g.git(ctx, nil, "update-ref", "-m", "perfslo: record history", g.localRef(), commit, old); err != nil {
			if now, _ := g.resolve(ctx, g.localRef()); now != tip {
				return fmt.Errorf("%w (%v)", errRejected, err)
			}
			return err
		}
		return nil
	}
	args := []string{"push", "--porcelain"}
	if rewrite {
		args = append(args, "--force-with-lease="+g.localRef()+":"+tip)
	}
	args = append(args, g.Remote, commit+":"+g.localRef())
	out, err := g.remoteGit(ctx, args...)
	if err != nil {
		if strings.Contains(out+err.Error(), "rejected]") || strings.Contains(out+err.Error(), "stale info") {
			return fmt.Errorf("%w: %s", errRejected, strings.TrimSpace(out))
		}
		return err
	}
	for _, r := range []string{g.remoteRef(), g.localRef()} {
		if _, err := g.git(ctx, nil, "update-ref", r, commit); err != nil {
			return err
		}
	}
	return nil
}

// historyFiles lists the history's entries at tip: path → blob.
func (g *GitBranch) historyFiles(ctx context.Context, tip string) (map[string]string, error) {
	files := map[string]string{}
	if tip == "" {
		return files, nil
	}
	out, err := g.git(ctx, nil, "ls-tree", "-r", "--full-tree", tip, "--", historyDir+"/")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		e, p, ok := strings.Cut(line, "\t")
		f := strings.Fields(e)
		if !ok || len(f) != 3 || f[1] != "blob" {
			continue
		}
		if _, ok := entryDate(p); ok {
			files[p] = f[2]
		}
	}
	return files, nil
}

// retain applies the policy to files (path → blob), newest first: drops,
// then batched compaction.
func (g *GitBranch) retain(ctx context.Context, files map[string]string, pol budgets.History, now time.Time, res *RecordResult) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return path.Base(paths[i]) > path.Base(paths[j]) })
	keep := pol.Keep
	if keep <= 0 {
		keep = budgets.DefaultHistoryKeep
	}
	var kept, raw []string
	for i, p := range paths {
		d, _ := entryDate(p)
		if i >= keep || (pol.MaxAge > 0 && now.Sub(d) > pol.MaxAge && i > 0) {
			delete(files, p)
			res.Dropped++
			continue
		}
		kept = append(kept, p)
		if strings.HasSuffix(p, rawSuffix) {
			raw = append(raw, p)
		}
	}
	slack := max(pol.Raw/2, 5)
	if len(raw) > pol.Raw+slack || (res.Dropped > 0 && len(raw) > pol.Raw) {
		old := raw[pol.Raw:]
		blobs, err := g.readBlobs(ctx, mapValues(files, old))
		if err != nil {
			return err
		}
		for i, p := range old {
			sum, err := compactEntry(blobs[i], p)
			if err != nil {
				return err
			}
			b, err := g.gitIn(ctx, sum, "hash-object", "-w", "--stdin")
			if err != nil {
				return err
			}
			delete(files, p)
			files[strings.TrimSuffix(p, rawSuffix)+summarySuffix] = strings.TrimSpace(b)
			res.Compacted++
		}
		raw = raw[:pol.Raw]
	}
	res.Entries, res.Raw = len(kept), len(raw)
	return nil
}

func mapValues(m map[string]string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// compactEntry rewrites a raw entry as its summary.
func compactEntry(data []byte, where string) ([]byte, error) {
	var e HistoryEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("git store: history entry %s: %v", where, err)
	}
	side, err := gate.SideFromResults([]byte(e.Results), where)
	if err != nil {
		return nil, err
	}
	e.Summaries, e.Results = gate.FormatSummaries(gate.Summarize(side, 0)), ""
	out, err := json.Marshal(e)
	return append(out, '\n'), err
}

// readBlobs reads many blobs with one cat-file --batch.
func (g *GitBranch) readBlobs(ctx context.Context, shas []string) ([][]byte, error) {
	if len(shas) == 0 {
		return nil, nil
	}
	out, err := g.gitIn(ctx, []byte(strings.Join(shas, "\n")+"\n"), "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	rd := bufio.NewReader(strings.NewReader(out))
	blobs := make([][]byte, 0, len(shas))
	for range shas {
		header, err := rd.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("git cat-file --batch: %v", err)
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			return nil, fmt.Errorf("git cat-file --batch: unexpected %q", strings.TrimSpace(header))
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("git cat-file --batch: unexpected %q", strings.TrimSpace(header))
		}
		b := make([]byte, n+1) // the content and its newline
		if _, err := io.ReadFull(rd, b); err != nil {
			return nil, fmt.Errorf("git cat-file --batch: %v", err)
		}
		blobs = append(blobs, b[:n])
	}
	return blobs, nil
}

// History returns every recorded entry, oldest first.
func (g *GitBranch) History() ([]HistoryEntry, error) {
	ctx := context.Background()
	tip, err := g.readRef(ctx)
	if err != nil {
		return nil, err
	}
	files, err := g.historyFiles(ctx, tip)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return path.Base(paths[i]) < path.Base(paths[j]) })
	blobs, err := g.readBlobs(ctx, mapValues(files, paths))
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, len(paths))
	for i, p := range paths {
		var e HistoryEntry
		if err := json.Unmarshal(blobs[i], &e); err != nil {
			where := g.branch() + ":" + p
			if line, col, ok := gate.JSONPosition(blobs[i], err); ok {
				return nil, fmt.Errorf("git store: %s:%d:%d: %v", where, line, col, err)
			}
			return nil, fmt.Errorf("git store: %s: %v", where, err)
		}
		e.Path = p
		out = append(out, e)
	}
	return out, nil
}
