package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/pipeline"
)

func init() {
	register(command{name: "report", summary: "write the history's HTML dashboard (trends, budgets, creep)", run: runReport})
}

func runReport(ctx context.Context, env *environment, args []string) (int, error) {
	fs := newFlagSet("report", "report --html DIR [--store git:BRANCH] [--bench RE] [--assets URL|FILE] [--config perfslo.yaml]", env.stderr)
	html := fs.String("html", "", "write the dashboard into `dir`")
	assets := fs.String("assets", "", "where echarts.min.js comes from: a URL prefix, or a local `file` copied next to the pages (default: go-echarts' host)")
	hf := registerHistoryFlags(fs)
	v, err := hf.load(ctx, env, fs, args)
	if err != nil {
		return gate.ExitUndecided, err
	}
	if *html == "" {
		return gate.ExitUndecided, errors.New("want --html DIR")
	}
	a := *assets
	if a != "" && !strings.Contains(a, "://") {
		a = resolve(env, a)
	}
	rows, err := pipeline.WriteDashboard(resolve(env, *html), v, a)
	if err != nil {
		return gate.ExitUndecided, err
	}
	fmt.Fprintf(env.stdout, "wrote %s/index.html: %d benchmarks from %d baselines\n", *html, len(rows), v.Entries)
	return gate.ExitPass, nil
}
