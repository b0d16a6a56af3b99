package run

import (
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestAffinityInherited checks that a process started inside withAffinity
// runs on one core only, the highest allowed, and one started after it on
// every core it could before.
func TestAffinityInherited(t *testing.T) {
	allowed := func() string {
		out, err := exec.Command("grep", "Cpus_allowed_list", "/proc/self/status").Output()
		if err != nil {
			t.Skipf("no /proc/self/status: %v", err)
		}
		return strings.TrimSpace(strings.TrimPrefix(string(out), "Cpus_allowed_list:"))
	}
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: nothing to pin")
	}
	before := allowed()
	var inside string
	cpu, err := withAffinity(func() error { inside = allowed(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if cpu < 0 || inside != strconv.Itoa(cpu) {
		t.Errorf("child inside withAffinity may run on CPUs %q, pinned %d; want exactly the pinned CPU", inside, cpu)
	}
	if after := allowed(); after != before {
		t.Errorf("after withAffinity: CPUs %q, before %q", after, before)
	}
}
