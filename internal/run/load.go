package run

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// LoadSample is the host's load while one benchmark process ran. Load is kept
// in execution order, so it also records the order processes ran in.
type LoadSample struct {
	Round   int    // 1-based
	Side    string // "base" or "head"
	Package string // import path
	Wall    time.Duration
	// Load1 is the 1-minute load average when the process ended. It lags and
	// includes the benchmark itself; it is context, not evidence.
	Load1 float64
	// OtherCPU is the CPU used by everything but the benchmark process, in
	// cores, averaged over the process's wall time: (busy CPU seconds of the
	// host − CPU seconds of the benchmark) / wall. /proc/stat counts in clock
	// ticks (10ms), so for short processes it is coarse and may be slightly
	// negative; LoadWarnings averages over whole rounds.
	OtherCPU float64
	// Steal is the fraction of CPU time the hypervisor gave to other guests.
	Steal float64
	// Measured is false where /proc/stat is not available (non-Linux).
	Measured bool
}

// Thresholds for LoadWarnings. Measured here: a co-tenant at ~45% of a core
// hid a +5% regression in 2 of 5 repeats and +2% always; we warn well before.
const (
	maxOtherCPU = 0.25 // cores
	maxSteal    = 0.05 // fraction
)

// cpuTimes is a snapshot of the first line of /proc/stat, in seconds.
type cpuTimes struct {
	busy, total, steal float64
}

// clockTick is USER_HZ, the unit of /proc/stat; 100 on every Linux ABI Go
// supports.
const clockTick = 100.0

// readCPUTimes reads /proc/stat; ok is false where it does not exist.
func readCPUTimes() (cpuTimes, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	return parseProcStat(data)
}

// parseProcStat parses the aggregate "cpu" line: user nice system idle iowait
// irq softirq steal [guest guest_nice]. Guest time is already counted in user.
func parseProcStat(data []byte) (cpuTimes, bool) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, false
	}
	var v [8]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i+1], 64)
		if err != nil {
			return cpuTimes{}, false
		}
		v[i] = x / clockTick
	}
	user, nice, system, idle, iowait, irq, softirq, steal := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	return cpuTimes{
		busy:  user + nice + system + irq + softirq,
		total: user + nice + system + idle + iowait + irq + softirq + steal,
		steal: steal,
	}, true
}

// readLoad1 reads the 1-minute load average, 0 where unavailable.
func readLoad1() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	x, _ := strconv.ParseFloat(f[0], 64)
	return x
}

// loadBetween turns two snapshots around a process into a LoadSample.
func loadBetween(before, after cpuTimes, ok bool, wall, childCPU time.Duration) LoadSample {
	s := LoadSample{Wall: wall, Load1: readLoad1(), Measured: ok}
	if !ok || wall <= 0 {
		s.Measured = false
		return s
	}
	busy := after.busy - before.busy
	s.OtherCPU = (busy - childCPU.Seconds()) / wall.Seconds()
	if total := after.total - before.total; total > 0 {
		s.Steal = (after.steal - before.steal) / total
	}
	return s
}

// roundLoad is one round's load, averaged over its processes by wall time so
// that clock-tick rounding of short processes cancels out.
type roundLoad struct {
	round        int
	other, steal float64
	load1        float64
	wall         time.Duration
}

func (o *Outcome) roundLoads() []roundLoad {
	byRound := map[int]*roundLoad{}
	for _, s := range o.Load {
		if !s.Measured {
			continue
		}
		r := byRound[s.Round]
		if r == nil {
			r = &roundLoad{round: s.Round}
			byRound[s.Round] = r
		}
		w := s.Wall.Seconds()
		r.other += s.OtherCPU * w
		r.steal += s.Steal * w
		r.wall += s.Wall
		r.load1 = max(r.load1, s.Load1)
	}
	var out []roundLoad
	for _, r := range byRound {
		if w := r.wall.Seconds(); w > 0 {
			r.other /= w
			r.steal /= w
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].round < out[j].round })
	return out
}

// LoadWarnings says which rounds ran while other processes used more than a
// quarter of a core, or the hypervisor stole more than 5% of the CPU: wall
// time measured then is noisy enough to hide a small regression. ncpu is the
// machine's core count, for scale (runtime.NumCPU() when ncpu <= 0).
func (o *Outcome) LoadWarnings(ncpu int) []string {
	rounds := o.roundLoads()
	if len(rounds) == 0 {
		return nil
	}
	if ncpu <= 0 {
		ncpu = numCPU()
	}
	lastRound := 0
	for _, s := range o.Load {
		lastRound = max(lastRound, s.Round)
	}
	var busy, stolen []roundLoad
	for _, r := range rounds {
		if r.other > maxOtherCPU {
			busy = append(busy, r)
		}
		if r.steal > maxSteal {
			stolen = append(stolen, r)
		}
	}
	var warnings []string
	if len(busy) > 0 {
		lo, hi, load := busy[0].other, busy[0].other, 0.0
		for _, r := range busy {
			lo, hi, load = min(lo, r.other), max(hi, r.other), max(load, r.load1)
		}
		warnings = append(warnings, fmt.Sprintf(
			"host busy: other processes used %s of %d cores during %s of %d (load average up to %.2f); "+
				"timings taken under contention are noisy and can hide a small regression — rerun on a quiet machine",
			span(lo, hi, "%.2f"), ncpu, roundList(busy), lastRound, load))
	}
	if len(stolen) > 0 {
		lo, hi := stolen[0].steal*100, stolen[0].steal*100
		for _, r := range stolen {
			lo, hi = min(lo, r.steal*100), max(hi, r.steal*100)
		}
		warnings = append(warnings, fmt.Sprintf(
			"hypervisor steal took %s%% of CPU time during %s of %d; other virtual machines on the host disturbed the timings",
			span(lo, hi, "%.0f"), roundList(stolen), lastRound))
	}
	return warnings
}

func span(lo, hi float64, format string) string {
	if fmt.Sprintf(format, lo) == fmt.Sprintf(format, hi) {
		return fmt.Sprintf(format, hi)
	}
	return fmt.Sprintf(format+"–"+format, lo, hi)
}

func roundList(rs []roundLoad) string {
	var b strings.Builder
	if len(rs) == 1 {
		b.WriteString("round ")
	} else {
		b.WriteString("rounds ")
	}
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(r.round))
	}
	return b.String()
}
