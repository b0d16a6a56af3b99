package store

import (
	"context"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/perfslo/perfslo/gate"
)

func TestCurrentMachine(t *testing.T) {
	m := CurrentMachine(context.Background())
	if !strings.HasPrefix(m.GoVersion, "go") {
		t.Errorf("GoVersion = %q", m.GoVersion)
	}
	if m.GOOS != runtime.GOOS || m.GOARCH != runtime.GOARCH || m.NumCPU != runtime.NumCPU() {
		t.Errorf("platform = %s/%s %d cores", m.GOOS, m.GOARCH, m.NumCPU)
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil && strings.Contains(string(data), "model name") {
		if m.CPU == "" || !strings.Contains(string(data), m.CPU) {
			t.Errorf("CPU = %q, not the model name in /proc/cpuinfo", m.CPU)
		}
	}
	if d := (Meta{Machine: m}).Differences(Meta{Machine: m}); len(d) != 0 {
		t.Errorf("a machine differs from itself: %q", d)
	}
}

func TestDifferences(t *testing.T) {
	base := Meta{Machine: gate.Machine{GoVersion: "go1.25.1", GOOS: "linux", GOARCH: "amd64", CPU: "AMD EPYC", NumCPU: 2}, GOMAXPROCS: 1}
	tests := []struct {
		name  string
		other func(m *Meta)
		want  []string
	}{
		{"same", func(m *Meta) {}, nil},
		{"core count alone does not move results", func(m *Meta) { m.NumCPU = 8 }, nil},
		{"unknown is not different", func(m *Meta) { m.CPU, m.GoVersion, m.GOMAXPROCS = "", "", 0 }, nil},
		{"everything", func(m *Meta) {
			*m = Meta{Machine: gate.Machine{GoVersion: "go1.26.8", GOOS: "darwin", GOARCH: "arm64", CPU: "Apple M2"}, GOMAXPROCS: 4}
		}, []string{
			"Go version differs: baseline go1.25.1, this run go1.26.8",
			"GOOS/GOARCH differs: baseline linux/amd64, this run darwin/arm64",
			"CPU differs: baseline AMD EPYC, this run Apple M2",
			"GOMAXPROCS differs: baseline 1, this run 4",
		}},
	}
	for _, tt := range tests {
		other := base
		tt.other(&other)
		if got := base.Differences(other); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Differences = %q, want %q", tt.name, got, tt.want)
		}
	}
}
