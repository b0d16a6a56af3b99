package profiles

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/perf/benchfmt"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// workload is the test binary of testdata/benchmod, built once per test
// process: real benchmarks whose real profiles the tests read.
var workload struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if workload.dir != "" {
		os.RemoveAll(workload.dir)
	}
	os.Exit(code)
}

func workloadBinary(t testing.TB) string {
	t.Helper()
	workload.once.Do(func() {
		workload.dir, workload.err = os.MkdirTemp("", "profiles-workload")
		if workload.err != nil {
			return
		}
		workload.bin = filepath.Join(workload.dir, "benchmod.test")
		cmd := exec.Command("go", "test", "-c", "-o", workload.bin, ".")
		cmd.Dir = filepath.Join("testdata", "benchmod")
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			workload.err = fmt.Errorf("building testdata/benchmod: %v\n%s", err, out)
		}
	})
	if workload.err != nil {
		t.Fatal(workload.err)
	}
	return workload.bin
}

// runWorkload runs one benchmark of the workload alone for iters iterations
// and returns the profile it wrote ("cpu" or "mem", the latter with every
// allocation recorded), with b.N read from the result line of that process.
func runWorkload(t testing.TB, bench string, iters int, waste bool, kind string) *Measured {
	t.Helper()
	bin := workloadBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, kind+".pb.gz")
	args := []string{"-test.run=^$", "-test.bench=^" + bench + "$", fmt.Sprintf("-test.benchtime=%dx", iters), "-test.cpu=1", "-test.benchmem"}
	if kind == "cpu" {
		args = append(args, "-test.cpuprofile="+file)
	} else {
		args = append(args, "-test.memprofile="+file, "-test.memprofilerate=1")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BENCHMOD_WASTE=0")
	if waste {
		cmd.Env = append(cmd.Env, "BENCHMOD_WASTE=1")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	res := resultOf(t, out)
	m, err := LoadMeasured(file, int64(res.Iters))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func resultOf(t testing.TB, out []byte) *benchfmt.Result {
	t.Helper()
	r := benchfmt.NewReader(bytes.NewReader(out), "output")
	for r.Scan() {
		if res, ok := r.Result().(*benchfmt.Result); ok {
			return res.Clone()
		}
	}
	t.Fatalf("no benchmark result in output:\n%s", out)
	return nil
}

// ownProfiles returns a real CPU profile and a real allocation profile of
// this test process, gzipped as runtime/pprof writes them: fuzz seeds and
// malformed-file fixtures that need no build. cpu is nil when CPU profiling
// is already on (go test -cpuprofile).
func ownProfiles(t testing.TB) (cpu, heap []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err == nil {
		deadline := time.Now().Add(60 * time.Millisecond)
		x := 0
		for time.Now().Before(deadline) {
			pprof.Do(context.Background(), pprof.Labels("phase", "spin"), func(context.Context) {
				for i := 0; i < 1000; i++ {
					x += len(fmt.Sprint(i))
				}
			})
		}
		pprof.StopCPUProfile()
		cpu = buf.Bytes()
	}
	var hb bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&hb, 0); err != nil {
		t.Fatal(err)
	}
	return cpu, hb.Bytes()
}

// fn builds a synthetic profile: each stack is leaf-first function names
// (one location per name), with one value per sample type.
type stack struct {
	frames []string
	values []int64
	labels map[string][]string
}

func synth(types []string, stacks ...stack) *profile.Profile {
	p := &profile.Profile{PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10000000}
	for _, t := range types {
		typ, unit, _ := strings.Cut(t, "/")
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: typ, Unit: unit})
	}
	fns := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	for _, s := range stacks {
		smp := &profile.Sample{Value: s.values, Label: s.labels}
		for _, name := range s.frames {
			l, ok := locs[name]
			if !ok {
				f := &profile.Function{ID: uint64(len(fns) + 1), Name: name, SystemName: name, Filename: "x.go"}
				fns[name] = f
				p.Function = append(p.Function, f)
				l = &profile.Location{ID: uint64(len(locs) + 1), Line: []profile.Line{{Function: f, Line: int64(len(locs) + 1)}}}
				locs[name] = l
				p.Location = append(p.Location, l)
			}
			smp.Location = append(smp.Location, l)
		}
		p.Sample = append(p.Sample, smp)
	}
	return p
}
