package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/perfslo/perfslo/gate"
)

// CurrentMachine describes this machine and toolchain: Go version (of the
// go command that builds the benchmarks, not of perfslo), GOOS/GOARCH, CPU
// model and core count.
func CurrentMachine(ctx context.Context) gate.Machine {
	return gate.Machine{
		GoVersion: goVersion(ctx),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		CPU:       cpuModel(),
		NumCPU:    runtime.NumCPU(),
	}
}

func goVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v
	}
	// Without a go command nothing gets built; perfslo's own version is
	// the best remaining guess.
	return runtime.Version()
}

// cpuModel reads the CPU's model name on Linux; "" where unknown.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, val, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return ""
}

// Differences lists what differs between the machine a baseline m was taken
// on and other (usually CurrentMachine with this run's settings) in ways that
// move benchmark results: Go version, GOOS/GOARCH, CPU model and GOMAXPROCS.
// A value unknown on either side is not a difference. The gate prints these
// as warnings: a comparison across machines measures the machines too.
func (m Meta) Differences(other Meta) []string {
	var out []string
	diff := func(what, base, now string) {
		if base != "" && now != "" && base != now {
			out = append(out, fmt.Sprintf("%s differs: baseline %s, this run %s", what, base, now))
		}
	}
	diff("Go version", m.GoVersion, other.GoVersion)
	platform := func(m Meta) string {
		if m.GOOS == "" || m.GOARCH == "" {
			return ""
		}
		return m.GOOS + "/" + m.GOARCH
	}
	diff("GOOS/GOARCH", platform(m), platform(other))
	diff("CPU", m.CPU, other.CPU)
	if m.GOMAXPROCS > 0 && other.GOMAXPROCS > 0 && m.GOMAXPROCS != other.GOMAXPROCS {
		out = append(out, fmt.Sprintf("GOMAXPROCS differs: baseline %d, this run %d", m.GOMAXPROCS, other.GOMAXPROCS))
	}
	return out
}
