package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAffinityInherited checks that a process started inside withAffinity
// runs on the chosen core only, and one started after it does not.
func TestAffinityInherited(t *testing.T) {
	allowed := func() string {
		out, err := exec.Command("grep", "Cpus_allowed_list", "/proc/self/status").Output()
		if err != nil {
			t.Skipf("no /proc/self/status: %v", err)
		}
		return strings.TrimSpace(strings.TrimPrefix(string(out), "Cpus_allowed_list:"))
	}
	before := allowed()
	var inside string
	if err := withAffinity(0, func() error { inside = allowed(); return nil }); err != nil {
		t.Fatal(err)
	}
	if inside != "0" {
		t.Errorf("child inside withAffinity(0) may run on CPUs %q, want 0", inside)
	}
	if after := allowed(); after != before {
		t.Errorf("after withAffinity: CPUs %q, before %q", after, before)
	}
}
