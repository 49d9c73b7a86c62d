package handlers

import (
	"context"
	"errors"
	"fmt"

	tgbot "github.com/go-telegram/bot"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/store"
)

// ErrUnreachable is what the Sender returns when Telegram answers 403; the
// bot package sets it so handlers need not import the transport.
var ErrUnreachable = errors.New("handlers: recipient unreachable")

// NotifyArgs is a durable job: one message to one person, rendered in his
// language when it is sent (not when it is queued), so a language change in
// between is honoured. Vars are the message's template variables.
type NotifyArgs struct {
	CentreID int64             `json:"centre_id"`
	PersonID int64             `json:"person_id"`
	MsgID    string            `json:"msg_id"`
	Vars     map[string]string `json:"vars,omitempty"`
}

// Kind names the job in River's table.
func (NotifyArgs) Kind() string { return "notify" }

// PersonLookup finds a person of a centre.
type PersonLookup interface {
	PersonByID(ctx context.Context, centreID, id int64) (store.Person, error)
}

// NotifyWorker sends NotifyArgs jobs.
type NotifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	h *Handlers
}

// Work sends the message. A person who left, never signed up, or blocked the
// bot is skipped: retrying cannot reach him. Other failures are retried by
// River with backoff.
func (w *NotifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	a := job.Args
	p, ok, err := w.h.recipient(ctx, a.CentreID, a.PersonID)
	if !ok {
		return err
	}
	loc := w.h.Catalog.Localizer(p.Language)
	kv := make([]any, 0, 2*len(a.Vars))
	for k, v := range a.Vars {
		kv = append(kv, k, v)
	}
	_, err = w.h.Send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: *p.TelegramID, Text: loc.T(a.MsgID, kv...)})
	if errors.Is(err, ErrUnreachable) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("handlers: notify: %w", err)
	}
	return nil
}

// recipient finds the person a job writes to. ok is false, with a nil
// error, when he cannot be written to — gone from the centre's records,
// never signed up, or left — since retrying would not reach him either;
// a failure to look him up is returned for River to retry.
func (h *Handlers) recipient(ctx context.Context, centreID, personID int64) (store.Person, bool, error) {
	p, err := h.Lookup.PersonByID(ctx, centreID, personID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, false, nil
	}
	if err != nil {
		return store.Person{}, false, err
	}
	if p.TelegramID == nil || p.Status == store.StatusLeft {
		return store.Person{}, false, nil
	}
	return p, true, nil
}
