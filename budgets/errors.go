package budgets

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Error is one located problem in a config file. Parse reports every problem
// it finds, not just the first, so one edit-run cycle fixes them all.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

// Error formats the problem the way compilers do, so editors and CI
// annotations can jump to it: "file:line:col: msg".
func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "perfslo.yaml"
	}
	switch {
	case e.Line <= 0:
		return fmt.Sprintf("%s: %s", file, e.Msg)
	case e.Column <= 0:
		return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Column, e.Msg)
}

// errorList collects located problems while parsing.
type errorList struct {
	file string
	errs []*Error
}

func (l *errorList) add(line, col int, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by position, without duplicates (an
// aliased YAML node is read once per alias), as one errors.Join.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.errs, compareErrors)
	l.errs = slices.CompactFunc(l.errs, func(a, b *Error) bool { return *a == *b })
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

func compareErrors(a, b *Error) int {
	return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Msg, b.Msg))
}

// Errors returns the located problems inside err (as returned by Parse, Load
// or Limit.Eval), in order; nil if err holds none.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		walk(errors.Unwrap(err))
	}
	walk(err)
	return out
}
