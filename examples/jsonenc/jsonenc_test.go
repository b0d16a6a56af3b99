package jsonenc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEncode(t *testing.T) {
	o := Order{
		ID: 7, Customer: "a@b.c", Status: "paid", Total: 2.5,
		Created: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Items:   []LineItem{{SKU: "X", Quantity: 2, Price: 1.25}},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, []Order{o}); err != nil {
		t.Fatal(err)
	}
	want := `[{"id":7,"customer":"a@b.c","created":"2026-03-04T05:06:07Z","status":"paid","items":[{"sku":"X","quantity":2,"price":1.25}],"total":2.5}]` + "\n"
	if got := buf.String(); got != want {
		t.Fatalf("Encode =\n%s\nwant\n%s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	orders := Orders(50, 1)
	if !reflect.DeepEqual(orders, Orders(50, 1)) {
		t.Fatal("Orders is not deterministic for a fixed seed")
	}
	var buf bytes.Buffer
	if err := Encode(&buf, orders); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, orders) {
		t.Fatal("Decode(Encode(orders)) differs from orders")
	}
}

func TestDecodeError(t *testing.T) {
	_, err := Decode([]byte(`[{"id":"seven"}]`))
	if err == nil || !strings.Contains(err.Error(), "decoding orders") || !strings.Contains(err.Error(), "Order.id") {
		t.Fatalf("Decode error = %v, want one naming the field", err)
	}
}

// dataset is the benchmarks' input: 100 orders, seed 1 (about 20 KB of JSON).
// Building it also fills encoding/json's per-type caches, whose one-time
// allocations would otherwise be spread over b.N and make B/op depend on
// how many iterations a run happened to take.
func dataset(tb testing.TB) ([]Order, []byte) {
	orders := Orders(100, 1)
	data, err := json.Marshal(orders)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := Decode(data); err != nil {
		tb.Fatal(err)
	}
	return orders, data
}

// BenchmarkEncode measures Encode of 100 orders into a reused buffer.
func BenchmarkEncode(b *testing.B) {
	orders, _ := dataset(b)
	var buf bytes.Buffer
	if err := Encode(&buf, orders); err != nil { // grow buf outside the measurement
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, orders); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode measures Decode of the same 100 orders.
func BenchmarkDecode(b *testing.B) {
	_, data := dataset(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
