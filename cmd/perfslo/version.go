package main

import (
	"context"
	"fmt"
	"github.com/perfslo/perfslo/gate"
	"runtime"
	"runtime/debug"
)

func init() {
	register(command{name: "version", summary: "print perfslo's version", run: runVersion})
}

func runVersion(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("version", "version", env.stderr)
	if _, err := parseInterspersed(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	fmt.Fprintf(env.stdout, "perfslo %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return gate.ExitPass, nil
}

// buildVersion is the module version, or the VCS revision for a dev build.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel " + rev
}
