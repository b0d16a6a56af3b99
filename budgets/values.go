package budgets

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// parsePercent reads a relative amount: "5%" is 0.05. A bare number is a
// fraction, but only below 1: "0" (exact) and "0.05" are clear, while a bare
// "5" could mean 5% or 500%, so it is refused with the two spellings.
func parsePercent(s string) (float64, string) {
	t := strings.TrimSpace(s)
	num, pct := strings.CutSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Sprintf("%q is not a percentage; write it like 5%% (or 0 for none)", s)
	case v < 0:
		return 0, fmt.Sprintf("%q is negative; a tolerance or share is ≥ 0", s)
	case pct:
		return v / 100, ""
	case v >= 1:
		return 0, fmt.Sprintf("bare number %s is ambiguous; write %s%% for percent, or a fraction below 1 such as 0.05", t, t)
	}
	return v, ""
}

// iterationsRE matches a -test.benchtime iteration count such as "1000x".
var iterationsRE = regexp.MustCompile(`^[1-9]\d*x$`)

// checkBenchtime reports why s is not a -test.benchtime value, or "".
func checkBenchtime(s string) string {
	if iterationsRE.MatchString(s) {
		return ""
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Sprintf("benchtime %q: expected a positive duration such as 100ms or 1s, or an iteration count such as 1000x", s)
	}
	return ""
}

// checkBenchRegexp checks a -test.bench pattern the way the testing package
// reads it: one regexp per '/'-separated level of sub-benchmarks.
func checkBenchRegexp(s string) string {
	for _, part := range strings.Split(s, "/") {
		if _, err := regexp.Compile(part); err != nil {
			return fmt.Sprintf("bench %q: %v", s, err)
		}
	}
	return ""
}

// CheckFlags reports why run settings given on the command line cannot be
// used (perfslo.yaml's are checked by Parse, with their positions): too few
// samples for any statistics, no CPU, or a benchtime or bench pattern the
// test binary would refuse only after both sides were built.
func (r Run) CheckFlags() error {
	if r.Count < 2 {
		return fmt.Errorf("--count %d: need at least 2 samples per side for any statistics (6 or more to detect a change at α=0.05)", r.Count)
	}
	if r.CPU < 1 {
		return fmt.Errorf("--cpu %d: need at least 1", r.CPU)
	}
	if msg := checkBenchtime(r.Benchtime); r.Benchtime != "" && msg != "" {
		return errors.New("--" + msg)
	}
	if msg := checkBenchRegexp(r.Bench); r.Bench != "" && msg != "" {
		return errors.New("--" + msg)
	}
	return nil
}
