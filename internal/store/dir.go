package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/perfslo/perfslo/gate"
)

// DefaultRoot is where a Dir store keeps baselines unless told otherwise,
// relative to the module being benchmarked.
const DefaultRoot = ".perfslo"

// Files of a stored baseline.
const (
	metaFile    = "meta.json"
	resultsFile = "results.txt"
	profilesDir = "profiles"
)

// lockFile serialises the store's writers and keeps readers out while one
// publishes: Save holds it exclusively, Load and List shared. Without it a
// Load could read meta.json of one Save and results.txt of the next, and a
// Save could remove a temporary directory another Save is still filling.
const lockFile = ".lock"

// Dir is a Store in a directory: each baseline is ROOT/baselines/NAME/ with
// meta.json, results.txt (benchfmt text) and profiles/. Baselines are built
// under a dot-name next to their final place and renamed into it, so a
// crash at any moment leaves the old baseline or the new one, never half of
// one; dot-names are ignored when reading. ROOT/baselines/.lock (see
// lockFile) orders concurrent Saves and keeps readers from mixing two.
type Dir struct {
	// Root is the store's directory; "" means DefaultRoot.
	Root string
}

var _ Store = Dir{}

func (d Dir) baselines() string {
	root := d.Root
	if root == "" {
		root = DefaultRoot
	}
	return filepath.Join(root, "baselines")
}

// Save publishes a baseline atomically under meta.Name, replacing any of
// that name. A zero meta.Date is set to now.
func (d Dir) Save(meta Meta, results []byte, profiles map[string]string) error {
	if err := CheckName(meta.Name); err != nil {
		return err
	}
	for name := range profiles {
		if err := checkProfileName(name); err != nil {
			return err
		}
	}
	if meta.Date.IsZero() {
		meta.Date = time.Now().UTC()
	}
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	parent := d.baselines()
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("baseline store: %w", err)
	}
	unlock, err := lock(filepath.Join(parent, lockFile), true)
	if err != nil {
		return fmt.Errorf("baseline store: locking %s: %w", parent, err)
	}
	defer unlock()
	tidy(parent)

	tmp, err := os.MkdirTemp(parent, ".tmp-"+meta.Name+"-")
	if err != nil {
		return fmt.Errorf("baseline store: %w", err)
	}
	published := false
	defer func() {
		if !published {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeFileSync(filepath.Join(tmp, metaFile), append(metaJSON, '\n')); err != nil {
		return fmt.Errorf("saving baseline %q: %w", meta.Name, err)
	}
	if err := writeFileSync(filepath.Join(tmp, resultsFile), results); err != nil {
		return fmt.Errorf("saving baseline %q: %w", meta.Name, err)
	}
	if err := copyProfiles(filepath.Join(tmp, profilesDir), profiles); err != nil {
		return fmt.Errorf("saving baseline %q: %w", meta.Name, err)
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := replaceDir(tmp, filepath.Join(parent, meta.Name)); err != nil {
		return fmt.Errorf("saving baseline %q: %w", meta.Name, err)
	}
	published = true
	return syncDir(parent)
}

// checkProfileName accepts relative slash-separated paths that stay inside
// the profiles directory ("cpu.pprof", "head/example.com_sum.cpu.pprof").
func checkProfileName(name string) error {
	if name == "" || strings.Contains(name, `\`) || !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("invalid profile name %q: want a relative path inside the baseline (no \"..\", not absolute)", name)
	}
	return nil
}

func copyProfiles(dir string, profiles map[string]string) error {
	if len(profiles) == 0 {
		return nil
	}
	dirs := map[string]bool{dir: true}
	for name, src := range profiles {
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyFileSync(dst, src); err != nil {
			return fmt.Errorf("copying profile %q: %w", name, err)
		}
		for p := filepath.Dir(dst); strings.HasPrefix(p, dir); p = filepath.Dir(p) {
			dirs[p] = true
		}
	}
	for p := range dirs {
		if err := syncDir(p); err != nil {
			return err
		}
	}
	return nil
}

// tidy repairs what an interrupted Save left behind, under the writers'
// lock, so no other Save is running and every dot-directory is a dead
// one's: an old baseline renamed aside whose replacement never arrived is
// put back (only on systems without an atomic exchange), and temporary
// directories are removed.
func tidy(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		path := filepath.Join(parent, e.Name())
		if rest, ok := strings.CutPrefix(e.Name(), ".old-"); ok {
			if i := strings.LastIndexByte(rest, '-'); i > 0 {
				target := filepath.Join(parent, rest[:i])
				if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) && CheckName(rest[:i]) == nil {
					os.Rename(path, target)
					continue
				}
			}
		}
		if e.IsDir() && (strings.HasPrefix(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".old-")) {
			os.RemoveAll(path)
		}
	}
}

// Load reads the named baseline. Profiles maps each profile's name to its
// path inside the store.
func (d Dir) Load(name string) (*Baseline, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	b, err := d.load(name)
	if errors.Is(err, errNoBaseline) {
		return nil, d.notFound(name)
	}
	return b, err
}

// errNoBaseline says load found no directory of that name.
var errNoBaseline = errors.New("no such baseline")

// load reads one baseline under the readers' lock, so its meta and results
// come from the same Save.
func (d Dir) load(name string) (*Baseline, error) {
	unlock, err := lock(filepath.Join(d.baselines(), lockFile), false)
	if err != nil {
		return nil, fmt.Errorf("baseline store: %w", err)
	}
	defer unlock()
	dir := filepath.Join(d.baselines(), name)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, errNoBaseline
	} else if err != nil {
		return nil, err
	}
	meta, err := readMeta(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	meta.Name = name // the directory is authoritative
	results, err := os.ReadFile(filepath.Join(dir, resultsFile))
	if err != nil {
		return nil, fmt.Errorf("baseline %q: %w", name, err)
	}
	b := &Baseline{Meta: meta, Results: results, Profiles: map[string]string{}}
	pdir := filepath.Join(dir, profilesDir)
	err = filepath.WalkDir(pdir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if path == pdir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // no profiles
			}
			return err
		}
		if e.Type().IsRegular() {
			rel, err := filepath.Rel(pdir, path)
			if err != nil {
				return err
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				return err
			}
			b.Profiles[filepath.ToSlash(rel)] = abs
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("baseline %q: %w", name, err)
	}
	return b, nil
}

// notFound names what is available instead, so a typo is one glance away.
func (d Dir) notFound(name string) error {
	metas, err := d.List()
	if err != nil || len(metas) == 0 {
		return fmt.Errorf("baseline %q not found: no baselines saved in %s", name, d.baselines())
	}
	names := make([]string, len(metas))
	for i, m := range metas {
		names[i] = m.Name
	}
	return fmt.Errorf("baseline %q not found in %s; available: %s", name, d.baselines(), strings.Join(names, ", "))
}

// List returns the metadata of every baseline, newest first (by Date, then
// name). Temporary dot-directories of unfinished Saves are ignored; a
// baseline directory with a missing or broken meta.json is an error, since
// hiding it would make a baseline silently vanish.
func (d Dir) List() ([]Meta, error) {
	unlock, err := lock(filepath.Join(d.baselines(), lockFile), false)
	if err != nil {
		return nil, fmt.Errorf("baseline store: %w", err)
	}
	defer unlock()
	entries, err := os.ReadDir(d.baselines())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("baseline store: %w", err)
	}
	var metas []Meta
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.IsDir() {
			continue
		}
		m, err := readMeta(filepath.Join(d.baselines(), e.Name(), metaFile))
		if err != nil {
			return nil, err
		}
		m.Name = e.Name()
		metas = append(metas, m)
	}
	sort.SliceStable(metas, func(i, j int) bool {
		if !metas[i].Date.Equal(metas[j].Date) {
			return metas[i].Date.After(metas[j].Date)
		}
		return metas[i].Name < metas[j].Name
	})
	return metas, nil
}

// readMeta reads meta.json; unknown fields are allowed so that baselines
// written by a newer perfslo still load.
func readMeta(path string) (Meta, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Meta{}, fmt.Errorf("baseline store: %w", err)
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		var te *json.UnmarshalTypeError
		line, col, ok := gate.JSONPosition(data, err)
		switch {
		case ok && errors.As(err, &te):
			return Meta{}, fmt.Errorf("%s:%d:%d: field %q: %v", path, line, col, te.Field, err)
		case ok:
			return Meta{}, fmt.Errorf("%s:%d:%d: %v", path, line, col, err)
		}
		return Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
