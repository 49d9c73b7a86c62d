package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// TestMyWeekJoinsChoresClassesAndAppointments: a Dari reader sees his
// cleaning turns, French classes and housing appointment of the next seven
// days in time order, and the class that overlaps a cleaning turn is
// flagged on both lines.
func TestMyWeekJoinsChoresClassesAndAppointments(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	u := telegramtest.User{ID: 18001, LanguageCode: "fa"}
	ahmad, n := h.signUp(u, store.RoleResident, "Ahmad K.", "fa-AF")
	clsExternalID(h, ahmad, "R-1")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\n", ahmad.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	n++ // the Monday message
	h.waitText(u, n)
	clsImport(h, `group,G1,,A1,A1 soir,,,,,,,
session,S1,G1,,,lundi,17:00,19:00,Salle 1,Marie,,
enrolment,,G1,,,,,,,,R-1,200
`)
	coord, _ := h.addPerson(store.RoleCoordinator, "Marie D.", "", "fr")
	at := choreDay(mon, 2, 14, 0) // Wednesday
	apptCreate(t, h, ahmad, coord, "siao", at, "SIAO 75, 5 rue Gît-le-Cœur")

	h.tg.SendText(u, h.loc("fa-AF").T("menu.myweek"))
	got := h.waitText(u, n+1).Text
	fa := h.loc("fa-AF")
	turns := choreTurnIDs(h, ahmad.ID)
	var lines []string
	class := clsOcc(h, "S1", mon)
	classLine := fa.T("classes.line", "Day", fa.F.Date(class.Start), "Start", fa.F.Time(class.Start),
		"End", fa.F.Time(class.End), "Group", "A1 soir", "Room", "1", "Teacher", "Marie")
	lines = append(lines, "⚠️ "+classLine)
	for i, id := range turns {
		turn := choreTurn(h, id)
		if !turn.StartsAt.Before(choreDay(mon, 7, 8, 0)) {
			break
		}
		line := fa.T("chores.line.pending", choreVars(fa, turn)...)
		if i == 0 {
			line = "⚠️ " + line // Monday 18:00–20:00 overlaps the 17:00–19:00 class
		}
		if turn.StartsAt.After(at) && !strings.Contains(strings.Join(lines, "\n"), "📅") {
			lines = append(lines, fa.T("myweek.appointment", "Day", fa.F.Date(at), "Start", fa.F.Time(at),
				"Kind", fa.T("appointments.kind.siao"), "Place", "SIAO 75, 5 rue Gît-le-Cœur"))
		}
		lines = append(lines, line)
	}
	want := fa.T("myweek.title") + "\n\n" + strings.Join(lines, "\n") + "\n\n" + fa.T("myweek.clash")
	if got != want {
		t.Fatalf("my week =\n%s\nwant\n%s", got, want)
	}
	if len(lines) != 5 {
		t.Fatalf("want class, 3 turns and the appointment, got %d lines", len(lines))
	}

	other := telegramtest.User{ID: 18002, LanguageCode: "fr"}
	_, m := h.signUp(other, store.RoleResident, "Jean B.", "fr")
	h.tg.SendText(other, "/week")
	if got := h.waitText(other, m+1).Text; got != h.loc("fr").T("myweek.title")+"\n\n"+h.loc("fr").T("myweek.empty") {
		t.Fatalf("empty week = %q", got)
	}
}
