package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadJSONFile reads the report file at path with ReadJSON; errors name
// the file.
func ReadJSONFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadJSON(f)
}

// ReadJSON reads a report written by WriteJSON. A report may come from a
// pull request's artifact (a workflow_run job), so it is checked before
// anyone renders it: the schema must be one this perfslo reads, and the
// verdict and counts must be the ones its rows give. Errors start with the
// reader's name when it has one (an *os.File), with line:column for bad
// JSON.
func ReadJSON(rd io.Reader) (*Report, error) {
	name := "report"
	if f, ok := rd.(interface{ Name() string }); ok {
		name = f.Name()
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var r Report
	in := reportJSON{reportPlain: (*reportPlain)(&r)}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("%s%s", name, jsonErrorAt(data, err))
	}
	r.Schema = in.Schema
	switch {
	case r.Schema == 0:
		return nil, fmt.Errorf("%s: not a perfslo report (no \"schema\" field); write one with perfslo gate --json", name)
	case r.Schema > SchemaVersion:
		return nil, fmt.Errorf("%s: report schema %d is newer than this perfslo understands (%d): use the perfslo that wrote it", name, r.Schema, SchemaVersion)
	case in.Verdict != Pass && in.Verdict != Fail:
		return nil, fmt.Errorf("%s: verdict %q: want \"pass\" or \"fail\"", name, in.Verdict)
	case in.Verdict != r.Verdict() || in.Failed != r.Failed() || in.Unmeasurable != r.Unmeasurable():
		return nil, fmt.Errorf("%s: verdict %s with %d failed and %d unmeasurable, but its rows and failures say %s, %d and %d: the report was edited or is corrupt",
			name, in.Verdict, in.Failed, in.Unmeasurable, r.Verdict(), r.Failed(), r.Unmeasurable())
	}
	return &r, nil
}

// jsonErrorAt is ":LINE:COL: error", or ": error" when the error has no
// place.
func jsonErrorAt(data []byte, err error) string {
	if line, col, ok := JSONPosition(data, err); ok {
		return fmt.Sprintf(":%d:%d: %v", line, col, err)
	}
	return ": " + err.Error()
}

// JSONPosition is where a JSON decoding error happened in data, as a
// 1-based line and column: a syntax error's offending byte (its Offset
// counts that byte), or the end of a mistyped value. ok is false for errors
// without a place. Every JSON file perfslo reads (reports, calibrations,
// baselines' metadata) names its errors' places with it.
func JSONPosition(data []byte, err error) (line, col int, ok bool) {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return 0, 0, false
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col, true
}
