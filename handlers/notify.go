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
