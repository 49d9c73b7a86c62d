package handlers

import (
	"errors"

	"github.com/aurore/cairbot/store"
)

// errorMessages is the one table from a domain error to the message the
// user reads. A handler returns the error as it comes (wrapped or not) and
// the errors middleware (bot/pipeline.go) answers with the message of the
// first entry it matches; an error in no entry is a bug or an outage and
// gets the apology with a reference instead.
//
// A handler keeps its own errors.Is check only where it does something
// more than choose a message (clear a conversation, show the latest state,
// ask again), or where the message depends on the context: store.ErrNotFound
// means "this button is no longer valid" on one screen and "this person has
// left" on another, so it has no entry here. A message needing variables is
// given with Fail in the handler.
//
// Order matters only for an error matching two entries; none does today.
var errorMessages = []struct {
	err   error
	msgID string
}{
	// Buttons and roles.
	{ErrStaleButton, "error.stale_button"},
	{ErrForbidden, "error.forbidden"}, // a *RoleRefusal names the role: see RefusalText
	{store.ErrConflict, "error.busy"},

	// Sign-up.
	{store.ErrInviteUsed, "start.code_invalid"},
	{store.ErrInviteExpired, "start.code_expired"},
	{store.ErrAlreadyLinked, "start.already_linked"},

	// Amounts typed by staff.
	{ErrAmountZero, "balance.amount_zero"},
	{ErrAmountNegative, "balance.amount_negative"},

	// Chores: a turn or swap changed since the button was sent.
	{store.ErrChoreStale, "error.stale_button"},
	{store.ErrSwapOpen, "chores.swap.already_open"},

	// Classes and attendance.
	{store.ErrNoDraft, "attendance.closed"},
	{store.ErrPrescribedHours, "error.stale_button"}, // only ever from a forged button

	// Announcements.
	{store.ErrNoRecipients, "announce.no_recipients"},
	{store.ErrAudienceUnavailable, "error.stale_button"},
	{store.ErrAlreadySent, "error.stale_button"},

	// Interview dates typed by staff.
	{ErrInterviewTimePast, "interview.date_past"},
	{ErrInterviewTimeFar, "interview.date_far"},
	{ErrInterviewTimeUnreadable, "interview.date_bad"},
}

// MessageOf returns the id of the message that explains err to the user,
// and false when err is not a known domain error.
func MessageOf(err error) (msgID string, ok bool) {
	for _, e := range errorMessages {
		if errors.Is(err, e.err) {
			return e.msgID, true
		}
	}
	return "", false
}
