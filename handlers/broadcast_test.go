package handlers

import (
	"strings"
	"testing"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

func TestRenderAnnouncementPicksTheReadersVersion(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	free := store.Announcement{Body: "Réunion demain.", Versions: map[string]string{"ar": "اجتماع غدًا.", "ti": "ኣኼባ ጽባሕ።"}}
	for lang, want := range map[string]string{"ar": "اجتماع غدًا.", "ti": "ኣኼባ ጽባሕ።", "fr": "Réunion demain.", "fa-AF": "Réunion demain."} {
		if got, ok := RenderAnnouncement(cat.Localizer(lang), free); !ok || got != want {
			t.Errorf("%s: %q, %v; want %q", lang, got, ok, want)
		}
	}
	tpl := store.Announcement{Template: "mail", Params: map[string]string{paramDate: "2026-12-04"}}
	ti := cat.Localizer("ti")
	got, ok := RenderAnnouncement(ti, tpl)
	if want := ti.T("announce.tpl.mail", "Date", ti.F.Date(parseISO(t, "2026-12-04"))); !ok || got != want {
		t.Errorf("ti mail = %q, want %q", got, want)
	}
	if _, ok := RenderAnnouncement(ti, store.Announcement{}); ok {
		t.Error("an empty announcement rendered")
	}
}

func TestProgressTextShowsCountsThenTheMessage(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	ar := cat.Localizer("ar")
	a := store.Announcement{Body: "Hello"}
	got := progressText(ar, a, store.BroadcastCounts{Sent: 2, Failed: 1, Pending: 9})
	want := ar.T("announce.progress", "Done", ar.F.Number(3), "Total", ar.F.Number(12)) + "\n\nHello"
	if got != want {
		t.Errorf("progress = %q, want %q", got, want)
	}
	// Arabic is written with Latin digits (docs/LANGUAGES.md).
	if want := "📤 جارٍ الإرسال: تم \u20683\u2069 من \u206812\u2069.\n\nHello"; got != want {
		t.Errorf("Arabic progress = %q, want %q", got, want)
	}
	done := progressText(ar, a, store.BroadcastCounts{Sent: 12})
	if !strings.HasPrefix(done, ar.T("announce.progress_done", "Done", ar.F.Number(12), "Total", ar.F.Number(12))) {
		t.Errorf("finished progress = %q", done)
	}
}
