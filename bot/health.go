package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds each readiness check: a probe must answer quickly,
// and a database that takes longer than this is as good as down.
const readyTimeout = 2 * time.Second

// opsRoutes adds what operators and their tools read:
//   - /healthz: the process is alive (200) and which version it runs;
//   - /readyz: it can do its work — PostgreSQL, Redis and the job queue
//     answer, Telegram answered getMe at start, and it is not starting or
//     stopping; 503 names what is not ready;
//   - /metrics: Prometheus metrics (metrics.go).
//
// None of them says anything about a person.
func (a *App) opsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": BuildVersion()})
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, req *http.Request) {
		checks, ok := a.Readiness(req.Context())
		code, status := http.StatusOK, "ready"
		if !ok {
			code, status = http.StatusServiceUnavailable, "not ready"
		}
		writeJSON(w, code, map[string]any{"status": status, "version": BuildVersion(), "checks": checks})
	})
	mux.Handle("/metrics", promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{}))
}

// Readiness runs every check and says, for each, "ok" or why not.
func (a *App) Readiness(ctx context.Context) (map[string]string, bool) {
	checks := map[string]string{}
	ok := true
	check := func(name string, fn func(context.Context) error) {
		ctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			checks[name], ok = err.Error(), false
			return
		}
		checks[name] = "ok"
	}
	check("postgres", a.store.Ping)
	check("redis", func(ctx context.Context) error {
		if err := a.redis.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: ping: %w", err)
		}
		return nil
	})
	check("jobs", func(ctx context.Context) error {
		if !a.serving.Load() {
			return fmt.Errorf("job queue not running (starting or stopping)")
		}
		return a.store.JobQueueReady(ctx)
	})
	// New fails without getMe's answer: a running App reached Telegram at
	// start. Telegram's later outages are lived through (updates wait), so
	// they do not make the process unready.
	if a.botUsername != "" {
		checks["telegram"] = "ok (getMe at start)"
	} else {
		checks["telegram"], ok = "getMe did not succeed", false
	}
	return checks, ok
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
