package handlers

import (
	"context"
	"errors"

	"github.com/aurore/cairbot/store"
)

// ErrUnreachable is what the Sender returns when Telegram answers 403; the
// bot package sets it so handlers need not import the transport.
var ErrUnreachable = errors.New("handlers: recipient unreachable")

// PersonLookup finds a person of a centre.
type PersonLookup interface {
	PersonByID(ctx context.Context, centreID, id int64) (store.Person, error)
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
