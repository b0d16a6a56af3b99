package pyroscope

import (
	"context"
	"time"

	"connectrpc.com/connect"
	querierv1 "github.com/grafana/pyroscope/api/gen/proto/go/querier/v1"
)

// Span estimates how much of q's window the service actually sent profiles
// for, so that a rate (allocations per second) divides by the time the data
// covers rather than by a window the service was partly down in.
//
// It asks for q's time series (SelectSeries) at a step of 1 s per hour of
// window, takes the n points with data, first to last, and returns
// n × (last − first)/(n − 1): n uploads at a regular interval cover n
// intervals. With fewer than two points it returns 0 (unknown).
func (c *Client) Span(ctx context.Context, q Query) (time.Duration, error) {
	sel, err := LabelSelector(q.Service, q.Selector)
	if err != nil {
		return 0, err
	}
	window := q.End.Sub(q.Start)
	step := (window / time.Hour).Seconds()
	if step < 1 {
		step = 1
	}
	var resp *connect.Response[querierv1.SelectSeriesResponse]
	err = c.retry(ctx, func(ctx context.Context) error {
		var err error
		resp, err = c.api.SelectSeries(ctx, connect.NewRequest(&querierv1.SelectSeriesRequest{
			ProfileTypeID: q.ProfileType,
			LabelSelector: sel,
			Start:         q.Start.UnixMilli(),
			End:           q.End.UnixMilli(),
			Step:          step,
		}))
		return err
	})
	if err != nil {
		return 0, c.explain(err, q)
	}
	seen := map[int64]bool{}
	var first, last int64
	for _, s := range resp.Msg.Series {
		for _, p := range s.Points {
			if p.Value == 0 || seen[p.Timestamp] {
				continue
			}
			if len(seen) == 0 || p.Timestamp < first {
				first = p.Timestamp
			}
			if len(seen) == 0 || p.Timestamp > last {
				last = p.Timestamp
			}
			seen[p.Timestamp] = true
		}
	}
	n := int64(len(seen))
	if n < 2 {
		return 0, nil
	}
	return time.Duration(n*(last-first)/(n-1)) * time.Millisecond, nil
}
