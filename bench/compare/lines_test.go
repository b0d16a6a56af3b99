package compare

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfslo/perfslo/bench/compare/input"
	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

// BenchmarkCompareLines is `perfslo compare` in process — both files read,
// compared, the text report rendered — on 10⁴ and 10⁵ result lines per
// file, reporting B/op: the allocation figure behind bench/compare/rss.md.
// (10⁶ lines is rss.sh's, whole processes.)
func BenchmarkCompareLines(b *testing.B) {
	for _, lines := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			dir := b.TempDir()
			paths := [2]string{filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")}
			for i, shift := range []float64{1, 1.03} {
				f, err := os.Create(paths[i])
				if err != nil {
					b.Fatal(err)
				}
				if err := input.Write(f, lines, 10, shift, int64(i+1)); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep, err := pipeline.CompareFiles(paths, paths, gate.Options{Now: time.Unix(0, 0)}, false)
				if err != nil {
					b.Fatal(err)
				}
				if err := gate.WriteText(io.Discard, rep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
