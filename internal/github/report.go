package github

import (
	"os"

	"github.com/perfslo/perfslo/gate"
)

// LoadReport reads a JSON report written by `perfslo gate --json`. In a
// workflow_run job the report comes from a pull request's artifact: gate's
// reader checks it strictly, and every string in it is escaped when
// rendered.
func LoadReport(path string) (*gate.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return gate.ReadJSON(f)
}
