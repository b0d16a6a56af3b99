package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"golang.org/x/perf/benchfmt"
)

// KeepSamples writes both sides' raw results — the first stage's and every
// look's — as benchfmt text to base.txt and head.txt in dir, and names them
// in the report, relative to reportPath's directory when they sit below it:
// `perfslo compare base.txt head.txt` judges the run again.
func KeepSamples(dir, reportPath string, b *Built, m *Measured, looked *Looked, rep *gate.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var base []byte
	if b.baseRaw != nil {
		base = b.baseRaw
	} else {
		var err error
		if base, err = benchText(m.Outcome.Base, looked.Base); err != nil {
			return err
		}
	}
	head, err := benchText(m.Outcome.Head, looked.Head)
	if err != nil {
		return err
	}
	files := &gate.Samples{Base: filepath.Join(dir, "base.txt"), Head: filepath.Join(dir, "head.txt")}
	for path, data := range map[string][]byte{files.Base: base, files.Head: head} {
		if err := atomicfile.WriteBytes(path, data); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if reportPath != "" {
		for _, p := range []*string{&files.Base, &files.Head} {
			if rel, err := filepath.Rel(filepath.Dir(reportPath), *p); err == nil && !strings.HasPrefix(rel, "..") {
				*p = rel
			}
		}
	}
	rep.Samples = files
	return nil
}

// benchText renders results as go test prints them, configuration lines
// included.
func benchText(parts ...[]*benchfmt.Result) ([]byte, error) {
	var buf bytes.Buffer
	w := benchfmt.NewWriter(&buf)
	for _, rs := range parts {
		for _, r := range rs {
			if err := w.Write(r); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}
