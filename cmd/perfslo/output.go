package main

import (
	"flag"
	"strings"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/output"
)

// registerReportOutputs binds the --json and --markdown destinations and the
// exit policy shared by every command that produces a Report.
func registerReportOutputs(env *environment, fs *flag.FlagSet) *output.Targets {
	t := output.Targets{Dir: env.dir}
	fs.StringVar(&t.JSON, "json", "", "write the JSON report to `file` (- for stdout)")
	fs.StringVar(&t.Markdown, "markdown", "", "write the markdown report to `file` (- for stdout)")
	fs.BoolVar(&t.AllowUnmeasurable, "allow-unmeasurable", false, "exit 0 even when some rows could not be judged (too few samples, too noisy); the same as --fail-on fail")
	fs.StringVar(&t.FailOn, "fail-on", gate.FailOnUnmeasurable, "what fails the step, as the action's fail-on input: `unmeasurable` (a regression, a budget violation, or a row not judged), fail (a regression or a violation), never (report only)")
	return &t
}

// emit renders r to the targets and returns the exit code it calls for.
func emit(env *environment, t *output.Targets, r *gate.Report) (int, error) {
	return output.Report(env.stdout, env.stderr, *t, r)
}

// resolve makes path relative to the command's working directory.
func resolve(env *environment, path string) string { return output.Resolve(env.dir, path) }

// storeSpec makes a directory store's path absolute; "" and git:BRANCH
// stay as they are.
func storeSpec(env *environment, spec string) string {
	if spec == "" || strings.HasPrefix(spec, "git:") {
		return spec
	}
	return resolve(env, spec)
}
