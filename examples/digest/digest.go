// Package digest computes content digests of blocks, the way a content-
// addressed store names what it keeps: the SHA-256 of a 4 KiB block, as a
// hex string.
//
// Its benchmark reports throughput (MB/s, via b.SetBytes) as well as time:
// for a hash, bytes per second is the number people quote and budget.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"

	"github.com/perfslo/perfslo/examples/internal/inject"
)

// BlockSize is the block size the benchmark hashes: one page.
const BlockSize = 4 << 10

// Hex is a block's SHA-256 digest in lowercase hex.
type Hex [2 * sha256.Size]byte

// String returns the digest as text.
func (d Hex) String() string { return string(d[:]) }

// Sum returns the SHA-256 of block as hex, without allocating: the digest
// and its text both live in the returned array.
func Sum(block []byte) Hex {
	if knob.Enabled() {
		op := knob.Begin()
		d := sum(block)
		op.End()
		return d
	}
	return sum(block)
}

// knob lets the evaluation harness inject a regression into Sum.
var knob = inject.NewSite("digest")

// sum is Sum without the regression knob.
func sum(block []byte) Hex {
	sum := sha256.Sum256(block)
	var d Hex
	hex.Encode(d[:], sum[:])
	return d
}

// Block returns the benchmark dataset: BlockSize random bytes from a PCG
// generator seeded with seed.
func Block(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, BlockSize)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
