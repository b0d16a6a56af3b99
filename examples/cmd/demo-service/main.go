// Command demo-service is a small HTTP service for perfslo's staging side:
// it serves requests with the same functions the example benchmarks measure
// (sum, jsonenc, mapbuild, strbuild, wordfreq, digest), runs perfslo's
// Pyroscope agent when a server is configured, and can drive a bounded load
// against itself (another process) on loopback, so a test gets a realistic
// staging profile in seconds.
//
// One route, /report, runs latencyReport, a CPU-heavy function that no
// benchmark exercises, on purpose: `perfslo staging coverage` must name it
// as hot and unbenchmarked.
//
// Serve (prints "listening on http://ADDR" first, stops on SIGTERM/SIGINT,
// uploading the last profiles before it exits):
//
//	PYROSCOPE_SERVER_ADDRESS=http://127.0.0.1:4040 demo-service -listen 127.0.0.1:8080 -commit abc123
//
// Load (bounded by -duration and/or -requests):
//
//	demo-service -load http://127.0.0.1:8080 -duration 20s -concurrency 2 -rate 300
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/perfslo/perfslo/profiles/pyroscope/agent"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("demo-service: ")
	var (
		listen      = flag.String("listen", "127.0.0.1:0", "serve on `addr` (loopback by default)")
		agentFlag   = flag.String("agent", "auto", "Pyroscope agent: on, off, or auto (on when "+agent.EnvServerAddress+" is set)")
		commit      = flag.String("commit", "", "commit tag of the profiles (default: the binary's vcs.revision)")
		version     = flag.String("version", "", "service_version tag of the profiles (default: the module version)")
		env         = flag.String("env", "", "env tag of the profiles (default: $"+agent.EnvEnvironment+")")
		uploadRate  = flag.Duration("upload-rate", 15*time.Second, "how often the agent uploads profiles")
		load        = flag.String("load", "", "instead of serving, send load to the service at `URL`")
		duration    = flag.Duration("duration", 0, "with -load: how long to send load (0: until -requests are sent)")
		requests    = flag.Int("requests", 0, "with -load: stop after this many requests (0: until -duration)")
		concurrency = flag.Int("concurrency", 1, "with -load: concurrent clients")
		rate        = flag.Float64("rate", 0, "with -load: requests per second in total (0: as fast as possible)")
		reportSize  = flag.Int("report-size", 20000, "latencies per /report: a bigger size stands for a commit that made the report slower")
	)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *load != "" {
		if *duration <= 0 && *requests <= 0 {
			log.Fatal("-load needs a bound: -duration or -requests")
		}
		st, err := runLoad(ctx, loadConfig{
			target: *load, duration: *duration, requests: *requests,
			concurrency: *concurrency, rate: *rate,
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(st)
		return
	}

	if *reportSize < 2 {
		log.Fatal("-report-size must be at least 2")
	}
	if err := serve(ctx, *listen, *agentFlag, *reportSize, agent.Config{
		ApplicationName: "demo-service",
		Commit:          *commit,
		Version:         *version,
		Env:             *env,
		UploadRate:      *uploadRate,
	}); err != nil {
		log.Fatal(err)
	}
}

func serve(ctx context.Context, listen, agentMode string, reportSize int, cfg agent.Config) error {
	useAgent := agentMode == "on" || (agentMode == "auto" && os.Getenv(agent.EnvServerAddress) != "")
	if agentMode != "on" && agentMode != "off" && agentMode != "auto" {
		return fmt.Errorf("-agent %q: want on, off or auto", agentMode)
	}
	if useAgent {
		stopAgent, err := agent.Start(ctx, cfg)
		if err != nil {
			return err
		}
		defer func() {
			if err := stopAgent(); err != nil {
				log.Printf("stopping the agent: %v", err)
			}
		}()
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newHandler(reportSize), ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	os.Stdout.Sync()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
