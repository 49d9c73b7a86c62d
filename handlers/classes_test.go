package handlers

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

func TestClassWeekStartOnParisClock(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct{ at, want time.Time }{
		// Sunday night in Paris is still the week that began on Monday 23.
		{time.Date(2026, 11, 29, 22, 30, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, paris)},
		// Sunday 23:30 UTC is already Monday 30 in Paris.
		{time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, paris)},
		// The week of the spring change starts at 00:00 CET on Monday 23
		// March; the next one at 00:00 CEST.
		{time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 23, 0, 0, 0, 0, paris)},
		{time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 0, 0, 0, 0, paris)},
	}
	for _, tt := range tests {
		if got := classWeekStart(tt.at, paris); !got.Equal(tt.want) {
			t.Errorf("classWeekStart(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestClassID36(t *testing.T) {
	for _, n := range []int64{1, 35, 36, 123456789, math.MaxInt64} {
		got, ok := parseClassID36(classID36(n))
		if !ok || got != n {
			t.Errorf("round trip of %d = %d, %v", n, got, ok)
		}
	}
	for _, s := range []string{"", "0", "-1", "+1", "ZZ", "zz!", " 1", "1y2p0ij32e8e8", "001"} {
		if n, ok := parseClassID36(s); ok {
			t.Errorf("parseClassID36(%q) = %d, want refused", s, n)
		}
	}
}

// The notices of a class change and of a class group are rendered in the
// recipient's language from their outbox row, times on the Paris clock.
// The expected texts are written out by hand.
func TestRenderClassAndEnrolNotices(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := &Classes{Base: Base{Catalog: cat}}
	paris, _ := time.LoadLocation("Europe/Paris")
	was := time.Date(2026, 11, 30, 9, 30, 0, 0, paris)
	start := time.Date(2026, 12, 3, 15, 30, 0, 0, paris)
	change := func(kind string) map[string]string {
		return map[string]string{"change": kind, "group": "A1 matin", "room": "B12",
			"was": strconv.FormatInt(was.Unix(), 10), "start": strconv.FormatInt(start.Unix(), 10),
			"end": strconv.FormatInt(start.Add(150*time.Minute).Unix(), 10)}
	}
	enrol := func(kind string) map[string]string {
		return map[string]string{"change": kind, "group": "A1 matin", "level": "A1", "hours": "200"}
	}
	// With the labels of the classes file, and a room queued before rooms
	// were stored without the word "Salle".
	labelled := func(a map[string]string) map[string]string {
		a["group_labels"] = `{"ar":"A1 صباحًا","fa-AF":"A1 صبح"}`
		a["room_labels"] = `{"ar":"المكتبة"}`
		return a
	}
	oldRoom := change(store.ClassRestored)
	oldRoom["room"] = "Salle 2"
	tests := []struct {
		name, lang string
		render     func(context.Context, store.Person, *locales.Localizer, store.OutboxRow) (Outgoing, error)
		args       map[string]string
		want       string
	}{
		{"cancelled", "fr", h.renderClassNotice, change(store.ClassCancelled),
			"❌ Votre cours de français du lundi 30 novembre 2026 à 09:30 (A1 matin) est annulé."},
		{"moved", "fr", h.renderClassNotice, change(store.ClassMoved),
			"🔀 Votre cours de français du lundi 30 novembre 2026 à 09:30 (A1 matin) est déplacé au jeudi 3 décembre 2026, 15:30–18:00, salle B12."},
		{"restored", "fr", h.renderClassNotice, change(store.ClassRestored),
			"✅ Votre cours de français du jeudi 3 décembre 2026, 15:30–18:00 (A1 matin) a lieu comme prévu, salle B12."},
		{"cancelled", "ar", h.renderClassNotice, change(store.ClassCancelled),
			"❌ أُلغي درس اللغة الفرنسية يوم \u2068الاثنين، 30 نوفمبر 2026\u2069 الساعة \u206809:30\u2069 (\u2068A1 matin\u2069)."},
		{"moved", "ar", h.renderClassNotice, change(store.ClassMoved),
			"🔀 نُقل درس اللغة الفرنسية يوم \u2068الاثنين، 30 نوفمبر 2026\u2069 الساعة \u206809:30\u2069 (\u2068A1 matin\u2069) إلى " +
				"\u2068الخميس، 3 ديسمبر 2026\u2069، \u206815:30\u2069–\u206818:00\u2069، القاعة \u2068B12\u2069."},
		{"moved, labels", "ar", h.renderClassNotice, labelled(change(store.ClassMoved)),
			"🔀 نُقل درس اللغة الفرنسية يوم \u2068الاثنين، 30 نوفمبر 2026\u2069 الساعة \u206809:30\u2069 (\u2068A1 صباحًا\u2069) إلى " +
				"\u2068الخميس، 3 ديسمبر 2026\u2069، \u206815:30\u2069–\u206818:00\u2069، القاعة \u2068المكتبة\u2069."},
		{"cancelled, labels", "fr", h.renderClassNotice, labelled(change(store.ClassCancelled)),
			"❌ Votre cours de français du lundi 30 novembre 2026 à 09:30 (A1 matin) est annulé."},
		{"restored, old room", "fr", h.renderClassNotice, oldRoom,
			"✅ Votre cours de français du jeudi 3 décembre 2026, 15:30–18:00 (A1 matin) a lieu comme prévu, salle 2."},
		{"hours, labels", "ar", h.renderEnrolNotice, labelled(enrol(store.EnrolHours)),
			"📚 حدد لك مكتب OFII الآن \u2068200\u2069 ساعة من اللغة الفرنسية (مجموعة \u2068A1 صباحًا\u2069). دروسك: /classes"},
		{"joined", "fr", h.renderEnrolNotice, enrol(store.EnrolIn),
			"📚 Vous êtes maintenant dans le groupe de cours de français A1 matin (niveau A1). L'OFII vous a prescrit 200 heures de français. " +
				"Aller en cours est obligatoire. Vos cours : /classes"},
		{"hours", "fr", h.renderEnrolNotice, enrol(store.EnrolHours),
			"📚 L'OFII vous prescrit maintenant 200 heures de français (groupe A1 matin). Vos cours : /classes"},
		{"left", "fr", h.renderEnrolNotice, enrol(store.EnrolOut),
			"📚 Vous n'êtes plus dans le groupe de cours de français A1 matin. Les heures que vous avez faites sont gardées. " +
				"Si vous avez une question, demandez à l'accueil."},
		{"hours", "ar", h.renderEnrolNotice, enrol(store.EnrolHours),
			"📚 حدد لك مكتب OFII الآن \u2068200\u2069 ساعة من اللغة الفرنسية (مجموعة \u2068A1 matin\u2069). دروسك: /classes"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.name, func(t *testing.T) {
			out, err := tt.render(context.Background(), store.Person{}, cat.Localizer(tt.lang),
				store.OutboxRow{OutboxMessage: store.OutboxMessage{Args: tt.args}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Text != tt.want {
				t.Fatalf("got  %q\nwant %q", out.Text, tt.want)
			}
		})
	}
	// A row of an unknown change is an error, not a message.
	if _, err := h.renderClassNotice(context.Background(), store.Person{}, cat.Localizer("fr"),
		store.OutboxRow{OutboxMessage: store.OutboxMessage{Args: change("postponed")}}); err == nil {
		t.Fatal("an unknown change was rendered")
	}
}

func TestHoursDoneToTheNearestHalfHour(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang    string
		minutes int
		want    string
	}{
		{"fr", 0, "0"},
		{"fr", 14, "0"},
		{"fr", 20, "½"},
		{"fr", 270, "4½"}, // 3 h + 1 h 30
		{"fr", 250, "4"},  // 4 h 10
		{"fr", 255, "4½"}, // 4 h 15
		{"fr", 290, "5"},  // 4 h 50
		{"fr", 6030, "100½"},
		{"fa-AF", 270, "۴½"},
		{"en", 90, "1½"},
	}
	for _, tt := range tests {
		if got := hoursDone(locales.NewFormatter(tt.lang, nil), tt.minutes); got != tt.want {
			t.Errorf("%s %d min = %q, want %q", tt.lang, tt.minutes, got, tt.want)
		}
	}
}
