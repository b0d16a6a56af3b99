package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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

// What fails the step (--fail-on), as the action's fail-on input says.
const (
	failOnUnmeasurable = "unmeasurable" // a regression, a violation, or a row not judged (exit 2 or 1)
	failOnFail         = "fail"         // a regression or a violation only
	failOnNever        = "never"        // report only: exit 0 unless perfslo itself could not run
)

func (o *reportOutputs) register(fs *flag.FlagSet) {
	fs.StringVar(&o.json, "json", "", "write the JSON report to `file` (- for stdout)")
	fs.StringVar(&o.markdown, "markdown", "", "write the markdown report to `file` (- for stdout)")
	fs.BoolVar(&o.allowUnmeasurable, "allow-unmeasurable", false, "exit 0 even when some rows could not be judged (too few samples, too noisy); the same as --fail-on fail")
	fs.StringVar(&o.failOn, "fail-on", failOnUnmeasurable, "what fails the step, as the action's fail-on input: `unmeasurable` (a regression, a budget violation, or a row not judged), fail (a regression or a violation), never (report only)")
}

// emit prints the text report on stdout (unless a machine format took
// stdout), writes the requested files, and returns the exit code the report
// calls for. Every output is attempted: one that cannot be written does
// not keep the others from being.
func (o *reportOutputs) emit(env *environment, r *gate.Report) (int, error) {
	switch o.failOn {
	case failOnUnmeasurable, failOnFail, failOnNever:
	default:
		return exitUndecided, fmt.Errorf("--fail-on %q: want unmeasurable, fail or never", o.failOn)
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
		return exitUndecided, err
	}
	code := exitCode(env, r, o.allowUnmeasurable || o.failOn == failOnFail)
	if o.failOn == failOnNever && code != exitPass {
		fmt.Fprintf(env.stderr, "perfslo: --fail-on never: exit 0 although the verdict called for %d\n", code)
		return exitPass, nil
	}
	return code, nil
}

// exitCode maps a report to the exit-code contract: 2 when a judged row
// failed, 1 when something could not be judged, 0 only when everything was.
func exitCode(env *environment, r *gate.Report, allowUnmeasurable bool) int {
	switch {
	case r.Failed() > 0:
		return exitFail
	case len(r.Failures) > 0:
		fmt.Fprintf(env.stderr, "perfslo: %d benchmark(s) failed to run: not judged\n", len(r.Failures))
		return exitUndecided
	case r.Unmeasurable() > 0 && !allowUnmeasurable:
		fmt.Fprintf(env.stderr, "perfslo: %d row(s) could not be judged (see above); --fail-on fail accepts that\n", r.Unmeasurable())
		return exitUndecided
	case len(r.Results) == 0:
		fmt.Fprintln(env.stderr, "perfslo: no benchmark results to judge")
		return exitUndecided
	}
	return exitPass
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
	path = resolve(env, path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
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
