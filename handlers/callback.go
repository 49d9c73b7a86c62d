package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A button's callback data is its action's prefix, then the action's
// fields, joined by ":": "chr:mt:42:7" is the rota's "move turn 42 to
// resident 7". The prefix is what bot/routes.go routes on (a route's
// Callback), so each action has its own route row and its own handler;
// the fields are declared once, with the action, as a Go type.
//
// Data that does not decode — forged, garbled, or from a button drawn by
// an older version — is ErrStaleButton: the presser is told the button is
// too old, and nothing changes.

// CallbackAction is one kind of button of a feature: the encoder and
// decoder of its data. Declare one with newAction, as a package variable
// beside the feature's handlers.
type CallbackAction[T any] struct {
	// Prefix routes the button: a route's Callback in bot/routes.go.
	Prefix string
	encode func(T) []string
	decode func(fields []string) (T, bool)
}

// callbackCodec is an action seen without its type: the list of every
// action feeds the routes' check and the fuzz test.
type callbackCodec interface {
	prefix() string
	// roundTrip decodes data; when it decodes, encoding the value and
	// decoding it again must give the same data (an error says not).
	roundTrip(data string) (decoded bool, err error)
	seeds() []string
}

// callbackActions are every declared action, in declaration order.
var callbackActions []callbackCodec

// newAction declares an action. samples are values its tests and the fuzz
// test start from; every action has at least one.
func newAction[T any](prefix string, encode func(T) []string, decode func([]string) (T, bool), samples ...T) CallbackAction[T] {
	a := CallbackAction[T]{Prefix: prefix, encode: encode, decode: decode}
	for _, other := range callbackActions {
		if other.prefix() == prefix {
			panic("handlers: callback prefix declared twice: " + prefix)
		}
	}
	callbackActions = append(callbackActions, &codec[T]{a: a, samples: samples})
	return a
}

// Data is the callback data of a button for v. Data over Telegram's 64
// bytes, or a field holding the separator, is a programming mistake: it
// panics in tests, and the recover middleware turns it into an apology in
// production.
func (a CallbackAction[T]) Data(v T) string {
	fields := a.encode(v)
	for _, f := range fields {
		if strings.Contains(f, ":") {
			panic(fmt.Sprintf("callback field %q of %s holds ':'", f, a.Prefix))
		}
	}
	return cb(a.Prefix, fields...)
}

// Parse decodes a button's data; anything but this action's data is
// ErrStaleButton.
func (a CallbackAction[T]) Parse(data string) (T, error) {
	var zero T
	rest, ok := strings.CutPrefix(data, a.Prefix)
	if !ok || len(data) > maxCallbackData {
		return zero, ErrStaleButton
	}
	var fields []string
	if rest != "" {
		rest, ok = strings.CutPrefix(rest, ":")
		if !ok {
			return zero, ErrStaleButton
		}
		fields = strings.Split(rest, ":")
	}
	v, ok := a.decode(fields)
	if !ok {
		return zero, ErrStaleButton
	}
	return v, nil
}

// CallbackPrefixes are the prefixes of every declared action: each must
// have its route (bot checks).
func CallbackPrefixes() []string {
	out := make([]string, len(callbackActions))
	for i, a := range callbackActions {
		out[i] = a.prefix()
	}
	return out
}

type codec[T any] struct {
	a       CallbackAction[T]
	samples []T
}

func (c *codec[T]) prefix() string { return c.a.Prefix }

func (c *codec[T]) seeds() []string {
	out := make([]string, len(c.samples))
	for i, v := range c.samples {
		out[i] = c.a.Data(v)
	}
	return out
}

func (c *codec[T]) roundTrip(data string) (bool, error) {
	v, err := c.a.Parse(data)
	if err != nil {
		return false, nil
	}
	again := c.a.Data(v)
	w, err := c.a.Parse(again)
	if err != nil {
		return true, fmt.Errorf("%q decodes, but its encoding %q does not: %w", data, again, err)
	}
	if third := c.a.Data(w); third != again {
		return true, fmt.Errorf("%q: decode(encode(v)) is not v: %q, then %q", data, again, third)
	}
	return true, nil
}

// StaleButton is the route of a feature's prefix once its actions have
// their own routes: a button of that feature whose action is unknown —
// drawn by an older version, or forged — is answered like any stale
// button, after the same role check.
func StaleButton(context.Context, *Request) error { return ErrStaleButton }

// Field codecs shared by the actions.

// idField reads a positive database id.
func idField(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && s == strconv.FormatInt(id, 10)
}

// dateField reads a calendar date written yyyymmdd (midnight UTC).
func dateField(s string) (time.Time, bool) {
	d, err := time.Parse(choreDateArg, s)
	return d, err == nil
}
