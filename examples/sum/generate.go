package sum

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFile writes a dataset for Sum to path: lines random 8-digit integers
// (10000000–99999999), one per line, drawn from a PCG generator seeded with
// seed, so the same arguments always write the same file. It returns their
// sum. The file appears at path complete or not at all.
func WriteFile(path string, lines int, seed uint64) (total int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := bufio.NewWriter(tmp)
	var buf [9]byte
	for range lines {
		v := 10_000_000 + rng.Int64N(90_000_000)
		total += v
		if _, err := w.Write(strconv.AppendInt(buf[:0], v, 10)); err != nil {
			return 0, err
		}
		if err := w.WriteByte('\n'); err != nil {
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	return total, os.Rename(tmp.Name(), path)
}
