// Package silentserver is a test helper: a TCP server on loopback that
// accepts connections, reads what is sent and never answers — a hung server
// or a black-holing firewall, the case every network client of perfslo must
// survive with a deadline.
package silentserver

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Start listens on 127.0.0.1 and returns the server's "http://host:port"
// and a channel that receives once per connection when the peer hangs up.
// Everything is closed when the test ends.
func Start(t testing.TB) (url string, closed <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(io.Discard, c) // read the request, say nothing, until the peer hangs up
				c.Close()
				select {
				case ch <- struct{}{}:
				default:
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), ch
}
