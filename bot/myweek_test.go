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

	h.tg.SendText(u, "🗓️ هفتهٔ من")
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
				"Kind", "مصاحبهٔ ارزیابی SIAO", "Place", "SIAO 75, 5 rue Gît-le-Cœur"))
		}
		lines = append(lines, line)
	}
	want := "🗓️ ۷ روز آیندهٔ شما" + "\n\n" + strings.Join(lines, "\n") + "\n\n" + "⚠️ دو کار در یک وقت است. لطفاً از دفتر مرکز بپرسید چه کنید."
	if got != want {
		t.Fatalf("my week =\n%s\nwant\n%s", got, want)
	}
	if len(lines) != 5 {
		t.Fatalf("want class, 3 turns and the appointment, got %d lines", len(lines))
	}

	other := telegramtest.User{ID: 18002, LanguageCode: "fr"}
	_, m := h.signUp(other, store.RoleResident, "Jean B.", "fr")
	h.tg.SendText(other, "/week")
	if got := h.waitText(other, m+1).Text; got != "🗓️ Vos 7 prochains jours"+"\n\n"+"Rien de prévu dans les 7 prochains jours." {
		t.Fatalf("empty week = %q", got)
	}
}
