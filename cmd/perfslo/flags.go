package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// errHelp reports that --help was asked for and printed; it exits 0.
var errHelp = errors.New("help requested")

// newFlagSet returns a flag set that prints its usage to w and whose errors
// are returned, not fatal.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: perfslo %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("compare OLD NEW --json F"), as users of modern Go CLIs expect.
// A lone "--" ends flag parsing. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// fs.Parse stops at the first positional or after "--".
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseNone parses flags and refuses positional arguments.
func parseNone(fs *flag.FlagSet, args []string) error { return parseNoneHint(fs, args, "") }

// parseNoneHint is parseNone whose error says, when hint is given, where
// the argument belongs ("the name goes in --name").
func parseNoneHint(fs *flag.FlagSet, args []string, hint string) error {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 && hint != "" {
		return fmt.Errorf("unexpected argument %q (%s)", pos[0], hint)
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	return nil
}
