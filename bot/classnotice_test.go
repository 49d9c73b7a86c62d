package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestClassNoticeSkipsWhoLeftTheGroup: a change notice queued for a class
// reaches the residents still in its group, not one taken out of the group
// before the notice went out.
func TestClassNoticeSkipsWhoLeftTheGroup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inU := telegramtest.User{ID: 19201, LanguageCode: "ar"}
	outU := telegramtest.User{ID: 19202, LanguageCode: "en"}
	in, nIn := h.signUp(inU, store.RoleResident, "Omar H.", "ar")
	out, nOut := h.signUp(outU, store.RoleResident, "Sami A.", "en")
	clsExternalID(h, in, "R-1")
	clsExternalID(h, out, "R-2")
	clsImport(h, `group,G1,,A1,A1 matin,,,,,,,
session,S1,G1,,,lundi,09:30,12:00,Salle 1,Marie,,
enrolment,,G1,,,,,,,,R-1,200
enrolment,,G1,,,,,,,,R-2,200
`)
	if _, err := h.pool.Exec(context.Background(), `DELETE FROM class_enrolments WHERE person_id = $1`, out.ID); err != nil {
		t.Fatal(err)
	}
	centre := clsCentre(h).ID
	was := storetest.Next(h.begin, time.Monday, 9, 30)
	for _, p := range []store.Person{in, out} {
		_, err := h.app.Jobs().Insert(context.Background(), handlers.ClassNoticeArgs{CentreID: centre, PersonID: p.ID,
			SessionID: clsSession(h, "S1"), Notice: "test-cancel", Change: store.ClassCancelled, Group: "A1 matin",
			Was: was.Unix(), Start: was.Unix(), End: was.Add(150 * time.Minute).Unix(), Room: "Salle 1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	ar := h.loc("ar")
	want := ar.T("classes.cancelled_notice", "Day", ar.F.Date(was), "Start", ar.F.Time(was), "Group", "A1 matin")
	if got := h.waitText(inU, nIn+1).Text; got != want {
		t.Fatalf("enrolled resident got %q, want %q", got, want)
	}
	h.tg.WaitFor(t, 10*time.Second, "both notice jobs worked", func() bool {
		return h.count(`SELECT count(*) FROM river_job WHERE kind = 'class_notice' AND state = 'completed'`) == 2
	})
	h.quiet(outU, nOut)
}
