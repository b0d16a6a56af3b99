package github

import (
	"fmt"
	"os"
)

// stepSummaryMax is GitHub's limit on one step's summary (1 MiB); past it
// the step's summary is dropped whole, so stay under it.
const stepSummaryMax = 1<<20 - 1024

// AppendStepSummary appends markdown to the job summary file
// ($GITHUB_STEP_SUMMARY). GitHub expects appends: other steps write to the
// same file, and a rewrite would lose what they wrote.
func AppendStepSummary(path, markdown string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %v", err)
	}
	if _, err := f.WriteString(markdown + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("job summary %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("job summary %s: %v", path, err)
	}
	return nil
}
