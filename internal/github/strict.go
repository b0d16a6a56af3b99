package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/bounded"
)

// In the pull_request + workflow_run pattern, the report is written by the
// pull request's own code and read by a job that holds a write token. Its
// author can put anything in it. ParseReport and ReadArtifact take nothing
// on trust but the format: sizes are capped, every field must be one the
// report type has, a key may appear once, names are single lines. Whether
// the verdict follows from the numbers is for the caller to re-judge.

// ParseReport decodes a JSON report strictly. path names the data in
// errors, which carry a line and column where the problem has one.
func ParseReport(path string, data []byte) (*gate.Report, error) {
	// The names and keys first, so that an edit is reported as what it is;
	// then the one report reader's checks (schema, and verdict and counts
	// that are the rows').
	var r gate.Report
	if err := json.Unmarshal(data, &r); err != nil {
		if line, col, ok := gate.JSONPosition(data, err); ok {
			return nil, fmt.Errorf("%s:%d:%d: %v", path, line, col, err)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if r.Schema == 0 {
		return nil, fmt.Errorf("%s: not a perfslo report (no \"schema\" field); write one with perfslo gate --json", path)
	}
	// What the report type keeps of the input: a key the input has and
	// this lacks is unknown (custom decoders, such as Stat's, would
	// otherwise drop it silently).
	kept, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var known any
	if err := json.Unmarshal(kept, &known); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := checkKeys(dec, known, ""); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			line, col := lineCol(data, ke.offset)
			return nil, fmt.Errorf("%s:%d:%d: %s", path, line, col, ke.msg)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := ValidateReport(&r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return gate.ReadJSON(namedReader{bytes.NewReader(data), path})
}

// namedReader gives gate.ReadJSON the name its errors start with.
type namedReader struct {
	*bytes.Reader
	name string
}

func (n namedReader) Name() string { return n.name }

type keyError struct {
	offset int64
	msg    string
}

func (e *keyError) Error() string { return e.msg }

// checkKeys reads one JSON value from dec and fails at the first object key
// that known (the same value as the report type re-encodes it) does not
// have, unless its value is empty (null, false, 0, "", [], {}): a field
// the type omits when empty. It also fails at a key given twice, since
// decoders disagree on which of the two counts.
func checkKeys(dec *json.Decoder, known any, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		obj, _ := known.(map[string]any)
		seen := map[string]bool{}
		for dec.More() {
			off := dec.InputOffset() // the key follows, after a comma and white space
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			at := path + "." + key
			if seen[key] {
				return &keyError{offset: off, msg: fmt.Sprintf("field %s given twice", strings.TrimPrefix(at, "."))}
			}
			seen[key] = true
			if sub, ok := obj[key]; ok {
				if err := checkKeys(dec, sub, at); err != nil {
					return err
				}
				continue
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			if !emptyJSON(raw) {
				return &keyError{offset: off, msg: fmt.Sprintf("unknown field %s: not in a perfslo report of schema %d (written by a newer perfslo? The commenting job's perfslo must be at least as new as the measuring job's)",
					strings.TrimPrefix(at, "."), gate.SchemaVersion)}
			}
		}
		_, err := dec.Token() // '}'
		return err
	case json.Delim('['):
		arr, _ := known.([]any)
		for i := 0; dec.More(); i++ {
			var sub any
			if i < len(arr) {
				sub = arr[i]
			}
			if err := checkKeys(dec, sub, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	return nil
}

func emptyJSON(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	// Skip the separator and white space before the key itself.
	for off < int64(len(data)) && bytes.IndexByte([]byte(", \n\r\t"), data[off]) >= 0 {
		off++
	}
	before := data[:off]
	return bytes.Count(before, []byte("\n")) + 1, int(off) - bytes.LastIndexByte(before, '\n')
}

// Limits on a report's names: longer or multi-line names do not come from
// go test output, so a report that has them was not written by the gate.
const maxNameLen = 4096

var rowVerdicts = map[gate.RowVerdict]bool{
	gate.RowPass: true, gate.Regression: true, gate.Improvement: true, gate.Violation: true,
	gate.Unmeasurable: true, gate.Added: true, gate.Removed: true,
}

// ValidateReport checks what the JSON decoder cannot: the row verdicts are
// the gate's words (the suite's verdict and counts are derived from them,
// and gate.ReadJSON checks the report's copies), and the names (benchmarks,
// packages, units, functions, failure kinds) are single lines of printable
// text, as the gate writes them. It does not re-judge.
func ValidateReport(r *gate.Report) error {
	for i := range r.Results {
		row := &r.Results[i]
		at := fmt.Sprintf("results[%d]", i)
		if !rowVerdicts[row.Verdict] {
			return fmt.Errorf("%s: verdict %q is not one of the gate's", at, row.Verdict)
		}
		for field, s := range map[string]string{"benchmark": row.Benchmark, "package": row.Package, "unit": row.Unit, "function": row.Function, "assumption": row.Assumption} {
			if err := checkName(s); err != nil {
				return fmt.Errorf("%s.%s %q: %v", at, field, truncate(s, 60), err)
			}
		}
		for side, st := range map[string]*gate.Stat{"base": row.Base, "head": row.Head} {
			if st != nil && st.N < 0 {
				return fmt.Errorf("%s.%s.n = %d: a sample count is not negative", at, side, st.N)
			}
		}
		if row.Source != nil {
			if err := checkName(row.Source.File); err != nil || row.Source.Line < 0 {
				return fmt.Errorf("%s.source %q:%d: not a file and line", at, truncate(row.Source.File, 60), row.Source.Line)
			}
		}
	}
	for i, f := range r.Failures {
		for field, s := range map[string]string{"package": f.Package, "benchmark": f.Benchmark, "side": f.Side, "kind": f.Kind} {
			if err := checkName(s); err != nil {
				return fmt.Errorf("failures[%d].%s %q: %v", i, field, truncate(s, 60), err)
			}
		}
	}
	return nil
}

func checkName(s string) error {
	if len(s) > maxNameLen {
		return fmt.Errorf("%d bytes, longer than any name the gate writes (%d)", len(s), maxNameLen)
	}
	for _, c := range s {
		if unicode.IsControl(c) || c == 0x2028 || c == 0x2029 {
			return fmt.Errorf("holds the control character %U: names are single lines of text", c)
		}
	}
	return nil
}

// Artifact is the measuring job's upload, read and checked by ReadArtifact.
type Artifact struct {
	// Dir is the artifact's directory.
	Dir string
	// Report is report.json, parsed strictly.
	Report *gate.Report
	// PR is the pull request number in pr_number; 0 when there is none.
	PR int
	// Files lists every file, slash-separated and relative to Dir, sorted.
	Files []string
}

// ArtifactLimits caps an artifact; zero fields take the defaults.
type ArtifactLimits struct {
	// Report caps report.json (default MaxReportSize).
	Report int64
	// File caps every other file (default 64 MiB).
	File int64
	// Total caps all files together (default 256 MiB).
	Total int64
	// Files caps their number (default 10,000).
	Files int
}

func (l ArtifactLimits) withDefaults() ArtifactLimits {
	if l.Report <= 0 {
		l.Report = MaxReportSize
	}
	if l.File <= 0 {
		l.File = 64 << 20
	}
	if l.Total <= 0 {
		l.Total = 256 << 20
	}
	if l.Files <= 0 {
		l.Files = 10000
	}
	return l
}

// ReportFile is the report's name in the artifact.
const ReportFile = "report.json"

// ReadArtifact reads the artifact in dir as a job with a write token must:
// only regular files and directories (a symbolic link could point the
// reader anywhere on the runner), names that are single lines, each file
// and all of them under the caps, report.json parsed with ParseReport, and
// pr_number, when present, a plain number. Other files are listed, not read:
// the caller opens what it needs with ReadArtifactFile.
func ReadArtifact(dir string, lim ArtifactLimits) (*Artifact, error) {
	lim = lim.withDefaults()
	a := &Artifact{Dir: dir}
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if err := checkName(rel); err != nil {
			return fmt.Errorf("%s: file name %q: %v", dir, truncate(rel, 60), err)
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: %s is a %s, not a regular file: refusing the artifact", dir, rel, kindOf(d.Type()))
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		max := lim.File
		if rel == ReportFile {
			max = lim.Report
		}
		if info.Size() > max {
			return fmt.Errorf("%s: %w: %s, over the %s perfslo reads", p, bounded.ErrTooLarge, bounded.Size(info.Size()), bounded.Size(max))
		}
		total += info.Size()
		a.Files = append(a.Files, rel)
		if len(a.Files) > lim.Files {
			return fmt.Errorf("%s: more than %d files: refusing the artifact", dir, lim.Files)
		}
		if total > lim.Total {
			return fmt.Errorf("%s: %w: the files hold more than %s together", dir, bounded.ErrTooLarge, bounded.Size(lim.Total))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	data, err := bounded.ReadFile(filepath.Join(dir, ReportFile), lim.Report)
	if err != nil {
		return nil, fmt.Errorf("artifact: %v", err)
	}
	if a.Report, err = ParseReport(filepath.Join(dir, ReportFile), data); err != nil {
		return nil, err
	}
	if p := filepath.Join(dir, PRNumberFile); fileExists(p) {
		if a.PR, err = ReadPRNumber(p); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ReadArtifactFile reads the file name (slash-separated, as Artifact.Files
// lists it) of the artifact, with a cap, refusing names that leave the
// artifact's directory and files that are not regular.
func ReadArtifactFile(a *Artifact, name string, limit int64) ([]byte, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if !filepath.IsLocal(clean) {
		return nil, fmt.Errorf("artifact file %q: not a path inside the artifact", name)
	}
	// Every directory on the way must be one, not a link out of the
	// artifact: Lstat of the file alone would follow them.
	parts := strings.Split(clean, string(filepath.Separator))
	p := a.Dir
	for i, part := range parts {
		p = filepath.Join(p, part)
		st, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		switch last := i == len(parts)-1; {
		case last && !st.Mode().IsRegular():
			return nil, fmt.Errorf("%s: a %s, not a regular file", p, kindOf(st.Mode().Type()))
		case !last && st.Mode().Type()&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("%s: a symbolic link, not a directory of the artifact", p)
		}
	}
	return bounded.ReadFile(p, limit)
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
