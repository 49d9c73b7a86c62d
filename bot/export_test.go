package bot

import "net/http"

// HTTPAddr is where the app's webhook and health server listens ("" until
// it does), for tests that talk to the real server.
func (a *App) HTTPAddr() string {
	v, _ := a.httpAddr.Load().(string)
	return v
}

// OpsHandler serves /healthz, /readyz and /metrics as the app's server
// does, for tests of an app that is not running.
func (a *App) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	a.opsRoutes(mux)
	return mux
}

// OnUpdateCost tells f what each update handled with these metrics cost
// in round trips. Set it before the metrics are handed to New.
func (m *Metrics) OnUpdateCost(f func(UpdateCost)) { m.onUpdateCost = f }

// MenuCalls is the bound on the setMyCommands calls in flight at once.

// CentreBotsReload is how often a running process reads centre_bots again.
const CentreBotsReload = centreBotsReload
