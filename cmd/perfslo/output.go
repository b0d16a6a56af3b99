package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
)

// reportOutputs are the --json and --markdown destinations shared by every
// command that produces a Report.
type reportOutputs struct {
	json, markdown    string
	allowUnmeasurable bool
	failOn            string
}

func (o *reportOutputs) register(fs *flag.FlagSet) {
	fs.StringVar(&o.json, "json", "", "write the JSON report to `file` (- for stdout)")
	fs.StringVar(&o.markdown, "markdown", "", "write the markdown report to `file` (- for stdout)")
	fs.BoolVar(&o.allowUnmeasurable, "allow-unmeasurable", false, "exit 0 even when some rows could not be judged (too few samples, too noisy); the same as --fail-on fail")
	fs.StringVar(&o.failOn, "fail-on", gate.FailOnUnmeasurable, "what fails the step, as the action's fail-on input: `unmeasurable` (a regression, a budget violation, or a row not judged), fail (a regression or a violation), never (report only)")
}

// emit prints the text report on stdout (unless a machine format took
// stdout), writes the requested files, and returns the exit code the report
// calls for. Every output is attempted: one that cannot be written does
// not keep the others from being.
func (o *reportOutputs) emit(env *environment, r *gate.Report) (int, error) {
	failOn := o.failOn
	if o.allowUnmeasurable && failOn == gate.FailOnUnmeasurable {
		failOn = gate.FailOnFail
	}
	code, why, err := r.Exit(failOn)
	if err != nil {
		return gate.ExitUndecided, err
	}
	var errs []error
	if o.json != "-" && o.markdown != "-" {
		if err := gate.WriteText(env.stdout, r); err != nil {
			errs = append(errs, fmt.Errorf("text report: %w", err))
		}
	}
	if o.json != "" {
		if err := writeOutput(env, o.json, func(w io.Writer) error { return gate.WriteJSON(w, r) }); err != nil {
			errs = append(errs, fmt.Errorf("--json %s: %w", o.json, err))
		}
	}
	if o.markdown != "" {
		if err := writeOutput(env, o.markdown, func(w io.Writer) error { return gate.WriteMarkdown(w, r, gate.MarkdownOptions{}) }); err != nil {
			errs = append(errs, fmt.Errorf("--markdown %s: %w", o.markdown, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return gate.ExitUndecided, err
	}
	if why != "" {
		fmt.Fprintln(env.stderr, "perfslo: "+why)
	}
	return code, nil
}

// writeOutput writes to path atomically (temp file + rename), or to stdout
// for "-", so a reader never sees half a report.
func writeOutput(env *environment, path string, write func(io.Writer) error) error {
	if path == "-" {
		return write(env.stdout)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return atomicfile.WriteBytes(resolve(env, path), buf.Bytes())
}

// textAndJSON prints text on stdout unless --json took it, and writes v as
// JSON to jsonPath when one is given.
func textAndJSON(env *environment, jsonPath string, text func(io.Writer) error, v any) (int, error) {
	if jsonPath != "-" {
		if err := text(env.stdout); err != nil {
			return gate.ExitUndecided, err
		}
	}
	if jsonPath != "" {
		if err := writeOutput(env, jsonPath, indentedJSON(v)); err != nil {
			return gate.ExitUndecided, err
		}
	}
	return gate.ExitPass, nil
}

// indentedJSON writes v as indented JSON.
func indentedJSON(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

// resolve makes path relative to the command's working directory.
func resolve(env *environment, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(env.dir, path)
}

// storeSpec makes a directory store's path absolute; "" and git:BRANCH
// stay as they are.
func storeSpec(env *environment, spec string) string {
	if spec == "" || strings.HasPrefix(spec, "git:") {
		return spec
	}
	return resolve(env, spec)
}
