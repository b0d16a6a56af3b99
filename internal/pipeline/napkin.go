package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/perfslo/perfslo/gate"
	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/napkin"
	"github.com/perfslo/perfslo/internal/store"
)

// FloorsFile is where `perfslo napkin` keeps the machine's floors, in the
// module's .perfslo directory.
func FloorsFile(moduleDir string) string { return filepath.Join(moduleDir, ".perfslo", "napkin.json") }

// MeasureFloors probes this machine and saves its floors to path.
func MeasureFloors(ctx context.Context, path string, quick bool) (*gate.Floors, error) {
	f := napkin.Measure(store.CurrentMachine(ctx), napkin.Options{Quick: quick})
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return &f, atomicfile.WriteBytes(path, append(data, '\n'))
}

// LoadFloors reads saved floors; errors name the file, line and column.
func LoadFloors(path string) (*gate.Floors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f gate.Floors
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		if line, col, ok := gate.JSONPosition(data, err); ok {
			return nil, fmt.Errorf("%s:%d:%d: %v", path, line, col, err)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(f.Read) == 0 {
		return nil, fmt.Errorf("%s: no read bandwidth measured (run perfslo napkin again)", path)
	}
	return &f, nil
}

// WriteFloors prints the floors as a table.
func WriteFloors(w io.Writer, f *gate.Floors) error {
	fmt.Fprintf(w, "floors of %s (%s/%s, %d CPUs, %s), measured %s\n", orDash(f.Machine.CPU), f.Machine.GOOS, f.Machine.GOARCH, f.Machine.NumCPU, f.Machine.GoVersion, f.Date.Format("2006-01-02 15:04 UTC"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  working set\tsequential read\tdependent load")
	for i, r := range f.Read {
		lat := "-"
		if i < len(f.Latency) {
			lat = gate.FormatValue(f.Latency[i].Seconds, "sec/op") + "s"
		}
		fmt.Fprintf(tw, "  %sB\t%sB/s\t%s\n", gate.FormatValue(float64(r.Size), "B/op"), gate.FormatValue(r.BytesPerSec, "B/op"), lat)
	}
	tw.Flush()
	fmt.Fprintf(w, "  memmove %sB/s · small allocation %ss (+%ss per byte) · syscall (getppid) %ss\n", gate.FormatValue(f.Copy, "B/op"),
		gate.FormatValue(f.Alloc, "sec/op"), gate.FormatValue(f.AllocByte, "sec/op"), gate.FormatValue(f.Syscall, "sec/op"))
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// NapkinOf reads a go test -bench output and puts its benchmarks next to
// the floors.
func NapkinOf(results string, f *gate.Floors) ([]gate.NapkinRow, error) {
	data, err := os.ReadFile(results)
	if err != nil {
		return nil, err
	}
	side, err := gate.ReadSide(gate.Source{}, bytes.NewReader(data), results)
	if err != nil {
		return nil, err
	}
	return gate.Napkin(side, f), nil
}

// AttachNapkin adds the head's napkin rows to a gate report when the module
// has saved floors, and a warning per implausible benchmark.
func AttachNapkin(moduleDir string, head *gate.Side, rep *gate.Report) {
	f, err := LoadFloors(FloorsFile(moduleDir))
	if err != nil {
		if !os.IsNotExist(err) {
			rep.Warnings = append(rep.Warnings, "napkin floors: "+err.Error())
		}
		return
	}
	rep.Napkin = gate.Napkin(head, f)
	for _, r := range rep.Napkin {
		if r.Implausible {
			rep.Warnings = append(rep.Warnings, r.Benchmark+": "+r.Why)
		}
	}
}

// NapkinPlan is one `perfslo napkin`.
type NapkinPlan struct {
	// Floors is the floors file; Results a go test -bench output to put
	// next to them ("" prints the floors only).
	Floors, Results string
	// Remeasure measures even when Floors exists; Quick probes briefly.
	Remeasure, Quick bool
	Log              io.Writer
}

// Napkin runs `perfslo napkin`: it loads the floors (measuring and saving
// them when missing or asked), prints them and the results' rows, and
// returns the exit code (2 when a result is implausible).
func Napkin(ctx context.Context, w io.Writer, p NapkinPlan) (int, error) {
	f, err := LoadFloors(p.Floors)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !p.Remeasure {
		return gate.ExitUndecided, fmt.Errorf("%w (--remeasure replaces it)", err)
	}
	if err != nil || p.Remeasure || p.Results == "" {
		if f, err = MeasureFloors(ctx, p.Floors, p.Quick); err != nil {
			return gate.ExitUndecided, err
		}
		if p.Log != nil {
			fmt.Fprintf(p.Log, "perfslo napkin: saved %s\n", p.Floors)
		}
	}
	if err := WriteFloors(w, f); err != nil || p.Results == "" {
		return gate.ExitPass, err
	}
	rows, err := NapkinOf(p.Results, f)
	if err != nil {
		return gate.ExitUndecided, err
	}
	code := gate.ExitPass
	for _, r := range rows {
		fmt.Fprintln(w, r.Line())
		if r.Implausible {
			code = gate.ExitFail
		}
	}
	return code, nil
}
