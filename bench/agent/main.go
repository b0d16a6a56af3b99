// Command agent measures the Pyroscope agent's overhead on a busy service:
// the demo service (examples/cmd/demo-service) serves the same bounded load
// with the agent off and on, in alternating rounds, and the command reports
// the service process's CPU time (user+system, from rusage) and peak RSS
// with the agent as a ratio to without.
//
// The agent uploads to a real Pyroscope server on loopback (built and cached
// by .ci/pyroscope-server.sh, or $PERFSLO_PYROSCOPE_BIN), so the cost of
// encoding and sending profiles is in the numbers, not only sampling.
//
//	go run ./bench/agent -rounds 3 -requests 10000
//
// Reference: CPU ratio 1.00 and RSS ratio 1.00 would be a free agent; the
// continuous-profiling folklore says "a few percent CPU".
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/perfslo/perfslo/profiles/pyroscope/pyroscopetest"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench/agent: ")
	rounds := flag.Int("rounds", 3, "rounds of (off, on) runs, order alternating")
	requests := flag.Int("requests", 10000, "requests per run")
	concurrency := flag.Int("concurrency", 2, "concurrent clients of the load generator")
	uploadRate := flag.Duration("upload-rate", 10*time.Second, "agent upload interval")
	flag.Parse()

	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "bench-agent-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	demo := filepath.Join(dir, "demo-service")
	build := exec.Command("go", "build", "-o", demo, ".")
	build.Dir = filepath.Join(root, "examples", "cmd", "demo-service")
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("building the demo service: %v\n%s", err, out)
	}

	ctx := context.Background()
	bin, err := pyroscopetest.Binary(ctx)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := pyroscopetest.Start(ctx, bin, pyroscopetest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()

	var cpu, rss [2][]float64 // [off, on]
	for r := range *rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, on := range order {
			c, m, err := runOnce(demo, srv.URL, on == 1, *requests, *concurrency, *uploadRate)
			if err != nil {
				log.Fatal(err)
			}
			cpu[on] = append(cpu[on], c.Seconds())
			rss[on] = append(rss[on], m)
			fmt.Fprintf(os.Stderr, "round %d agent=%v: CPU %.2fs, max RSS %.1f MiB\n", r+1, on == 1, c.Seconds(), m/1024)
		}
	}
	co, cn, ro, rn := median(cpu[0]), median(cpu[1]), median(rss[0]), median(rss[1])
	fmt.Printf("demo-service, %d requests × %d rounds, concurrency %d, agent upload every %v (medians):\n", *requests, *rounds, *concurrency, *uploadRate)
	fmt.Printf("  CPU (user+sys): without %.2fs, with %.2fs → ratio %.3f\n", co, cn, cn/co)
	fmt.Printf("  max RSS:        without %.1f MiB, with %.1f MiB → ratio %.3f\n", ro/1024, rn/1024, rn/ro)
}

// runOnce serves requests with the agent on or off and returns the service
// process's CPU time and peak RSS (KiB).
func runOnce(demo, server string, agent bool, requests, concurrency int, uploadRate time.Duration) (time.Duration, float64, error) {
	mode := "off"
	if agent {
		mode = "on"
	}
	svc := exec.Command(demo, "-agent", mode, "-commit", "bench", "-upload-rate", uploadRate.String())
	svc.Env = append(os.Environ(), "PYROSCOPE_SERVER_ADDRESS="+server)
	out, err := svc.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	svc.Stderr = os.Stderr
	if err := svc.Start(); err != nil {
		return 0, 0, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening on ") {
		svc.Process.Kill()
		svc.Wait()
		return 0, 0, fmt.Errorf("demo-service did not start: %q %v", line, err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	load := exec.Command(demo, "-load", url, "-requests", fmt.Sprint(requests), "-concurrency", fmt.Sprint(concurrency))
	load.Stderr = os.Stderr
	lout, lerr := load.Output()
	_ = svc.Process.Signal(syscall.SIGTERM)
	werr := svc.Wait()
	if lerr != nil {
		return 0, 0, fmt.Errorf("load: %v\n%s", lerr, lout)
	}
	if werr != nil {
		return 0, 0, fmt.Errorf("demo-service: %v", werr)
	}
	ru, ok := svc.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, fmt.Errorf("no rusage on this platform")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, float64(ru.Maxrss), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// moduleRoot finds the perfslo module above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/perfslo/perfslo\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the perfslo module")
		}
		dir = parent
	}
}
