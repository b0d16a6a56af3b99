package pyroscope

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	querierv1 "github.com/grafana/pyroscope/api/gen/proto/go/querier/v1"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"

	"github.com/perfslo/perfslo/budgets"
	"github.com/perfslo/perfslo/gate"
)

// replay is an HTTP transport that answers every request with one fuzzed
// reply, so the query client's decoding runs on it without a network.
type replay struct {
	status int
	ctype  string
	body   []byte
}

func (r replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: r.status, Status: http.StatusText(r.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {r.ctype}},
		Body:          io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)), Request: req,
	}, nil
}

// pyroscopeSeeds are replies a real server sends: this process's CPU and
// allocation profiles as pprof protobuf (the wire form of
// SelectMergeProfile's google.v1.Profile), a label values list, a series,
// and the JSON error bodies of the connect protocol.
func pyroscopeSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	var cpu bytes.Buffer
	if err := pprof.StartCPUProfile(&cpu); err == nil {
		x := 0
		for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
			x += len(fmt.Sprint(x))
		}
		pprof.StopCPUProfile()
	}
	var heap bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&heap, 0); err != nil {
		f.Fatal(err)
	}
	for _, gz := range [][]byte{cpu.Bytes(), heap.Bytes()} {
		p, err := profile.ParseData(gz)
		if err != nil {
			continue
		}
		if len(p.Sample) > 8 {
			p.Sample = p.Sample[:8]
		}
		p = p.Compact()
		var raw bytes.Buffer
		if err := p.WriteUncompressed(&raw); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, raw.Bytes())
	}
	lv, err := (&typesv1.LabelValuesResponse{Names: []string{"demo-service", "api"}}).MarshalVT()
	if err != nil {
		f.Fatal(err)
	}
	series, err := (&querierv1.SelectSeriesResponse{Series: []*typesv1.Series{{Points: []*typesv1.Point{{Value: 1, Timestamp: 1000}, {Value: 2, Timestamp: 11000}, {Value: 0, Timestamp: 21000}}}}}).MarshalVT()
	if err != nil {
		f.Fatal(err)
	}
	return append(seeds, lv, series,
		[]byte(`{"code":"invalid_argument","message":"parse error at line 1, col 2: unexpected"}`),
		[]byte(`{"code":"unauthenticated","message":"{\"message\":\"no org id\"}"}`),
		[]byte("<html>404 page not found</html>"), nil)
}

var fuzzStaging = func() *budgets.Config {
	cfg, err := budgets.Parse("perfslo.yaml", []byte("version: 1\nstaging:\n  service: demo\n  budgets:\n    - function: fmt\\..*\n      cpu-share: 10%\n    - function: runtime\\.\n      allocs/s: 1000\n"))
	if err != nil {
		panic(err)
	}
	return cfg
}()

// FuzzResponse: no reply of a Pyroscope server (status, content type,
// body all fuzzed) makes the query client panic or hang; a profile it
// accepts goes through the staging check, coverage, comparison and PGO.
func FuzzResponse(f *testing.F) {
	for i, s := range pyroscopeSeeds(f) {
		f.Add(s, uint8(i))
	}
	statuses := []int{200, 200, 200, 400, 401, 404, 429, 500, 503}
	ctypes := []string{"application/proto", "application/json", "text/plain", ""}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		stop := time.AfterFunc(10*time.Second, func() { panic("one fuzz input ran for over 10s: a hang") }).Stop
		defer stop()
		rt := replay{status: statuses[int(mode)%len(statuses)], ctype: ctypes[int(mode>>4)%len(ctypes)], body: body}
		c, err := NewClient(ClientConfig{Server: "http://pyroscope.test", Retries: -1, Timeout: 2 * time.Second,
			BasicAuthUser: "u", BasicAuthPassword: "hunter2-secret", HTTPClient: &http.Client{Transport: rt}})
		if err != nil {
			t.Fatal(err)
		}
		end := time.Unix(1.7e9, 0)
		q := Query{Service: "demo", ProfileType: ProfileCPU, Start: end.Add(-time.Hour), End: end}
		ctx := context.Background()
		checkErr := func(err error) {
			if err != nil && strings.Contains(err.Error(), "hunter2-secret") {
				t.Fatalf("error shows the password: %v", err)
			}
		}
		_, err = c.LabelValues(ctx, "commit", "demo", q.Start, q.End)
		checkErr(err)
		_, err = c.Span(ctx, q)
		checkErr(err)
		p, err := c.Profile(ctx, q)
		checkErr(err)
		if err != nil {
			return
		}
		if len(p.Sample) == 0 {
			t.Fatal("Profile returned a profile without samples")
		}
		if r, err := Check(fuzzStaging, CheckInput{Service: "demo", Window: time.Hour, End: end, CPU: p, Allocs: p, AllocSeconds: 3600}); err == nil {
			if err := gate.WriteText(io.Discard, r); err != nil {
				t.Fatal(err)
			}
		}
		if cov, err := ComputeCoverage(p, []*profile.Profile{p}); err == nil {
			_ = cov.Summary(5)
			_ = cov.WriteText(io.Discard, 5, "demo", time.Hour, 1)
		}
		if cmp, err := Compare(p, p, 5); err == nil {
			_ = cmp.WriteText(io.Discard, "base", "head")
		}
		_, _ = PathShare(p, p)
		_, _ = writePGO(t.TempDir()+"/default.pgo", p)
	})
}
