// Command perfslo is a performance gate for Go: it runs benchmarks, compares
// them with a baseline using benchstat's statistics, judges them against RAER
// budgets from perfslo.yaml, and reports to the terminal, a pull request and
// machines.
//
// Exit codes: 0 pass, 2 the gate failed (a regression or a budget violation),
// 1 could not decide (bad config, build failure, bad input, I/O).
package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/perfslo/perfslo/gate"
	"io"
	"os"
	"sort"

	"github.com/perfslo/perfslo/internal/interrupt"
)

// command is one subcommand. Each lives in its own file and registers itself
// in init, so the dispatcher never changes when a command is added.
type command struct {
	name    string
	summary string
	// run returns the exit code; errors it returns are printed and exit 1.
	run func(ctx context.Context, env *environment, args []string) (int, error)
}

// environment is the imperative shell's view of the outside world; tests
// substitute buffers and a fake working directory.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	dir            string // working directory
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("perfslo: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	ctx, stop := interrupt.Context(context.Background(), os.Stderr)
	defer stop()
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "perfslo:", err)
		os.Exit(gate.ExitUndecided)
	}
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, dir: wd}
	os.Exit(runMain(ctx, env, os.Args[1:]))
}

// runMain dispatches to a subcommand and turns its outcome into an exit code.
func runMain(ctx context.Context, env *environment, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stdout)
		if len(args) == 0 {
			return gate.ExitUndecided
		}
		return gate.ExitPass
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "perfslo: unknown command %q\n\n", args[0])
		usage(env.stderr)
		return gate.ExitUndecided
	}
	code, err := c.run(ctx, env, args[1:])
	if err != nil {
		if errors.Is(err, errHelp) {
			return gate.ExitPass
		}
		if ctx.Err() != nil {
			fmt.Fprintln(env.stderr, "perfslo: interrupted")
			return gate.ExitUndecided
		}
		fmt.Fprintf(env.stderr, "perfslo %s: %v\n", c.name, err)
		return gate.ExitUndecided
	}
	return code
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "perfslo: a performance gate for Go benchmarks, with RAER budgets.")
	fmt.Fprintln(w, "\nUsage: perfslo <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'perfslo <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 pass, 2 the gate failed, 1 could not decide.")
}
