package bot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPprofAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"", true}, // off, the default
		{"127.0.0.1:6060", true},
		{"localhost:6060", true},
		{"[::1]:6060", true},
		{"127.0.0.2:6060", true},
		{":6060", false},
		{"0.0.0.0:6060", false},
		{"[::]:6060", false},
		{"10.0.0.5:6060", false},
		{"example.org:6060", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			cfg, err := FromEnv(func(k string) string {
				if k == "PPROF_ADDR" {
					return tt.addr
				}
				return ""
			})
			if tt.ok {
				if err != nil {
					t.Fatalf("PPROF_ADDR=%q refused: %v", tt.addr, err)
				}
				if cfg.PprofAddr != tt.addr {
					t.Fatalf("PprofAddr = %q, want %q", cfg.PprofAddr, tt.addr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "PPROF_ADDR") || !strings.Contains(err.Error(), "loopback") {
				t.Fatalf("PPROF_ADDR=%q: error %v, want one naming PPROF_ADDR and loopback", tt.addr, err)
			}
		})
	}
}

func TestPprofHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(pprofHandler())
	defer srv.Close()
	tests := []struct {
		path     string
		status   int
		contains string
	}{
		{"/debug/pprof/", http.StatusOK, "goroutine"},
		{"/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{"/debug/pprof/cmdline", http.StatusOK, ""},
		{"/metrics", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s = %d, body contains %q: %v; want %d", tt.path, resp.StatusCode, tt.contains, strings.Contains(string(body), tt.contains), tt.status)
		}
	}
}
