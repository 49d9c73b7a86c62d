package handlers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/aurore/cairbot/store"
)

// TestErrorMessages pins each domain error to its message, written out
// here rather than read back from the table, also when the store or a
// handler wrapped it.
func TestErrorMessages(t *testing.T) {
	cases := []struct {
		err  error
		want string // "" = not a known error: the apology with a reference
	}{
		{ErrStaleButton, "error.stale_button"},
		{ErrForbidden, "error.forbidden"},
		{Forbidden(store.RoleCoordinator, ""), "error.forbidden"},
		{store.ErrConflict, "error.busy"},
		{store.ErrInviteUsed, "start.code_invalid"},
		{store.ErrInviteExpired, "start.code_expired"},
		{store.ErrAlreadyLinked, "start.already_linked"},
		{ErrAmountZero, "balance.amount_zero"},
		{ErrAmountNegative, "balance.amount_negative"},
		{store.ErrChoreStale, "error.stale_button"},
		{store.ErrSwapOpen, "chores.swap.already_open"},
		{store.ErrNoDraft, "attendance.closed"},
		{store.ErrPrescribedHours, "error.stale_button"},
		{store.ErrNoRecipients, "announce.no_recipients"},
		{store.ErrAudienceUnavailable, "error.stale_button"},
		{store.ErrAlreadySent, "error.stale_button"},
		{ErrInterviewTimePast, "interview.date_past"},
		{ErrInterviewTimeFar, "interview.date_far"},
		{ErrInterviewTimeUnreadable, "interview.date_bad"},
		// Meaning depends on the screen: the handler decides.
		{store.ErrNotFound, ""},
		{ErrAmountTooLarge, ""}, // needs the maximum in the sentence
		{errors.New("boom"), ""},
	}
	pinned := map[error]bool{}
	for _, c := range cases {
		pinned[c.err] = true
	}
	for _, e := range errorMessages {
		if !pinned[e.err] {
			t.Errorf("%v is in errorMessages but not pinned here", e.err)
		}
	}
	for _, c := range cases {
		for _, err := range []error{c.err, fmt.Errorf("handlers: doing something: %w", c.err)} {
			t.Run(err.Error(), func(t *testing.T) {
				got, ok := MessageOf(err)
				if ok != (c.want != "") || got != c.want {
					t.Errorf("MessageOf(%v) = %q, %v; want %q", err, got, ok, c.want)
				}
			})
		}
	}
}

// TestErrorMessagesExistEverywhere reads every language file: a message id
// of the table missing in one language would show its raw id to a resident.
func TestErrorMessagesExistEverywhere(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "locales", "*.toml"))
	if err != nil || len(paths) < 12 {
		t.Fatalf("language files: %v, %v", paths, err)
	}
	seen := map[error]bool{}
	for _, e := range errorMessages {
		if seen[e.err] {
			t.Errorf("%v is in errorMessages twice", e.err)
		}
		seen[e.err] = true
	}
	for _, p := range paths {
		buf, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := toml.Unmarshal(buf, &msgs); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, e := range errorMessages {
			if _, ok := msgs[e.msgID]; !ok {
				t.Errorf("%s: no message %q (for %v)", filepath.Base(p), e.msgID, e.err)
			}
		}
	}
}
