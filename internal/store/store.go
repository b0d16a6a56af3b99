// Package store keeps baselines: benchmark results (benchfmt text), their
// profiles, and the metadata needed to judge whether a comparison with them is
// fair (commit, Go version, GOOS/GOARCH, CPU model, date).
//
// Writes are atomic: a baseline is assembled in a temporary place and
// published by one rename (directory store) or one commit (git branch store),
// so a reader never sees half a baseline.
package store

import (
	"time"

	"github.com/perfslo/perfslo/gate"
)

// Meta describes a stored baseline.
type Meta struct {
	Name   string `json:"name"`
	Commit string `json:"commit,omitempty"`
	Ref    string `json:"ref,omitempty"`
	// Machine is where the results were taken.
	gate.Machine
	Date time.Time `json:"date"`
	// Run settings the results were taken with.
	Count      int      `json:"count"`
	Benchtime  string   `json:"benchtime"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	Packages   []string `json:"packages,omitempty"`
}

// Baseline is a stored baseline, loaded.
type Baseline struct {
	Meta Meta
	// Results is benchfmt text, one sample per line.
	Results []byte
	// Profiles maps a profile's name (as saved) to its path on disk.
	Profiles map[string]string
}

// Store is where baselines live.
type Store interface {
	// Save publishes a baseline atomically, replacing one of the same name.
	// profiles maps a name to a file to copy into the baseline.
	Save(meta Meta, results []byte, profiles map[string]string) error
	// Load reads the named baseline.
	Load(name string) (*Baseline, error)
	// List returns every stored baseline's metadata, newest first.
	List() ([]Meta, error)
}
