package profiles

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/pprof/profile"
)

// Load reads a pprof profile from a file, gzipped or not, as runtime/pprof,
// -test.cpuprofile and -test.memprofile write them.
func Load(path string) (*profile.Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError names the file
	}
	return Parse(path, data)
}

// Parse parses a profile held in memory; name is the file it came from and
// opens every error. The pprof parser has panicked on hostile input in the
// past, so Parse recovers and reports that as a malformed file.
func Parse(name string, data []byte) (p *profile.Profile, err error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file, expected a pprof profile (gzipped protobuf)", name)
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%s: not a pprof profile: the parser failed on malformed data (%v)", name, r)
		}
	}()
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		// Decompress here rather than in pprof, to tell a damaged
		// gzip stream (a truncated upload, say) from a bad profile.
		raw, gzErr := gunzip(data)
		if gzErr != nil {
			return nil, fmt.Errorf("%s: corrupt or truncated gzip data after %d compressed bytes: %v", name, len(data), gzErr)
		}
		if len(raw) == 0 {
			return nil, fmt.Errorf("%s: empty profile inside the gzip stream, expected a pprof protobuf", name)
		}
		data = raw
	}
	p, err = profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a pprof profile: %v", name, err)
	}
	return p, nil
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, errors.New("unexpected end of data (file truncated?)")
	}
	return raw, err
}
