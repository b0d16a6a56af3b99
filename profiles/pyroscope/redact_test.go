package pyroscope

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestErrorsRedacted: a server (or a proxy in front of it) that echoes the
// credentials it was sent must not get them into perfslo's errors, which
// become warnings in reports and PR comments.
func TestErrorsRedacted(t *testing.T) {
	const user, password, query = "perfslo", "hunter22", "QuerySecret9"
	b64 := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A connect error, as Pyroscope writes one, quoting the request.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"code":"unauthenticated","message":"rejected ` + r.Header.Get("Authorization") +
			` (password ` + password + `); log in at https://sso.test/login?token=` + query + `"}`))
	}))
	defer srv.Close()
	for _, server := range []string{srv.URL, srv.URL + "/?api_key=" + query} {
		c, err := NewClient(ClientConfig{Server: server, BasicAuthUser: user, BasicAuthPassword: password, Timeout: 5 * time.Second, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		_, err = c.Profile(context.Background(), Query{Service: "api", ProfileType: ProfileCPU, Start: now.Add(-time.Hour), End: now})
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("error %v, want ErrUnauthorized", err)
		}
		for _, leak := range []string{password, b64, query} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error shows %q: %v", leak, err)
			}
		}
		if !strings.Contains(err.Error(), "token=***") {
			t.Errorf("the URL in the server's message lost more than its query: %v", err)
		}
		t.Log(err)
	}
}
