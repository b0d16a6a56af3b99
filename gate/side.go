package gate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/perfslo/perfslo/budgets"
	"golang.org/x/perf/benchfmt"
)

// Key identifies one series of samples: a benchmark and a unit.
type Key struct {
	budgets.BenchmarkID
	Unit string
}

// Side is one build's samples: every value of every benchmark and unit, plus
// the unit metadata the input declared.
type Side struct {
	Source  Source
	samples map[Key][]float64
	keys    []Key // first-seen order, for stable output
	units   benchfmt.UnitMetadataMap
	// bad holds the values that were not finite numbers, which Add leaves
	// out: statistics over NaN or ±Inf mean nothing (and a U-test over
	// NaN does not terminate).
	bad []error
	// spelled is the unit each benchmark first reported a quantity in
	// (check refuses another spelling of it).
	spelled map[spellKey]spelling
}

// NewSide returns an empty side.
func NewSide(src Source) *Side {
	return &Side{Source: src, samples: map[Key][]float64{}, units: benchfmt.UnitMetadataMap{}}
}

// Add records every value of one benchmark result. The package is the
// result's "pkg" configuration, as go test prints it.
func (s *Side) Add(r *benchfmt.Result) {
	id := budgets.ResultID(r, 0)
	where := func() string {
		file, line := r.Pos()
		w := file
		if line > 0 {
			w = fmt.Sprintf("%s:%d", file, line)
		}
		if w != "" {
			w += ": "
		}
		return w
	}
	if err := printableNames(r); err != nil {
		// go test escapes such characters in names; raw samples that hold
		// them were written by something else, and the names would reach
		// terminals, logs and PR comments.
		s.bad = append(s.bad, fmt.Errorf("%s%v: not go test output", where(), err))
		return
	}
	if err := s.check(r); err != nil {
		s.bad = append(s.bad, fmt.Errorf("%sBenchmark%s: %v", where(), r.Name, err))
		return
	}
	for _, v := range r.Values {
		if !isFinite(v.Value) {
			s.bad = append(s.bad, fmt.Errorf("%sBenchmark%s: %v %s is not a finite number (expected a measurement like \"123 ns/op\")", where(), r.Name, v.Value, v.Unit))
			continue
		}
		k := Key{BenchmarkID: id, Unit: v.Unit}
		if _, seen := s.samples[k]; !seen {
			s.keys = append(s.keys, k)
		}
		s.samples[k] = append(s.samples[k], v.Value)
	}
}

// Err reports the values Add left out because they were not finite.
func (s *Side) Err() error { return errors.Join(s.bad...) }

// AddUnits records unit metadata ("Unit x/op assume=exact better=higher").
func (s *Side) AddUnits(m benchfmt.UnitMetadataMap) {
	for k, v := range m {
		s.units[k] = v
	}
}

// Keys returns the side's series in first-seen order.
func (s *Side) Keys() []Key { return append([]Key(nil), s.keys...) }

// Samples returns the values of one series.
func (s *Side) Samples(k Key) []float64 { return s.samples[k] }

// Len is the number of series.
func (s *Side) Len() int { return len(s.keys) }

// ReadSide parses benchfmt text (go test -bench output) into a side. name is
// used in errors. Malformed benchmark lines are errors naming name:line, and
// so is input that holds no benchmark result at all: a truncated or garbage
// file must never compare as "no change".
func ReadSide(src Source, r io.Reader, name string) (*Side, error) {
	side := NewSide(src)
	if err := side.Read(r, name); err != nil {
		return nil, err
	}
	if side.Len() == 0 {
		return nil, fmt.Errorf("%s: no benchmark results (expected lines like \"BenchmarkX-8  1000  123 ns/op\")", name)
	}
	return side, nil
}

// Read adds the results of benchfmt text to the side.
func (s *Side) Read(r io.Reader, name string) error {
	rd := benchfmt.NewReader(r, name)
	var errs []error
	for rd.Scan() {
		switch rec := rd.Result(); rec := rec.(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, syntaxError(rec))
		case *benchfmt.Result:
			s.Add(rec)
		}
	}
	if err := rd.Err(); err != nil {
		return readError(name, err)
	}
	s.AddUnits(rd.Units())
	s.compact()
	return capErrors(name, append(errs, s.bad...))
}

// compact moves every series into one array, each clipped to its length,
// and the index into a map of the right size.
// Grown by append, a series of 10 samples holds room for 16 in an
// allocation of its own; on a large input that slack and the per-series
// allocations were a third of the side. Clipped, a later append (more
// samples from a look) reallocates the series instead of writing into its
// neighbour.
func (s *Side) compact() {
	n := 0
	for _, k := range s.keys {
		n += len(s.samples[k])
	}
	arena := make([]float64, 0, n)
	// A map grown one entry at a time ends up about half full; one made
	// for its final size is nearly full, half the memory.
	samples := make(map[Key][]float64, len(s.keys))
	for _, k := range s.keys {
		start := len(arena)
		arena = append(arena, s.samples[k]...)
		samples[k] = arena[start:len(arena):len(arena)]
	}
	s.samples = samples
	s.keys = slices.Clip(s.keys)
}

func syntaxError(e *benchfmt.SyntaxError) error {
	msg := e.Msg
	if strings.Contains(msg, "missing") || strings.Contains(msg, "unit") || strings.Contains(msg, "iteration") {
		msg += " (expected \"BenchmarkName-N  iterations  value unit [value unit...]\"; truncated output?)"
	}
	return fmt.Errorf("%s:%d: %s", e.FileName, e.Line, msg)
}

// readError restates the reader's I/O error, "NAME:LINE: err" with the
// line it last read, as what the user can act on.
func readError(name string, err error) error {
	cause := errors.Unwrap(err)
	if cause == nil {
		cause = err
	}
	var last int
	_, _ = fmt.Sscanf(strings.TrimPrefix(err.Error(), name+":"), "%d:", &last)
	if errors.Is(cause, bufio.ErrTooLong) {
		return fmt.Errorf("%s:%d: a line longer than %d KiB: not go test -bench output (a binary or corrupt file?)", name, last+1, bufio.MaxScanTokenSize>>10)
	}
	return fmt.Errorf("%s: %w", name, cause)
}
