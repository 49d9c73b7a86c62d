package handlers

import (
	"testing"

	"github.com/aurore/cairbot/store"
)

// TestMessageIDsOfData pins each value from data to its message id,
// written out here.
func TestMessageIDsOfData(t *testing.T) {
	cases := []struct {
		fn   func(string) string
		in   string
		want string
	}{
		{func(s string) string { return roleMessage(store.Role(s)) }, "coordinator", "role.coordinator"},
		{func(s string) string { return roleMessage(store.Role(s)) }, "resident", "role.resident"},
		{choreLineMessage, "missed", "chores.line.missed"},
		{choreLineMessage, "done", "chores.line.done"},
		{rotaLineMessage, "pending", "chores.rota.line.pending"},
		{apptKindMessage, "siao", "appointments.kind.siao"},
		{apptKindMessage, "committee", "appointments.kind.committee"},
		{apptDocMessage, "rib", "appointments.doc.rib"},
		{apptAnswerMessage, "help", "appointments.answer_help"},
		{apptAnsweredMessage, "no", "appointments.answered_no"},
		{apptStatusMessage, "", "appointments.status.none"},
		{apptStatusMessage, "yes", "appointments.status.yes"},
		{timetableDoneMessage, "restored", "timetable.done_restored"},
		{residentAskDateMessage, "leave", "residents.ask_date_leave"},
		{residentConfirmMessage, "away", "residents.confirm_away"},
		{announceAskMessage, "from", "announce.ask_from"},
		{store.ClassNoticeMessage, "moved", "classes.moved_notice"},
		{store.EnrolNoticeMessage, "hours", "enrol.notice_hours"},
		// An unknown value (a bug) shows as itself, never blank.
		{apptKindMessage, "rocket", "rocket"},
	}
	for _, c := range cases {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("%q → %q, want %q", c.in, got, c.want)
		}
	}
	for _, tpl := range announceTemplates {
		if tpl.Name != "announce.name."+tpl.ID || tpl.Text != "announce.tpl."+tpl.ID {
			t.Errorf("template %s: messages %q, %q", tpl.ID, tpl.Name, tpl.Text)
		}
	}
	for _, id := range announcePlaces {
		if announcePlaceMessages[id] != "announce.place."+id {
			t.Errorf("place %s: message %q", id, announcePlaceMessages[id])
		}
	}
}
