// Package output puts a command's result where the user asked for it: the
// text on stdout, machine formats in files (written atomically, so a reader
// never sees half a report) or on stdout for "-", and for a gate report the
// exit code its fail-on policy calls for.
package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
)

// Targets are where a report goes and what fails the step: the --json,
// --markdown, --fail-on and --allow-unmeasurable flags.
type Targets struct {
	// JSON and Markdown are files, "-" for stdout, "" for none; relative
	// paths are taken from Dir.
	JSON, Markdown string
	Dir            string
	// FailOn is the exit policy (gate.FailOnUnmeasurable, FailOnFail,
	// FailOnNever); AllowUnmeasurable is the older spelling of FailOnFail.
	FailOn            string
	AllowUnmeasurable bool
}

// ReportPath is the JSON report's file, "" when it goes to stdout or
// nowhere: the pipeline keeps the raw samples beside it.
func (t Targets) ReportPath() string {
	if t.JSON == "-" {
		return ""
	}
	return Resolve(t.Dir, t.JSON)
}

// Report prints the text report on stdout (unless a machine format took
// stdout), writes the requested files, and returns the exit code the report
// calls for; why the step fails goes to stderr. Every output is attempted:
// one that cannot be written does not keep the others from being.
func Report(stdout, stderr io.Writer, t Targets, r *gate.Report) (int, error) {
	failOn := t.FailOn
	if t.AllowUnmeasurable && failOn == gate.FailOnUnmeasurable {
		failOn = gate.FailOnFail
	}
	code, why, err := r.Exit(failOn)
	if err != nil {
		return gate.ExitUndecided, err
	}
	var errs []error
	if t.JSON != "-" && t.Markdown != "-" {
		if err := gate.WriteText(stdout, r); err != nil {
			errs = append(errs, fmt.Errorf("text report: %w", err))
		}
	}
	if t.JSON != "" {
		if err := File(stdout, t.Dir, t.JSON, func(w io.Writer) error { return gate.WriteJSON(w, r) }); err != nil {
			errs = append(errs, fmt.Errorf("--json %s: %w", t.JSON, err))
		}
	}
	if t.Markdown != "" {
		if err := File(stdout, t.Dir, t.Markdown, func(w io.Writer) error { return gate.WriteMarkdown(w, r, gate.MarkdownOptions{}) }); err != nil {
			errs = append(errs, fmt.Errorf("--markdown %s: %w", t.Markdown, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return gate.ExitUndecided, err
	}
	if why != "" {
		fmt.Fprintln(stderr, "perfslo: "+why)
	}
	return code, nil
}

// File writes to path (relative to dir) atomically, or to stdout for "-".
// The content is rendered first, so a render that fails leaves no file.
func File(stdout io.Writer, dir, path string, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return atomicfile.WriteBytes(Resolve(dir, path), buf.Bytes())
}

// TextAndJSON prints text on stdout unless jsonPath is "-", and writes v as
// JSON to jsonPath (relative to dir) when one is given.
func TextAndJSON(stdout io.Writer, dir, jsonPath string, text func(io.Writer) error, v any) error {
	if jsonPath != "-" {
		if err := text(stdout); err != nil {
			return err
		}
	}
	if jsonPath == "" {
		return nil
	}
	return File(stdout, dir, jsonPath, IndentedJSON(v))
}

// IndentedJSON writes v as indented JSON.
func IndentedJSON(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

// Resolve makes path relative to dir; "" and absolute paths stay.
func Resolve(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
