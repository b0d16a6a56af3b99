package github

import (
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
