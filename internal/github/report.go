package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/bounded"
)

// Caps on what perfslo reads from an artifact or the runner. A report of
// ten thousand rows is a few MiB; the caps are far above any real file and
// far below what would exhaust a runner.
const (
	// MaxReportSize caps report.json.
	MaxReportSize = 64 << 20
	// maxPRNumberSize caps the pr_number file: a number and a newline.
	maxPRNumberSize = 64
	// maxEventSize caps the event payload: GitHub's own cap on a webhook
	// payload is 25 MB.
	maxEventSize = 32 << 20
)

// LoadReport reads a JSON report written by `perfslo gate --json`. In a
// workflow_run job the report comes from a pull request's artifact: it is
// read with a size cap (MaxReportSize) and parsed strictly (ParseReport),
// and every string in it is escaped when rendered.
func LoadReport(path string) (*gate.Report, error) {
	data, err := bounded.ReadFile(path, MaxReportSize)
	if err != nil {
		return nil, err
	}
	return ParseReport(path, data)
}

// jsonErrorAt is ":LINE:COL: error", or ": error" when the error has no place.
func jsonErrorAt(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1 // Offset counts the offending byte
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
