package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestClassLabelsInResidentsLanguage: the classes file's label_<language>
// columns name the group (group line) and the room (session line) in a
// resident's language; without a label he reads the French name. A room
// written "Salle 2" in the file reads "salle 2", not "salle Salle 2".
func TestClassLabelsInResidentsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	friday := clsFriday(h)
	ahmadU := telegramtest.User{ID: 31501, LanguageCode: "fa"}
	lucU := telegramtest.User{ID: 31502, LanguageCode: "fr"}
	ahmad, na := h.signUp(ahmadU, store.RoleResident, "Ahmad K.", "fa-AF")
	luc, nl := h.signUp(lucU, store.RoleResident, "Luc M.", "fr")
	clsExternalID(h, ahmad, "R-1")
	clsExternalID(h, luc, "R-2")
	csv := `kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours,label_fa-AF,label_ar
group,G-A1M,,A1,A1 matin,,,,,,,,A1 صبح,A1 صباحًا
session,S-FRI,G-A1M,,,vendredi,14:00,16:30,Salle 2,Marie Dupont,,,,
session,S-SAT,G-A1M,,,samedi,10:00,12:00,Bibliothèque,Marie Dupont,,,کتابخانه,المكتبة
enrolment,,G-A1M,,,,,,,,R-1,200,,
enrolment,,G-A1M,,,,,,,,R-2,200,,
`
	if _, err := h.st.ImportClassesCSV(context.Background(), clsCentre(h).ID, strings.NewReader(csv), nil); err != nil {
		t.Fatal(err)
	}
	fri := storetest.Day(friday, 0, 14, 0)
	sat := storetest.Day(friday, 1, 10, 0)
	const fsi, pdi = "\u2068", "\u2069"
	tests := []struct {
		u    telegramtest.User
		n    int
		want []string
	}{
		{ahmadU, na, []string{
			"• " + fsi + faDate(fri) + pdi + "، " + fsi + "۱۴:۰۰" + pdi + "–" + fsi + "۱۶:۳۰" + pdi + ": " +
				fsi + "A1 صبح" + pdi + "، اتاق " + fsi + "2" + pdi + "، استاد " + fsi + "Marie Dupont" + pdi,
			"• " + fsi + faDate(sat) + pdi + "، " + fsi + "۱۰:۰۰" + pdi + "–" + fsi + "۱۲:۰۰" + pdi + ": " +
				fsi + "A1 صبح" + pdi + "، اتاق " + fsi + "کتابخانه" + pdi + "، استاد " + fsi + "Marie Dupont" + pdi,
		}},
		{lucU, nl, []string{
			"• " + frDate(fri) + ", 14:00–16:30 : A1 matin, salle 2, professeur Marie Dupont",
			"• " + frDate(sat) + ", 10:00–12:00 : A1 matin, salle Bibliothèque, professeur Marie Dupont",
		}},
	}
	for _, tt := range tests {
		h.tg.SendText(tt.u, "/classes")
		got := h.waitText(tt.u, tt.n+1).Text
		for _, line := range tt.want {
			if !strings.Contains(got, line+"\n") {
				t.Errorf("%s: /classes =\n%q\nlacks the line\n%q", tt.u.LanguageCode, got, line)
			}
		}
		if strings.Contains(got, "Salle 2") {
			t.Errorf("%s: the room still says its word: %q", tt.u.LanguageCode, got)
		}
	}
}
