// Package jsonenc encodes and decodes a batch of orders as JSON with
// encoding/json, the way an HTTP handler answers a listing request.
//
// Its benchmarks exist to show what reflection-based encoding costs per
// record on a realistic shape: nested slices, a time.Time (which marshals
// through its own MarshalJSON) and optional fields.
package jsonenc

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/perfslo/perfslo/examples/internal/inject"
)

// Order is one customer order as an API returns it.
type Order struct {
	ID       int64      `json:"id"`
	Customer string     `json:"customer"`
	Created  time.Time  `json:"created"`
	Status   string     `json:"status"`
	Items    []LineItem `json:"items"`
	Total    float64    `json:"total"`
	Note     string     `json:"note,omitempty"`
	Tags     []string   `json:"tags,omitempty"`
}

// LineItem is one product line of an Order.
type LineItem struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
}

// knob lets the evaluation harness inject a regression into Encode.
var knob = inject.NewSite("jsonenc")

// Encode writes orders to w as one JSON array followed by a newline.
func Encode(w io.Writer, orders []Order) error {
	if knob.Enabled() {
		op := knob.Begin()
		err := encode(w, orders)
		op.End()
		return err
	}
	return encode(w, orders)
}

// encode is Encode without the regression knob.
func encode(w io.Writer, orders []Order) error {
	return json.NewEncoder(w).Encode(orders)
}

// Decode reads one JSON array of orders from data.
func Decode(data []byte) ([]Order, error) {
	var orders []Order
	if err := json.Unmarshal(data, &orders); err != nil {
		return nil, fmt.Errorf("decoding orders: %w", err)
	}
	return orders, nil
}

// Orders returns the benchmark dataset: n orders with 1–5 line items each,
// every third with a note and tags, all drawn from a PCG generator seeded
// with seed, so equal arguments give equal orders.
func Orders(n int, seed uint64) []Order {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	statuses := []string{"pending", "paid", "shipped", "delivered", "cancelled"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	orders := make([]Order, n)
	for i := range orders {
		o := &orders[i]
		o.ID = 100000 + int64(i)
		o.Customer = fmt.Sprintf("customer-%05d@example.com", rng.IntN(50000))
		o.Created = base.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
		o.Status = statuses[rng.IntN(len(statuses))]
		o.Items = make([]LineItem, 1+rng.IntN(5))
		for j := range o.Items {
			it := &o.Items[j]
			it.SKU = fmt.Sprintf("SKU-%06d", rng.IntN(1000000))
			it.Quantity = 1 + rng.IntN(9)
			it.Price = float64(rng.IntN(100000)) / 100
			o.Total += float64(it.Quantity) * it.Price
		}
		if i%3 == 0 {
			o.Note = "leave at the back door, please"
			o.Tags = []string{"gift", "express"}
		}
	}
	return orders
}
