package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// consistent checks that a loaded baseline's meta and results come from one
// Save: each Save writes its generation into both.
func consistent(b *Baseline) error {
	want := "gen: " + b.Meta.Commit + "\n"
	if !strings.HasPrefix(string(b.Results), want) {
		return fmt.Errorf("meta says commit %s, results start %.20q: from different saves", b.Meta.Commit, b.Results)
	}
	return nil
}

// genResults is a Save's results, made large enough that reading them takes
// long enough for a concurrent Save to land in between.
func genResults(gen string) []byte {
	return []byte("gen: " + gen + "\n" + strings.Repeat("BenchmarkX-2 \t 1\t 1 ns/op\n", 2000))
}

// TestConcurrentSavesAndReads runs two writers and two readers on one
// baseline: every Save must succeed, and no Load or List may see meta from
// one Save and results from another, or no baseline at all.
func TestConcurrentSavesAndReads(t *testing.T) {
	for _, s := range []struct {
		name  string
		store func(t *testing.T) Store
	}{
		{"dir", func(t *testing.T) Store { return Dir{Root: filepath.Join(t.TempDir(), ".perfslo")} }},
		{"git", func(t *testing.T) Store { return &GitBranch{Repo: userRepo(t), Sleep: func(time.Duration) {}} }},
	} {
		t.Run(s.name, func(t *testing.T) {
			st := s.store(t)
			rounds := 60
			if s.name == "git" {
				rounds = 8 // each Save is a dozen git processes
			}
			if err := st.Save(Meta{Name: "main", Commit: "w0-0"}, genResults("w0-0"), nil); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			done := make(chan struct{})
			for w := 1; w <= 2; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < rounds; i++ {
						gen := fmt.Sprintf("w%d-%d", w, i)
						if err := st.Save(Meta{Name: "main", Commit: gen}, genResults(gen), nil); err != nil {
							errs <- fmt.Errorf("save %s: %w", gen, err)
							return
						}
					}
				}()
			}
			var readers sync.WaitGroup
			for r := 0; r < 2; r++ {
				readers.Add(1)
				go func() {
					defer readers.Done()
					for {
						select {
						case <-done:
							return
						default:
						}
						b, err := st.Load("main")
						if err == nil {
							err = consistent(b)
						}
						if err == nil {
							_, err = st.List()
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(done)
			readers.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
