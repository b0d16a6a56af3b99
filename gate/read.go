package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

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
// place. A syntax error's offset counts the offending byte, so the column
// is that byte's; a type error's is where the mistyped value ends.
func jsonErrorAt(data []byte, err error) string {
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
		return ": " + err.Error()
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(":%d:%d: %v", line, col, err)
}
