package budgets

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestHunt(t *testing.T) {
	var seeds [][]byte
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range files {
		d, _ := os.ReadFile(f)
		seeds = append(seeds, d)
	}
	for _, tc := range parseErrorCases {
		seeds = append(seeds, []byte(tc.src))
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		in := append([]byte(nil), seeds[rng.Intn(len(seeds))]...)
		for k := 0; k < 1+rng.Intn(4); k++ {
			if len(in) == 0 {
				break
			}
			switch rng.Intn(3) {
			case 0:
				in[rng.Intn(len(in))] = byte(rng.Intn(128))
			case 1:
				p := rng.Intn(len(in))
				in = append(in[:p], in[p+1:]...)
			case 2:
				p := rng.Intn(len(in))
				in = append(in[:p], append([]byte{"{}[]:-*&!|>'\"\n #,?"[rng.Intn(18)]}, in[p:]...)...)
			}
		}
		done := make(chan struct{})
		go func() { Parse("h", in); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			os.WriteFile("/tmp/hang-input.yaml", in, 0o666)
			fmt.Printf("HANG on %q\n%s\n", in, buf[:n])
			t.FailNow()
		}
	}
}
