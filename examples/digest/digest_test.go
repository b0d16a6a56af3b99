package digest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

func TestSum(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		// FIPS 180-2 test vectors.
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	} {
		if got := Sum([]byte(tc.in)).String(); got != tc.want {
			t.Errorf("Sum(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestBlock(t *testing.T) {
	b := Block(1)
	if len(b) != BlockSize {
		t.Fatalf("len(Block(1)) = %d, want %d", len(b), BlockSize)
	}
	if !bytes.Equal(b, Block(1)) || bytes.Equal(b, Block(2)) {
		t.Fatal("Block must depend on its seed and only on it")
	}
	if got, want := Sum(b).String(), fmt.Sprintf("%x", sha256.Sum256(b)); got != want {
		t.Fatalf("Sum(Block(1)) = %s, want %s", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { Sum(b) }); n != 0 {
		t.Fatalf("Sum allocates %v times per call, want 0", n)
	}
}

// BenchmarkHash measures Sum of one 4 KiB block of random bytes (Block(1)).
func BenchmarkHash(b *testing.B) {
	block := Block(1)
	b.SetBytes(BlockSize)
	b.ReportAllocs()
	for b.Loop() {
		Sum(block)
	}
}
