// Package inject is a knob for injecting performance regressions into the
// example benchmarks without changing their code.
//
// The evaluation harness and the end-to-end tests need a regression of a
// known size. Editing code to make one would also move other functions in
// the binary and shift their timings by code layout alone, so the knob is
// data, set at link time:
//
//	go test -ldflags "-X github.com/perfslo/perfslo/examples/internal/inject.Work=5 \
//	                  -X github.com/perfslo/perfslo/examples/internal/inject.Allocs=1" ./...
//
// The variables are strings (only strings can be set with -X) and are parsed
// once, at init. A value that does not parse stops the program with a message
// naming the variable, so a typo never silently injects nothing.
//
// Opinions:
//   - Work is proportional to the real work, measured: an operation that took
//     d spends another d·Work/100 in a busy loop before returning, so the
//     injected slowdown is the requested percentage on any machine and for any
//     input size, and shows up in CPU profiles as inject.Op.End.
//   - Allocs are real heap allocations that escape, 16 bytes each (the
//     smallest size the runtime does not batch in its tiny allocator), so
//     allocs/op grows by exactly Allocs and B/op by 16·Allocs.
//   - Unset, the knob costs one predictable branch per operation on a field
//     that is never written after init.
package inject

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Work is the extra work per operation, in percent of the operation's own
// time ("5" makes each instrumented operation 5% slower). Set with -X.
var Work string

// Allocs is the number of extra heap allocations per operation. Set with -X.
var Allocs string

// Sites restricts injection to a comma-separated list of site names ("sum",
// "jsonenc", "digest"); empty means every site. Set with -X.
var Sites string

// settings is the parsed knob.
type settings struct {
	work   float64 // fraction: 0.05 for Work=5
	allocs int
	sites  map[string]bool // nil: every site
}

// config is the knob in effect, fixed after init.
var config settings

func init() {
	if err := parse(Work, Allocs, Sites); err != nil {
		// init cannot return an error, and running with a knob that was
		// asked for but not understood would make every measurement a lie.
		fmt.Fprintf(os.Stderr, "inject: %v\n", err)
		os.Exit(2)
	}
}

// parse validates the -X values and replaces config with them.
func parse(work, allocs, sites string) error {
	const pkg = "github.com/perfslo/perfslo/examples/internal/inject"
	var c settings
	if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(work), "%")); s != "" {
		pct, err := strconv.ParseFloat(s, 64)
		if err != nil || pct < 0 || pct > 10000 {
			return fmt.Errorf("-X %s.Work=%q: want a percentage between 0 and 10000, such as 5", pkg, work)
		}
		c.work = pct / 100
	}
	if s := strings.TrimSpace(allocs); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1_000_000 {
			return fmt.Errorf("-X %s.Allocs=%q: want a whole number of allocations between 0 and 1000000, such as 1", pkg, allocs)
		}
		c.allocs = n
	}
	for name := range strings.SplitSeq(sites, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if c.sites == nil {
			c.sites = map[string]bool{}
		}
		c.sites[name] = true
	}
	config = c
	return nil
}

// Site is one instrumented operation. Declare it as a package-level variable
// so that the hot path tests a plain bool:
//
//	var knob = inject.NewSite("sum")
//
//	func Sum(r io.Reader) (int64, error) {
//		if knob.Enabled() {
//			op := knob.Begin()
//			n, err := sum(r)
//			op.End()
//			return n, err
//		}
//		return sum(r)
//	}
type Site struct {
	on bool
}

// NewSite returns the site called name, enabled when the knob asks for any
// injection and Sites is empty or lists name.
func NewSite(name string) Site {
	active := config.work > 0 || config.allocs > 0
	return Site{on: active && (config.sites == nil || config.sites[name])}
}

// Enabled reports whether this site injects anything. It is the only cost of
// the knob when unset.
func (s Site) Enabled() bool { return s.on }

// Op is one operation being measured at an enabled site.
type Op struct {
	start time.Time
}

// Begin marks the start of an operation's real work.
func (s Site) Begin() Op {
	return Op{start: time.Now()}
}

// End injects the configured extra work and allocations: it allocates, then
// busy-waits until the operation has taken (1+Work/100) times its real work.
// The allocations come first so that their cost counts as real work too.
func (op Op) End() {
	for range config.allocs {
		sink = new([16]byte)
	}
	if config.work > 0 {
		spend(time.Duration(float64(time.Since(op.start)) * config.work))
	}
}

// sink makes the injected allocations escape to the heap: the compiler
// cannot prove a package-level variable is never read.
//
//lint:ignore U1000 written, never read, on purpose
var sink *[16]byte

// spend keeps the CPU busy for d. It spins on the monotonic clock rather than
// on a calibrated loop count, so the extra time is right on every CPU.
//
//go:noinline
func spend(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}
