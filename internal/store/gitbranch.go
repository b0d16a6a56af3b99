package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/gitref"
)

// DefaultGitBranch is the branch a GitBranch store keeps baselines on.
const DefaultGitBranch = "perfslo-baselines"

// GitBranch is a Store on a branch of a git repository, for CI: each
// baseline is a directory NAME/ (meta.json, results.txt, profiles/) in the
// branch's tree, and each Save is one commit. It writes with git plumbing
// (hash-object, mktree, commit-tree, update-ref), so the user's working tree,
// index and checked-out branch are never touched. update-ref is given the
// old tip, so two writers in one repository cannot lose each other's
// baseline; with a Remote, a push rejected because another job pushed first
// is retried on top of the new tip.
type GitBranch struct {
	// Repo is a directory inside the repository (a work tree or a bare one).
	Repo string
	// Branch holds the baselines; "" means DefaultGitBranch.
	Branch string
	// Remote, when set ("origin"), is fetched before reading and pushed to
	// after each Save.
	Remote string
	// Attempts bounds the tries of one Save against concurrent writers
	// (default 5).
	Attempts int
	// Sleep waits between attempts; tests replace it.
	Sleep func(time.Duration)
	// Now dates baselines saved with a zero Meta.Date; tests replace it.
	Now func() time.Time
	// NetworkTimeout bounds each git command that talks to Remote
	// (ls-remote, fetch, push); default DefaultNetworkTimeout. A remote
	// that accepts the connection and never answers would otherwise hold
	// the job until the CI system kills it, with nothing said.
	NetworkTimeout time.Duration
}

// DefaultNetworkTimeout is how long one fetch or push may take: a
// baselines branch is small, so minutes mean the remote is not answering.
const DefaultNetworkTimeout = 2 * time.Minute

var _ Store = (*GitBranch)(nil)

// OpenGitBranch returns the store on branch of the repository around dir,
// pushing to and fetching from "origin" when the repository has it.
func OpenGitBranch(dir, branch string) (*GitBranch, error) {
	g := &GitBranch{Repo: dir, Branch: branch}
	ctx := context.Background()
	if _, err := g.git(ctx, nil, "rev-parse", "--git-dir"); err != nil {
		return nil, fmt.Errorf("git store: %s is not in a git repository: %w", dir, err)
	}
	if err := g.checkBranch(ctx); err != nil {
		return nil, err
	}
	remotes, err := g.git(ctx, nil, "remote")
	if err != nil {
		return nil, err
	}
	for _, r := range strings.Fields(remotes) {
		if r == "origin" {
			g.Remote = "origin"
		}
	}
	return g, nil
}

func (g *GitBranch) branch() string {
	if g.Branch == "" {
		return DefaultGitBranch
	}
	return g.Branch
}

func (g *GitBranch) localRef() string { return "refs/heads/" + g.branch() }

func (g *GitBranch) remoteRef() string { return "refs/remotes/" + g.Remote + "/" + g.branch() }

func (g *GitBranch) checkBranch(ctx context.Context) error {
	if _, err := g.git(ctx, nil, "check-ref-format", g.localRef()); err != nil {
		return fmt.Errorf("git store: %q is not a valid branch name", g.branch())
	}
	return nil
}

// errRejected says a push lost a race with another writer.
var errRejected = errors.New("push rejected: the branch moved")

// Save commits the baseline on the branch, replacing one of the same name,
// and pushes the commit when the store has a remote.
func (g *GitBranch) Save(meta Meta, results []byte, profiles map[string]string) error {
	ctx := context.Background()
	if err := CheckName(meta.Name); err != nil {
		return err
	}
	for name := range profiles {
		if err := checkProfileName(name); err != nil {
			return err
		}
	}
	if err := g.checkBranch(ctx); err != nil {
		return err
	}
	if meta.Date.IsZero() {
		now := time.Now
		if g.Now != nil {
			now = g.Now
		}
		meta.Date = now().UTC()
	}
	// One local writer at a time: the compare-and-swap below keeps two
	// writers from losing each other's baseline, but with many at once the
	// losers could run out of attempts. The lock is the repository's
	// (flock, released when its holder dies); other machines still race
	// through the remote, and the retries settle that.
	unlock, err := g.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// The baseline's own tree does not depend on the tip: build it once.
	sub, err := g.baselineTree(ctx, meta, results, profiles)
	if err != nil {
		return err
	}
	attempts := g.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 && g.Sleep != nil {
			g.Sleep(time.Duration(attempt-1) * 200 * time.Millisecond)
		} else if attempt > 1 {
			time.Sleep(time.Duration(attempt-1) * 200 * time.Millisecond)
		}
		last = g.saveOnce(ctx, meta, sub)
		if last == nil || !errors.Is(last, errRejected) {
			return last
		}
	}
	return fmt.Errorf("git store: saving baseline %q on %s: other writers kept winning after %d attempts: %w", meta.Name, g.branch(), attempts, last)
}

// saveOnce commits sub as NAME/ on the current tip and publishes the commit
// if the tip has not moved meanwhile.
func (g *GitBranch) saveOnce(ctx context.Context, meta Meta, sub string) error {
	ref := g.localRef()
	if g.Remote != "" {
		if err := g.fetch(ctx); err != nil {
			return err
		}
		ref = g.remoteRef()
	}
	tip, err := g.resolve(ctx, ref)
	if err != nil {
		return err
	}
	entries, err := g.topEntries(ctx, tip)
	if err != nil {
		return err
	}
	entries[meta.Name] = "040000 tree " + sub
	root, err := g.mktree(ctx, entries)
	if err != nil {
		return err
	}
	args := []string{"commit-tree", root, "-m", commitMessage(meta)}
	if tip != "" {
		args = append(args, "-p", tip)
	}
	commit, err := g.git(ctx, g.identity(ctx), args...)
	if err != nil {
		return err
	}
	commit = strings.TrimSpace(commit)
	if g.Remote == "" {
		// Compare-and-swap: fails if another writer moved the branch.
		old := tip
		if old == "" {
			old = strings.Repeat("0", len(commit))
		}
		if _, err := g.git(ctx, nil, "update-ref", "-m", "perfslo: save baseline "+meta.Name, g.localRef(), commit, old); err != nil {
			if now, _ := g.resolve(ctx, ref); now != tip {
				return fmt.Errorf("%w (%v)", errRejected, err)
			}
			return err
		}
		return nil
	}
	out, err := g.remoteGit(ctx, "push", "--porcelain", g.Remote, commit+":"+g.localRef())
	if err != nil {
		if strings.Contains(out+err.Error(), "[rejected]") || strings.Contains(out+err.Error(), "[remote rejected]") {
			return fmt.Errorf("%w: %s", errRejected, gitref.ScrubURLs(strings.TrimSpace(out)))
		}
		return err
	}
	// The remote has it: bring the local branches along (no CAS: the
	// remote decides, and the local branch only mirrors it).
	for _, r := range []string{g.remoteRef(), g.localRef()} {
		if _, err := g.git(ctx, nil, "update-ref", r, commit); err != nil {
			return err
		}
	}
	return nil
}

// lock takes the repository's save lock, beside its refs in the common git
// directory (shared by every worktree of the repository).
func (g *GitBranch) lock(ctx context.Context) (func(), error) {
	dir, err := g.git(ctx, nil, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(strings.TrimSpace(dir), "perfslo-save.lock")
	unlock, err := lock(path, true)
	if err != nil {
		return nil, fmt.Errorf("git store: locking %s: %w", path, err)
	}
	return unlock, nil
}

func commitMessage(m Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "perfslo: save baseline %s\n\n", m.Name)
	for _, kv := range [][2]string{{"Commit", m.Commit}, {"Ref", m.Ref}, {"Go", m.GoVersion}, {"Platform", m.GOOS + "/" + m.GOARCH}, {"CPU", m.CPU}} {
		if kv[1] != "" && kv[1] != "/" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	return b.String()
}

// identity supplies a committer when the repository has none configured, as
// on a CI runner; a configured identity is left alone.
func (g *GitBranch) identity(ctx context.Context) []string {
	if out, err := g.git(ctx, nil, "config", "user.email"); err == nil && strings.TrimSpace(out) != "" {
		return nil
	}
	return []string{"GIT_AUTHOR_NAME=perfslo", "GIT_AUTHOR_EMAIL=perfslo@localhost",
		"GIT_COMMITTER_NAME=perfslo", "GIT_COMMITTER_EMAIL=perfslo@localhost"}
}

// baselineTree stores the baseline's files as blobs and returns its tree.
func (g *GitBranch) baselineTree(ctx context.Context, meta Meta, results []byte, profiles map[string]string) (string, error) {
	mj, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return "", err
	}
	root := newGitTree()
	for name, data := range map[string][]byte{metaFile: append(mj, '\n'), resultsFile: results} {
		blob, err := g.gitIn(ctx, data, "hash-object", "-w", "--stdin")
		if err != nil {
			return "", err
		}
		root.blobs[name] = strings.TrimSpace(blob)
	}
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		src, err := filepath.Abs(profiles[name])
		if err != nil {
			return "", err
		}
		if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() {
			return "", fmt.Errorf("profile %q: %s is not a readable file", name, profiles[name])
		}
		blob, err := g.git(ctx, nil, "hash-object", "-w", "--", src)
		if err != nil {
			return "", fmt.Errorf("profile %q: %w", name, err)
		}
		root.add(path.Join(profilesDir, name), strings.TrimSpace(blob))
	}
	return root.write(ctx, g)
}

// gitTree is a directory being assembled for mktree.
type gitTree struct {
	blobs map[string]string
	dirs  map[string]*gitTree
}

func newGitTree() *gitTree { return &gitTree{blobs: map[string]string{}, dirs: map[string]*gitTree{}} }

func (t *gitTree) add(p, blob string) {
	dir, rest, ok := strings.Cut(p, "/")
	if !ok {
		t.blobs[p] = blob
		return
	}
	sub := t.dirs[dir]
	if sub == nil {
		sub = newGitTree()
		t.dirs[dir] = sub
	}
	sub.add(rest, blob)
}

func (t *gitTree) write(ctx context.Context, g *GitBranch) (string, error) {
	entries := map[string]string{}
	for n, b := range t.blobs {
		entries[n] = "100644 blob " + b
	}
	for n, d := range t.dirs {
		sha, err := d.write(ctx, g)
		if err != nil {
			return "", err
		}
		entries[n] = "040000 tree " + sha
	}
	return g.mktree(ctx, entries)
}

// mktree writes a tree from "MODE TYPE SHA" entries by name.
func (g *GitBranch) mktree(ctx context.Context, entries map[string]string) (string, error) {
	var in bytes.Buffer
	for name, e := range entries {
		fmt.Fprintf(&in, "%s\t%s\n", e, name)
	}
	out, err := g.gitIn(ctx, in.Bytes(), "mktree")
	return strings.TrimSpace(out), err
}

// topEntries lists the top of commit's tree as mktree entries by name.
func (g *GitBranch) topEntries(ctx context.Context, commit string) (map[string]string, error) {
	entries := map[string]string{}
	if commit == "" {
		return entries, nil
	}
	out, err := g.git(ctx, nil, "ls-tree", commit)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if e, name, ok := strings.Cut(line, "\t"); ok {
			entries[name] = e
		}
	}
	return entries, nil
}

// resolve returns the commit ref names, or "" when it does not exist.
func (g *GitBranch) resolve(ctx context.Context, ref string) (string, error) {
	out, err := g.git(ctx, nil, "for-each-ref", "--format=%(objectname)", ref)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// fetch brings the remote branch into its remote-tracking ref; a remote
// without the branch yet deletes the tracking ref so a Save starts fresh.
func (g *GitBranch) fetch(ctx context.Context) error {
	out, err := g.remoteGit(ctx, "ls-remote", "--heads", g.Remote, g.localRef())
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "" {
		if old, _ := g.resolve(ctx, g.remoteRef()); old != "" {
			_, err := g.git(ctx, nil, "update-ref", "-d", g.remoteRef())
			return err
		}
		return nil
	}
	_, err = g.remoteGit(ctx, "fetch", "--quiet", "--no-tags", g.Remote, "+"+g.localRef()+":"+g.remoteRef())
	return err
}

// readRef is the ref a read sees: the remote's branch, freshly fetched,
// when there is a remote.
func (g *GitBranch) readRef(ctx context.Context) (string, error) {
	if g.Remote == "" {
		return g.resolve(ctx, g.localRef())
	}
	if err := g.fetch(ctx); err != nil {
		return "", err
	}
	return g.resolve(ctx, g.remoteRef())
}

// Load reads a baseline. Its profiles are extracted once per commit into
// the repository's git directory (never the working tree).
func (g *GitBranch) Load(name string) (*Baseline, error) {
	ctx := context.Background()
	if err := CheckName(name); err != nil {
		return nil, err
	}
	tip, err := g.readRef(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := g.topEntries(ctx, tip)
	if err != nil {
		return nil, err
	}
	if _, ok := entries[name]; !ok {
		return nil, g.notFound(name, entries)
	}
	meta, err := g.readMeta(ctx, tip, name)
	if err != nil {
		return nil, err
	}
	results, err := g.git(ctx, nil, "cat-file", "blob", tip+":"+name+"/"+resultsFile)
	if err != nil {
		return nil, fmt.Errorf("git store: baseline %q on %s has no %s: %w", name, g.branch(), resultsFile, err)
	}
	profiles, err := g.extractProfiles(ctx, tip, name)
	if err != nil {
		return nil, err
	}
	return &Baseline{Meta: meta, Results: []byte(results), Profiles: profiles}, nil
}

func (g *GitBranch) notFound(name string, entries map[string]string) error {
	var have []string
	for n, e := range entries {
		if strings.Contains(e, " tree ") {
			have = append(have, n)
		}
	}
	sort.Strings(have)
	if len(have) == 0 {
		return fmt.Errorf("git store: no baseline %q: branch %s has no baselines yet (save one with perfslo baseline save)", name, g.branch())
	}
	return fmt.Errorf("git store: no baseline %q on branch %s (have: %s)", name, g.branch(), strings.Join(have, ", "))
}

func (g *GitBranch) readMeta(ctx context.Context, tip, name string) (Meta, error) {
	where := g.branch() + ":" + name + "/" + metaFile
	data, err := g.git(ctx, nil, "cat-file", "blob", tip+":"+name+"/"+metaFile)
	if err != nil {
		return Meta{}, fmt.Errorf("git store: %s: missing: %w", where, err)
	}
	var m Meta
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		if line, col, ok := gate.JSONPosition([]byte(data), err); ok {
			return Meta{}, fmt.Errorf("git store: %s:%d:%d: %v", where, line, col, err)
		}
		return Meta{}, fmt.Errorf("git store: %s: %v", where, err)
	}
	return m, nil
}

func (g *GitBranch) extractProfiles(ctx context.Context, tip, name string) (map[string]string, error) {
	out, err := g.git(ctx, nil, "ls-tree", "-r", "--full-tree", tip, "--", name+"/"+profilesDir+"/")
	if err != nil {
		return nil, err
	}
	type file struct{ name, blob string }
	var files []file
	prefix := name + "/" + profilesDir + "/"
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		e, p, ok := strings.Cut(line, "\t")
		if !ok || !strings.HasPrefix(p, prefix) {
			continue
		}
		f := strings.Fields(e)
		if len(f) != 3 || f[1] != "blob" {
			continue
		}
		rel := strings.TrimPrefix(p, prefix)
		if checkProfileName(rel) != nil {
			return nil, fmt.Errorf("git store: baseline %q holds a profile with an unsafe name %q", name, rel)
		}
		files = append(files, file{rel, f[2]})
	}
	if len(files) == 0 {
		return map[string]string{}, nil
	}
	gitDir, err := g.git(ctx, nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return nil, err
	}
	commit, err := g.git(ctx, nil, "rev-parse", tip+"^{commit}")
	if err != nil {
		return nil, err
	}
	dst := filepath.Join(strings.TrimSpace(gitDir), "perfslo", "profiles", strings.TrimSpace(commit), name)
	profiles := map[string]string{}
	for _, f := range files {
		profiles[f.name] = filepath.Join(dst, filepath.FromSlash(f.name))
	}
	if _, err := os.Stat(dst); err == nil {
		return profiles, nil // extracted by an earlier Load of the same commit
	}
	// Extract beside the final place, then rename: a reader never sees a
	// half-extracted set.
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+name+".tmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		data, err := g.git(ctx, nil, "cat-file", "blob", f.blob)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(tmp, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, statErr := os.Stat(dst); statErr == nil {
			return profiles, nil // another Load won the race with the same content
		}
		return nil, err
	}
	return profiles, nil
}

// List returns every baseline's metadata on the branch, newest first.
func (g *GitBranch) List() ([]Meta, error) {
	ctx := context.Background()
	tip, err := g.readRef(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := g.topEntries(ctx, tip)
	if err != nil {
		return nil, err
	}
	var metas []Meta
	for name, e := range entries {
		if !strings.Contains(e, " tree ") || CheckName(name) != nil {
			continue
		}
		m, err := g.readMeta(ctx, tip, name)
		if err != nil {
			return nil, err
		}
		metas = append(metas, m)
	}
	sort.Slice(metas, func(i, j int) bool {
		if !metas[i].Date.Equal(metas[j].Date) {
			return metas[i].Date.After(metas[j].Date)
		}
		return metas[i].Name < metas[j].Name
	})
	return metas, nil
}

// git runs git in the repository with extra environment, returning stdout.
func (g *GitBranch) git(ctx context.Context, env []string, args ...string) (string, error) {
	return g.run(ctx, nil, env, args...)
}

// remoteGit runs a git command that talks to the remote, within
// NetworkTimeout.
func (g *GitBranch) remoteGit(ctx context.Context, args ...string) (string, error) {
	timeout := g.NetworkTimeout
	if timeout <= 0 {
		timeout = DefaultNetworkTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := g.git(tctx, nil, args...)
	if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return out, fmt.Errorf("git %s %s: no answer within %s: is the remote reachable? (git store network timeout)", args[0], g.Remote, timeout)
	}
	return out, err
}

func (g *GitBranch) gitIn(ctx context.Context, stdin []byte, args ...string) (string, error) {
	return g.run(ctx, stdin, nil, args...)
}

func (g *GitBranch) run(ctx context.Context, stdin []byte, env []string, args ...string) (string, error) {
	return gitref.Command{Dir: g.Repo, Args: args, Stdin: stdin, Env: env}.Output(ctx)
}
