package profiles

import (
	"fmt"
	"strconv"
	"strings"
)

// A saved profile carries its iteration count in a pprof comment, so a
// baseline's profiles stay per-op comparable without a side file.
const (
	itersComment = "perfslo-iters: "
	exactComment = "perfslo-exact"
)

// Save writes m's profile to path (atomically) with its iteration count in
// the profile's comments, for LoadSaved.
func (m *Measured) Save(path string) error {
	if err := m.check(); err != nil {
		return err
	}
	p := m.Profile.Copy()
	var kept []string
	for _, c := range p.Comments {
		if !strings.HasPrefix(c, itersComment) && c != exactComment {
			kept = append(kept, c)
		}
	}
	p.Comments = append(kept, itersComment+strconv.FormatInt(m.Iters, 10))
	if m.Exact {
		p.Comments = append(p.Comments, exactComment)
	}
	return WriteFile(path, p)
}

// LoadSaved reads a profile written by Measured.Save.
func LoadSaved(path string) (*Measured, error) {
	p, err := Load(path)
	if err != nil {
		return nil, err
	}
	m := &Measured{Path: path, Profile: p}
	for _, c := range p.Comments {
		if s, ok := strings.CutPrefix(c, itersComment); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s: comment %q: expected a positive iteration count", path, c)
			}
			m.Iters = n
		}
		if c == exactComment {
			m.Exact = true
		}
	}
	if m.Iters == 0 {
		return nil, fmt.Errorf("%s: no %q comment: expected a profile saved by perfslo (baseline save), which records the benchmark's b.N", path, strings.TrimSpace(itersComment))
	}
	return m, nil
}
