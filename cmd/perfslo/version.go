package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/buildinfo"
)

func init() {
	register(command{name: "version", summary: "print perfslo's version", run: runVersion})
}

func runVersion(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("version", "version", env.stderr)
	if _, err := parseInterspersed(fs, args); err != nil {
		return gate.ExitUndecided, err
	}
	fmt.Fprintf(env.stdout, "perfslo %s (%s, %s/%s)\n", buildinfo.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return gate.ExitPass, nil
}
