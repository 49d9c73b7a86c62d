package bot

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/store"
)

// maxUpdateBody bounds a webhook request: Telegram's updates are a few KB;
// anything much larger is not Telegram.
const maxUpdateBody = 1 << 20

const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// updateBodies are the buffers webhook requests are read into.
var updateBodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WebhookHandler takes updates from Telegram in webhook mode. Unlike
// go-telegram/bot's own handler it checks the secret in constant time (401
// on mismatch), bounds the body (413), rejects a broken body (400), and
// answers 200 only once the update is handled — so Telegram keeps one chat's
// updates in order and re-delivers what failed. Failures that a retry can
// cure (Telegram, the database or Redis down; the update held by another
// process) get 503; a bug or bad input gets an apology to the user and 200,
// since a re-delivery would only fail again.
//
// The path picks the centre: WEBHOOK_URL's for the default centre,
// WEBHOOK_URL/<slug> for a centre with a bot of its own (centres.go), each
// with its bot's own secret; an unknown path is 404, changing nothing.
func (a *App) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			httpError(w, http.StatusMethodNotAllowed, "POST only")
			return
		}
		b, err := a.webhookBot(req)
		if errors.Is(err, store.ErrNotFound) {
			httpError(w, http.StatusNotFound, "no such bot")
			return
		}
		if err != nil {
			a.log.Warn("webhook bot lookup", "err", err)
			w.Header().Set("Retry-After", "5")
			httpError(w, http.StatusServiceUnavailable, "temporary failure")
			return
		}
		secret := []byte(b.webhookSecret.Reveal())
		got := []byte(req.Header.Get(secretHeader))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			httpError(w, http.StatusUnauthorized, "wrong secret token")
			return
		}
		buf := updateBodies.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(http.MaxBytesReader(w, req.Body, maxUpdateBody))
		body := buf.Bytes()
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				httpError(w, http.StatusRequestEntityTooLarge, "update too large")
				return
			}
			httpError(w, http.StatusBadRequest, "unreadable body")
			return
		}
		// The server's read timeout was for the request; lift it for the
		// handling, which may take until Telegram stops waiting (the write
		// timeout): left in place, it would cancel the request's context
		// midway. An http.ResponseWriter without deadlines has nothing to
		// lift.
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		var upd models.Update
		err = json.Unmarshal(body, &upd)
		// The update holds copies of what it read: the buffer serves the
		// next request (a usual update is 1–4 KB; a rare large one is
		// left to the collector rather than kept).
		if buf.Cap() <= 64<<10 {
			updateBodies.Put(buf)
		}
		if err != nil || upd.ID <= 0 {
			httpError(w, http.StatusBadRequest, "not a Telegram update")
			return
		}
		if err := a.dispatcher.Do(withBot(req.Context(), b), &upd); err != nil {
			a.log.Warn("webhook update not handled, Telegram will retry", "update_id", upd.ID, "err", err)
			w.Header().Set("Retry-After", "5")
			httpError(w, http.StatusServiceUnavailable, "temporary failure")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]any{"ok": false, "error": msg})
	_, _ = w.Write(b)
}

// webhookBot is the bot whose webhook path the request came to, or
// ErrNotFound.
func (a *App) webhookBot(req *http.Request) (*centreBot, error) {
	u, err := url.Parse(a.cfg.WebhookURL)
	if err != nil {
		return nil, store.ErrNotFound
	}
	if req.URL.Path == u.Path {
		return a.bots.def, nil
	}
	slug, ok := strings.CutPrefix(req.URL.Path, strings.TrimRight(u.Path, "/")+"/")
	if !ok || slug == a.bots.def.centre.Slug {
		return nil, store.ErrNotFound
	}
	return a.bots.slug(req.Context(), slug)
}
