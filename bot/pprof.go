package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Profiling (PPROF_ADDR): net/http/pprof on an address of its own, off
// unless set. Profiles show the code's inside and cost CPU while taken, so
// the address must be the machine's own (loopback): whoever may log in to
// the server — the admin — may profile, nobody else. Reached from another
// machine through an SSH tunnel, never through the webhook's listener.

// errPprofNotLoopback is why a PPROF_ADDR is refused.
var errPprofNotLoopback = errors.New("must be a loopback address such as 127.0.0.1:6060 (profiles are for the admin on the machine itself)")

// checkPprofAddr accepts host:port where host is localhost or a loopback IP.
func checkPprofAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return fmt.Errorf("PPROF_ADDR: %q is not host:port: %w", addr, errPprofNotLoopback)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("PPROF_ADDR: %q %w", addr, errPprofNotLoopback)
}

// pprofHandler serves the profiles under /debug/pprof/, as `go tool pprof
// http://127.0.0.1:6060/debug/pprof/profile` expects.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startPprof serves the profiles on PPROF_ADDR when it is set; the
// returned func stops it. A failure to listen is logged, not fatal: the
// bot works without its profiles.
func (a *App) startPprof() (stop func()) {
	if a.cfg.PprofAddr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", a.cfg.PprofAddr)
	if err != nil {
		a.log.Error("pprof server", "addr", a.cfg.PprofAddr, "err", err)
		return func() {}
	}
	// No write timeout: a CPU profile or trace streams for as long as
	// asked (30 s by default).
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.log.Info("pprof profiles served", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	}
}
