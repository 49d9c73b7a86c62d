package locales

import (
	"strings"
	"testing"
)

// TestReviewOfDecember2026 pins the word corrections of docs/LANGUAGES.md
// ("Review of December 2026") with sentences written out by hand, and
// checks that the words taken out do not come back in any message.
func TestReviewOfDecember2026(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	const fsi, pdi = "\u2068", "\u2069"
	for _, c := range []struct {
		tag, id string
		kv      []any
		want    string
	}{
		{"so", "announce.tpl.meeting", []any{"Date", "3/12", "Time", "18:00", "Place", "Hall"},
			"🗣️ Kulanka deggenayaasha 3/12 saacadda 18:00. Meesha: Hall. Dhammaan waa lagu soo dhaweynayaa."},
		{"so", "appointments.cancelled", nil, "❌ Ballantan waa la baajiyay:"},
		{"so", "classes.cancelled_notice", []any{"Day", "Isniin", "Start", "09:30", "Group", "A1"},
			"❌ Fasalkaaga Faransiiska ee Isniin saacadda 09:30 (A1) waa la baajiyay."},
		{"ti", "myweek.title", nil, "🗓️ ዝመጽእ 7 መዓልትኹም"},
		{"ti", "myweek.clash", nil, "⚠️ ክልተ ነገራት ብሓደ ግዜ ኣለዉ። እንታይ ክትገብሩ ከም ዘለኩም ንቤት ጽሕፈት ማእከል ሕተቱ።"},
		{"ps", "announce.aud_class", []any{"Class", "A1"}, "د فرانسوي ژبې ټولګی " + fsi + "A1" + pdi},
		{"ar", "chores.title", nil, "🧹 أدوارك في التنظيف"},
		{"ar", "chores.missed_notice", []any{"Area", "المطبخ", "Day", "الاثنين"},
			"❌ سُجِّل دورك في " + fsi + "المطبخ" + pdi + "، " + fsi + "الاثنين" + pdi + "، على أنه لم يُنجَز. من فضلك تحدّث مع مكتب الاستقبال."},
		{"ur", "chores.missed_notice", []any{"Area", "کچن", "Day", "پیر"},
			"❌ آپ کی باری (" + fsi + "کچن" + pdi + "، " + fsi + "پیر" + pdi + ") نہ کی گئی کے طور پر درج ہوئی ہے۔ براہ کرم استقبالیہ سے بات کریں۔"},
	} {
		if got := cat.Localizer(c.tag).T(c.id, c.kv...); got != c.want {
			t.Errorf("%s %s =\n%q, want\n%q", c.tag, c.id, got, c.want)
		}
	}
	// Words taken out, per language: none may come back. ("Waa la
	// joojiyay" stays in cancel.done: /cancel stops what one was doing.)
	gone := map[string][]string{
		"so": {"deggaan", "Deggaan", "waa la joojiyay", "Fasal la joojiyay", "la joojiyaa"},
		"ti": {"መዓልቲኻ", "እትገብር", "ሕተት።"},
		"ps": {"د فرانسوي ټولګی", "ناروغه"},
		"ar": {"أدوار التنظيف الخاصة بك", "٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"},
		"ur": {"نہیں ہوئی لکھی"},
	}
	for tag, words := range gone {
		loc := cat.Localizer(tag)
		for _, id := range cat.MessageIDs() {
			text := loc.T(id)
			for _, w := range words {
				if strings.Contains(text, w) {
					t.Errorf("%s %s still says %q: %q", tag, id, w, text)
				}
			}
		}
	}
	// Pashto's Saturday is not "اونۍ" (week), in any date.
	ps := NewFormatter("ps", nil)
	for d := range 7 {
		day := friday.AddDate(0, 0, d)
		if w := ps.Weekday(day); w == "اونۍ" || strings.Contains(ps.Date(day), "اونۍ") {
			t.Errorf("ps %v = %q, %q", day.Weekday(), w, ps.Date(day))
		}
	}
}
