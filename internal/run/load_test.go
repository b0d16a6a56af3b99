package run

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	data := []byte("cpu  1000 50 300 8000 100 10 20 70 0 0\ncpu0 500 25 150 4000 50 5 10 35 0 0\n")
	got, ok := parseProcStat(data)
	if !ok {
		t.Fatal("not parsed")
	}
	// busy = user+nice+system+irq+softirq; total adds idle, iowait, steal.
	want := cpuTimes{busy: 13.8, total: 95.5, steal: 0.7}
	if d := got.busy - want.busy + got.total - want.total + got.steal - want.steal; d > 1e-9 || d < -1e-9 {
		t.Errorf("parseProcStat = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\n", "cpu 1 2 3\n"} {
		if _, ok := parseProcStat([]byte(bad)); ok {
			t.Errorf("parseProcStat(%q) ok", bad)
		}
	}
}

func TestLoadWarnings(t *testing.T) {
	s := func(round int, side string, other, steal float64, wall time.Duration) LoadSample {
		return LoadSample{Round: round, Side: side, Wall: wall, OtherCPU: other, Steal: steal, Load1: 1.5, Measured: true}
	}
	ms := time.Millisecond
	tests := []struct {
		name string
		load []LoadSample
		want []string // one substring per expected warning
	}{
		{"quiet", []LoadSample{s(1, "base", 0.05, 0, 100*ms), s(1, "head", 0.1, 0.01, 100*ms)}, nil},
		{"unmeasured", []LoadSample{{Round: 1, Wall: ms}}, nil},
		{
			// A short process's tick rounding averages out over its round.
			"averaged by wall time",
			[]LoadSample{s(1, "base", 1.0, 0, 10*ms), s(1, "head", 0.0, 0, 990*ms)},
			nil,
		},
		{
			"busy rounds named",
			[]LoadSample{
				s(1, "base", 0.05, 0, 100*ms), s(1, "head", 0.05, 0, 100*ms),
				s(2, "head", 0.5, 0, 100*ms), s(2, "base", 0.4, 0, 100*ms),
				s(3, "base", 0.05, 0, 100*ms), s(3, "head", 0.05, 0, 100*ms),
				s(4, "head", 0.8, 0, 100*ms), s(4, "base", 0.8, 0, 100*ms),
			},
			[]string{"other processes used 0.45–0.80 of 2 cores during rounds 2, 4 of 4 (load average up to 1.50)"},
		},
		{
			"steal",
			[]LoadSample{s(1, "base", 0, 0.08, 100*ms), s(1, "head", 0, 0.08, 100*ms), s(2, "head", 0, 0, 100*ms)},
			[]string{"hypervisor steal took 8% of CPU time during round 1 of 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Outcome{Load: tt.load}).LoadWarnings(2)
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q lacks %q", got[i], w)
				}
			}
		})
	}
}

// TestLoadDetected burns a core in this process while benchmarks run: the
// runner must see it as other processes' CPU and warn.
func TestLoadDetected(t *testing.T) {
	if _, ok := readCPUTimes(); !ok {
		t.Skip("no /proc/stat")
	}
	_, pkgs := builtFixture(t)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		for !stop.Load() {
		}
	}()
	out, err := Interleave(context.Background(), Plan{
		Head: []Package{pkgs["fast"]}, Bench: "Sum", Benchtime: "100ms", CPU: 1, Rounds: 2, Timeout: time.Minute,
	})
	stop.Store(true)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range out.Load {
		if !l.Measured || l.OtherCPU < 0.5 {
			t.Errorf("round %d: other CPU %.2f cores while a core was busy", l.Round, l.OtherCPU)
		}
	}
	w := out.LoadWarnings(runtime.NumCPU())
	if len(w) == 0 || !strings.Contains(w[0], "rounds 1, 2 of 2") {
		t.Errorf("LoadWarnings = %q, want rounds 1 and 2 flagged", w)
	}
}
