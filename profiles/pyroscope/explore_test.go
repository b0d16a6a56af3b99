package pyroscope

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/perfslo/perfslo/profiles/pyroscope/pyroscopetest"
)

func burn(d time.Duration) {
	end := time.Now().Add(d)
	b := []byte("x")
	for time.Now().Before(end) {
		s := sha256.Sum256(b)
		b = s[:]
	}
}

func TestExplore(t *testing.T) {
	sh := pyroscopetest.NewShared(pyroscopetest.Options{MultiTenant: true})
	defer sh.Close()
	srv := sh.Get(t)
	ctx := context.Background()
	stop, err := Start(ctx, Config{ServerAddress: srv.URL, TenantID: srv.Tenant, ApplicationName: "explore", Commit: "abc123", UploadRate: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	burn(4 * time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("stopped after", time.Since(t0))
	c, _ := NewClient(ClientConfig{Server: srv.URL, TenantID: srv.Tenant})
	now := time.Now()
	p, err := c.Profile(ctx, Query{Service: "explore", ProfileType: ProfileCPU, Selector: `{commit="abc123"}`, Start: now.Add(-time.Hour), End: now.Add(time.Minute)})
	fmt.Println("err", err)
	if p != nil {
		fmt.Println(p.SampleType[0], p.PeriodType, p.Period, p.DurationNanos, p.TimeNanos, len(p.Sample), len(p.Function))
		for _, f := range p.Function[:5] {
			fmt.Printf("%+v\n", *f)
		}
	}
	for _, q := range []Query{
		{Service: "explore", ProfileType: ProfileCPU, Selector: `{commit="zzz"}`, Start: now.Add(-time.Hour), End: now},
		{Service: "explore", ProfileType: ProfileCPU, Selector: `{commit=zzz}`, Start: now.Add(-time.Hour), End: now},
		{Service: "explore", ProfileType: ProfileCPU, Start: now.Add(-48 * time.Hour), End: now},
		{Service: "explore", ProfileType: ProfileAllocObjects, Start: now.Add(-time.Hour), End: now},
	} {
		p, err := c.Profile(ctx, q)
		fmt.Println("Q", q.Selector, "err:", err, p != nil)
		if p != nil {
			fmt.Println(p.SampleType, p.DurationNanos, len(p.Sample))
		}
	}
	c2, _ := NewClient(ClientConfig{Server: srv.URL})
	_, err = c2.Profile(ctx, Query{Service: "explore", ProfileType: ProfileCPU, Start: now.Add(-time.Hour), End: now})
	fmt.Println("notenant:", err)
	c3, _ := NewClient(ClientConfig{Server: "http://127.0.0.1:1"})
	t1 := time.Now()
	_, err = c3.Profile(ctx, Query{Service: "explore", ProfileType: ProfileCPU, Start: now.Add(-time.Hour), End: now})
	fmt.Println("down:", err, time.Since(t1))
}
