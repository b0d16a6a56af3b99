package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfslo/perfslo/examples/digest"
	"github.com/perfslo/perfslo/examples/jsonenc"
	"github.com/perfslo/perfslo/examples/mapbuild"
	"github.com/perfslo/perfslo/examples/strbuild"
	"github.com/perfslo/perfslo/examples/sum"
	"github.com/perfslo/perfslo/examples/wordfreq"
)

// datasets are built once at start, from the same generators the
// benchmarks use, so a request costs what the benchmarked operation costs.
type datasets struct {
	numbers []byte // sum: 8-digit integers, one per line
	orders  []jsonenc.Order
	keys    []string
	words   []string
	text    string
	block   []byte
}

func newDatasets() (*datasets, error) {
	dir, err := os.MkdirTemp("", "demo-service-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "numbers.txt")
	if _, err := sum.WriteFile(path, 10000, 1); err != nil {
		return nil, err
	}
	numbers, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := wordfreq.Text(5000, 1)
	return &datasets{
		numbers: numbers,
		orders:  jsonenc.Orders(50, 1),
		keys:    mapbuild.Keys(2000, 1),
		words:   strings.Fields(text)[:1000],
		text:    text,
		block:   digest.Block(1),
	}, nil
}

// routes are the service's endpoints; the load generator draws from them
// with these weights.
var routes = []struct {
	path   string
	weight int
}{
	{"/sum", 3},
	{"/orders", 3},
	{"/index", 2},
	{"/greet", 2},
	{"/words", 2},
	{"/digest", 2},
	{"/report", 2},
}

func newHandler(reportSize int) http.Handler {
	d, err := newDatasets()
	if err != nil {
		// Without its data the service cannot serve anything.
		panic(fmt.Sprintf("building datasets: %v", err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sum", func(w http.ResponseWriter, r *http.Request) {
		n, err := sum.Sum(bytes.NewReader(d.numbers))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, n)
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := jsonenc.Encode(w, d.orders); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /index", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, len(mapbuild.Index(d.keys)))
	})
	mux.HandleFunc("GET /greet", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, len(strbuild.Builder(d.words)))
	})
	mux.HandleFunc("GET /words", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(wordfreq.TopWords(d.text, 10))
	})
	mux.HandleFunc("GET /digest", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, digest.Sum(d.block))
	})
	mux.HandleFunc("GET /report", func(w http.ResponseWriter, r *http.Request) {
		seed, _ := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 64)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, latencyReport(reportSize, seed))
	})
	return mux
}
