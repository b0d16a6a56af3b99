package bounded

import (
	"bytes"
	"fmt"
)

// Buffer collects a process's output with a cap: it keeps the first head
// and the last tail bytes written and counts what fell between. The start
// says what the process was doing, the end how it ended (a panic's stack,
// the final results); neither is worth all the memory a runaway print loop
// would take.
type Buffer struct {
	headMax, tailMax int
	head             []byte
	ring             []byte // the last tailMax bytes past the head, circular
	start            int    // ring's oldest byte, once full
	total            int64
}

// NewBuffer returns a Buffer keeping head bytes from the start and tail
// from the end.
func NewBuffer(head, tail int) *Buffer {
	return &Buffer{headMax: head, tailMax: tail}
}

// Write keeps p's bytes in the head until it is full, then in the tail.
// It never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	n := len(p)
	b.total += int64(n)
	if room := b.headMax - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if b.tailMax == 0 || len(p) == 0 {
		return n, nil
	}
	if len(p) >= b.tailMax {
		b.ring = append(b.ring[:0], p[len(p)-b.tailMax:]...)
		b.start = 0
		return n, nil
	}
	for len(p) > 0 {
		if len(b.ring) < b.tailMax {
			k := min(b.tailMax-len(b.ring), len(p))
			b.ring = append(b.ring, p[:k]...)
			p = p[k:]
			continue
		}
		k := copy(b.ring[b.start:], p)
		p = p[k:]
		b.start = (b.start + k) % b.tailMax
	}
	return n, nil
}

// Cut is how many bytes were written but not kept.
func (b *Buffer) Cut() int64 {
	return b.total - int64(len(b.head)) - int64(len(b.ring))
}

// Total is how many bytes were written.
func (b *Buffer) Total() int64 { return b.total }

// Bytes returns what was kept. When bytes were cut, the partial lines on
// either side of the cut are dropped too (a half result line would read as
// a malformed one) and a line in their place says how much is missing.
func (b *Buffer) Bytes() []byte {
	tail := b.tailBytes()
	if b.Cut() == 0 {
		return append(append([]byte(nil), b.head...), tail...)
	}
	head := b.head
	dropped := b.Cut()
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		dropped += int64(len(head) - i - 1)
		head = head[:i+1]
	} else {
		dropped += int64(len(head))
		head = nil
	}
	if i := bytes.IndexByte(tail, '\n'); i >= 0 {
		dropped += int64(i + 1)
		tail = tail[i+1:]
	} else {
		dropped += int64(len(tail))
		tail = nil
	}
	out := append([]byte(nil), head...)
	out = fmt.Appendf(out, "[perfslo: %d bytes of output cut here: it was %s, over the %s kept]\n", dropped, Size(b.total), Size(int64(b.headMax+b.tailMax)))
	return append(out, tail...)
}

func (b *Buffer) tailBytes() []byte {
	if len(b.ring) < b.tailMax || b.start == 0 {
		return b.ring
	}
	return append(append([]byte(nil), b.ring[b.start:]...), b.ring[:b.start]...)
}

// String is Bytes as a string.
func (b *Buffer) String() string { return string(b.Bytes()) }
