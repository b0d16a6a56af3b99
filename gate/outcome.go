package gate

import "fmt"

// What fails the step (the gate's --fail-on, the action's fail-on input).
const (
	// FailOnUnmeasurable fails on a regression, a budget violation, a
	// benchmark that did not run, or a row not judged (the default).
	FailOnUnmeasurable = "unmeasurable"
	// FailOnFail fails on a regression, a violation or a failed benchmark.
	FailOnFail = "fail"
	// FailOnNever reports only.
	FailOnNever = "never"
)

// Exit codes, the command line's contract.
const (
	ExitPass      = 0 // everything was judged and nothing failed
	ExitUndecided = 1 // something could not be judged (or perfslo could not run)
	ExitFail      = 2 // a regression or a budget violation
)

// Exit is the exit code the report calls for under a fail-on policy, and
// why when it is not ExitPass (or when never hid a failure).
func (r *Report) Exit(failOn string) (int, string, error) {
	code, why := ExitPass, ""
	switch {
	case r.Failed() > 0:
		code = ExitFail
	case len(r.Failures) > 0:
		code, why = ExitUndecided, fmt.Sprintf("%d benchmark(s) failed to run: not judged", len(r.Failures))
	case r.Unmeasurable() > 0 && failOn == FailOnUnmeasurable:
		code, why = ExitUndecided, fmt.Sprintf("%d row(s) could not be judged (see above); --fail-on fail accepts that", r.Unmeasurable())
	case r.nothingToGate():
		why = fmt.Sprintf("nothing to gate: %d package(s) skipped as unaffected by the change", len(r.Skipped))
	case len(r.Results) == 0:
		code, why = ExitUndecided, "no benchmark results to judge"
	}
	switch failOn {
	case FailOnUnmeasurable, FailOnFail:
		return code, why, nil
	case FailOnNever:
		if code != ExitPass {
			return ExitPass, fmt.Sprintf("--fail-on never: exit 0 although the verdict called for %d", code), nil
		}
		return ExitPass, "", nil
	}
	return ExitUndecided, "", fmt.Errorf("--fail-on %q: want unmeasurable, fail or never", failOn)
}
