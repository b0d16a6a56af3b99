package budgets

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ config, golden string }{
		{"testdata/describe.yaml", "describe.golden"},
		{"testdata/design.yaml", "design.golden"},
		{"", "default.golden"},
	} {
		cfg := Default()
		if tc.config != "" {
			var err error
			if cfg, err = Load(tc.config); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := Describe(&buf, cfg); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.golden, buf.Bytes())
	}
}
