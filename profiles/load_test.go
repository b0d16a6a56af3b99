package profiles

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gz(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzipT(t *testing.T, data []byte) []byte {
	raw, err := gunzip(data)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestLoadErrors(t *testing.T) {
	_, heap := ownProfiles(t)
	raw := gunzipT(t, heap)
	dir := t.TempDir()
	tests := []struct {
		name string
		data []byte // nil: the file does not exist
		want []string
	}{
		{"missing.pb.gz", nil, []string{"missing.pb.gz", "no such file"}},
		{"empty.pb.gz", []byte{}, []string{"empty.pb.gz: empty file, expected a pprof profile"}},
		{"garbage.pb.gz", []byte("hello, I am not a profile\n"), []string{"garbage.pb.gz: not a pprof profile:", "unrecognized profile format"}},
		{"html.pb.gz", []byte("<html><body>502 Bad Gateway</body></html>"), []string{"html.pb.gz: not a pprof profile:"}},
		{"truncated.pb.gz", heap[:len(heap)/2], []string{"truncated.pb.gz: corrupt or truncated gzip data", "unexpected end of data (file truncated?)"}},
		{"badcrc.pb.gz", append(append([]byte{}, heap[:len(heap)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), []string{"badcrc.pb.gz: corrupt or truncated gzip data", "checksum"}},
		{"gzempty.pb.gz", gz(t, nil), []string{"gzempty.pb.gz: empty profile inside the gzip stream"}},
		{"gzgarbage.pb.gz", gz(t, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}), []string{"gzgarbage.pb.gz: not a pprof profile:"}},
		{"rawtrunc.pb", raw[:len(raw)*2/3], []string{"rawtrunc.pb: not a pprof profile:"}},
		{"valid.pb.gz", heap, nil},
		{"valid-raw.pb", raw, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if tt.data != nil {
				if err := os.WriteFile(path, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := Load(path)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Load(%s): %v", tt.name, err)
				}
				if len(p.Sample) == 0 {
					t.Fatalf("Load(%s): no samples", tt.name)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want an error", tt.name)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%s) error %q\n\tdoes not contain %q", tt.name, err, w)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %s", err, path)
			}
		})
	}
}

func TestLoadMeasuredIters(t *testing.T) {
	_, heap := ownProfiles(t)
	path := filepath.Join(t.TempDir(), "mem.pb.gz")
	if err := os.WriteFile(path, heap, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadMeasured(path, 0)
	if err == nil || !strings.Contains(err.Error(), path+": iteration count 0: expected the b.N (> 0)") {
		t.Fatalf("LoadMeasured(iters=0) = %v", err)
	}
	m, err := LoadMeasured(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.PerOp(TypeCPU); err == nil || !strings.Contains(err.Error(), `no "cpu" samples in this profile (it has alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes): expected a CPU profile`) {
		t.Fatalf("PerOp(cpu) on a memory profile = %v", err)
	}
}
