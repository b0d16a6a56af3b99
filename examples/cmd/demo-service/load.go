package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig bounds a load run: it stops at the first of duration and
// requests, or when the context is cancelled.
type loadConfig struct {
	target      string
	duration    time.Duration
	requests    int
	concurrency int
	rate        float64 // requests/s in total; 0 is unthrottled
}

type loadStats struct {
	sent, failed int64
	elapsed      time.Duration
}

func (s loadStats) String() string {
	return fmt.Sprintf("load: %d requests (%d failed) in %v, %.0f req/s",
		s.sent, s.failed, s.elapsed.Round(time.Millisecond), float64(s.sent)/s.elapsed.Seconds())
}

// runLoad sends requests drawn from routes by weight. With a rate, each
// client paces itself to rate/concurrency requests per second.
func runLoad(ctx context.Context, c loadConfig) (loadStats, error) {
	if c.concurrency < 1 {
		c.concurrency = 1
	}
	if c.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}
	var total int
	for _, r := range routes {
		total += r.weight
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency}}
	var sent, failed, budget atomic.Int64
	budget.Store(int64(c.requests))
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var tick *time.Ticker
			if c.rate > 0 {
				tick = time.NewTicker(time.Duration(float64(time.Second) * float64(c.concurrency) / c.rate))
				defer tick.Stop()
			}
			for ctx.Err() == nil {
				if c.requests > 0 && budget.Add(-1) < 0 {
					return
				}
				if tick != nil {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
				}
				path := pick(rng, total)
				if path == "/report" {
					path += fmt.Sprintf("?seed=%d", rng.Uint64()%64)
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.target+path, nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
						sent.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	st := loadStats{sent: sent.Load(), failed: failed.Load(), elapsed: time.Since(start)}
	if st.sent > 0 && st.failed == st.sent {
		return st, fmt.Errorf("every request to %s failed: is the service running?", c.target)
	}
	return st, nil
}

func pick(rng *rand.Rand, total int) string {
	n := rng.IntN(total)
	for _, r := range routes {
		if n < r.weight {
			return r.path
		}
		n -= r.weight
	}
	return routes[0].path
}
