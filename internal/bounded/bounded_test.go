package bounded

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	os.WriteFile(p, bytes.Repeat([]byte("x"), 2048), 0o644)
	if data, err := ReadFile(p, 2048); err != nil || len(data) != 2048 {
		t.Errorf("at the cap: %d bytes, %v", len(data), err)
	}
	_, err := ReadFile(p, 1024)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "2 KiB, over the 1 KiB") {
		t.Errorf("over the cap: %v", err)
	}
	// A FIFO has no size to check first: the read itself is capped.
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err == nil {
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err == nil {
				f.Write(bytes.Repeat([]byte("y"), 4096))
				f.Close()
			}
		}()
		if _, err := ReadFile(fifo, 1024); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 1 KiB") {
			t.Errorf("FIFO over the cap: %v", err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestBufferKeepsHeadAndTail(t *testing.T) {
	b := NewBuffer(64, 64)
	var all bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		line := []byte(strings.Repeat(string(rune('a'+i%26)), r.IntN(20)) + "\n")
		// Writes of every size, so the ring wraps at every offset.
		for len(line) > 0 {
			k := min(len(line), 1+r.IntN(9))
			b.Write(line[:k])
			all.Write(line[:k])
			line = line[k:]
		}
	}
	full := all.Bytes()
	if b.Total() != int64(len(full)) || b.Cut() != int64(len(full)-128) {
		t.Fatalf("total %d cut %d, want %d and %d", b.Total(), b.Cut(), len(full), len(full)-128)
	}
	if got, want := b.tailBytes(), full[len(full)-64:]; !bytes.Equal(got, want) {
		t.Errorf("tail %q, want %q", got, want)
	}
	out := b.Bytes()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	marker := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "[perfslo: ") {
			marker = i
			continue
		}
		// Every kept line is a whole line of the input.
		if !bytes.Contains(full, []byte("\n"+l+"\n")) && !bytes.HasPrefix(full, []byte(l+"\n")) {
			t.Errorf("line %q is not a whole input line", l)
		}
	}
	if marker < 0 || !strings.Contains(lines[marker], "cut here") {
		t.Fatalf("no cut line in\n%s", out)
	}
	if !bytes.HasPrefix(full, []byte(strings.Join(lines[:marker], "\n"))) || !bytes.HasSuffix(full, []byte(strings.Join(lines[marker+1:], "\n")+"\n")) {
		t.Errorf("kept text is not the input's start and end:\n%s", out)
	}

	small := NewBuffer(64, 64)
	small.Write([]byte("BenchmarkX 1 2 ns/op\n"))
	if small.Cut() != 0 || small.String() != "BenchmarkX 1 2 ns/op\n" {
		t.Errorf("under the cap: %q", small.String())
	}
	big := NewBuffer(4, 8)
	big.Write([]byte(strings.Repeat("z", 100)))
	if got := big.String(); !strings.HasPrefix(got, "[perfslo: 100 bytes of output cut here") {
		t.Errorf("one long line: %q", got)
	}
}
