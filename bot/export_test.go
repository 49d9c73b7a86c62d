package bot

// HTTPAddr is where the app's webhook and health server listens ("" until
// it does), for tests that talk to the real server.
func (a *App) HTTPAddr() string {
	v, _ := a.httpAddr.Load().(string)
	return v
}
