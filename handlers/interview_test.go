package handlers

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
)

func TestParseInterviewTime(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Friday 27 November 2026, 10:00 in Paris.
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	dec3 := time.Date(2026, 12, 3, 0, 0, 0, 0, paris)
	utc := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, time.UTC) }
	dec3at1430 := utc(2026, 12, 3, 13, 30)
	tests := []struct {
		text    string
		now     time.Time // zero: now
		def     *time.Time
		want    time.Time // the instant (UTC), when a time is given
		wantDay time.Time // the day, when only a day is given
		err     error
	}{
		{text: "3/12 14h30", want: dec3at1430},
		{text: "03/12/2026 14:30", want: dec3at1430},
		{text: "3.12.26 14h30", want: dec3at1430},
		{text: "3-12-2026 14H30", want: dec3at1430},
		{text: "2026-12-03 14:30", want: dec3at1430},
		{text: "le 3/12 à 14h30", want: dec3at1430},
		{text: "3/12, 14 h 30", want: dec3at1430},
		{text: "3/12 2:30pm", want: dec3at1430},
		{text: "۳/۱۲ ۱۴:۳۰", want: dec3at1430},                         // Dari/Pashto digits
		{text: "٣/١٢ ١٤:٣٠", want: dec3at1430},                         // Arabic digits
		{text: "৩/১২ ১৪:৩০", want: dec3at1430},                         // Bengali digits
		{text: "\u200f۳/۱۲\u200f \u2068۱۴:۳۰\u2069", want: dec3at1430}, // bidi marks from an RTL keyboard
		{text: "demain 10h", want: utc(2026, 11, 28, 9, 0)},
		{text: "Demain à 10h", want: utc(2026, 11, 28, 9, 0)},
		{text: "tomorrow 2pm", want: utc(2026, 11, 28, 13, 0)},
		{text: "tomorrow 12pm", want: utc(2026, 11, 28, 11, 0)},
		{text: "فردا ۱۰:۰۰", want: utc(2026, 11, 28, 9, 0)},
		{text: "завтра 10:00", want: utc(2026, 11, 28, 9, 0)},
		{text: "après-demain 9h", want: utc(2026, 11, 29, 8, 0)},
		{text: "aujourd'hui 18h", want: utc(2026, 11, 27, 17, 0)},
		{text: "27/11 11h", want: utc(2026, 11, 27, 10, 0)},
		{text: "lundi 9h", want: utc(2026, 11, 30, 8, 0)},
		{text: "Monday 9am", want: utc(2026, 11, 30, 8, 0)},
		{text: "vendredi 15h", want: utc(2026, 12, 4, 14, 0)}, // today is Friday: the next one
		{text: "jeu 14:30", want: dec3at1430},
		{text: "3/1 10h", want: utc(2027, 1, 3, 9, 0)}, // January has passed this year: next year's
		{text: "14h30", def: &dec3, want: dec3at1430},
		{text: "14:30", def: &dec3, want: dec3at1430},
		// Across the autumn clock change: Sunday 25 October 2026 is on
		// winter time (UTC+1), Saturday still on summer time (UTC+2).
		{text: "demain 10h", now: utc(2026, 10, 24, 10, 0), want: utc(2026, 10, 25, 9, 0)},
		{text: "24/10 18h", now: utc(2026, 10, 24, 10, 0), want: utc(2026, 10, 24, 16, 0)},
		// A day without a time: the time is asked next.
		{text: "3/12", wantDay: dec3},
		{text: "jeudi", wantDay: dec3},
		{text: "demain", wantDay: time.Date(2026, 11, 28, 0, 0, 0, 0, paris)},
		// Refused.
		{text: "27/11 9h", err: ErrInterviewTimePast},
		{text: "aujourd'hui 8h", err: ErrInterviewTimePast},
		{text: "1/11/2026 10h", err: ErrInterviewTimePast},
		{text: "26/11/2026", err: ErrInterviewTimePast},
		{text: "3/12/2028 10h", err: ErrInterviewTimeFar},
		{text: "14h30", err: ErrInterviewTimeUnreadable}, // no day at all
		{text: "31/02 10h", err: ErrInterviewTimeUnreadable},
		{text: "3/13 10h", err: ErrInterviewTimeUnreadable},
		{text: "3/12 25h", err: ErrInterviewTimeUnreadable},
		{text: "3/12 14h61", err: ErrInterviewTimeUnreadable},
		{text: "3/12 13pm", err: ErrInterviewTimeUnreadable},
		{text: "3/12 14h 15h", err: ErrInterviewTimeUnreadable},
		{text: "3/12 4/12 10h", err: ErrInterviewTimeUnreadable},
		{text: "demain lundi 10h", err: ErrInterviewTimeUnreadable},
		{text: "next week", err: ErrInterviewTimeUnreadable},
		{text: "bientôt", err: ErrInterviewTimeUnreadable},
		{text: "", err: ErrInterviewTimeUnreadable},
		{text: "   ", err: ErrInterviewTimeUnreadable},
		{text: "28/3/2027 2h30", err: ErrInterviewTimeUnreadable}, // the hour skipped in spring
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			got, err := ParseInterviewTime(tt.text, n, paris, tt.def)
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %+v, %v; want %v", got, err, tt.err)
				}
			case err != nil:
				t.Fatalf("error %v", err)
			case !tt.want.IsZero():
				if !got.HasTime || !got.At.Equal(tt.want) {
					t.Fatalf("got %v (time %v), want %v", got.At.UTC(), got.HasTime, tt.want)
				}
			default:
				if got.HasTime || !got.Day.Equal(tt.wantDay) {
					t.Fatalf("got day %v (time %v), want day %v only", got.Day, got.HasTime, tt.wantDay)
				}
			}
		})
	}
}

func TestParseReminderOffsets(t *testing.T) {
	tests := []struct {
		in      string
		want    []time.Duration
		wantErr string
	}{
		{in: "24h,2h", want: []time.Duration{24 * time.Hour, 2 * time.Hour}},
		{in: " 2h , 24h ", want: []time.Duration{24 * time.Hour, 2 * time.Hour}},
		{in: "48h,24h,90m", want: []time.Duration{48 * time.Hour, 24 * time.Hour, 90 * time.Minute}},
		{in: "24h,24h", want: []time.Duration{24 * time.Hour}},
		{in: "1h30m", want: []time.Duration{90 * time.Minute}},
		{in: "", wantErr: "no reminder"},
		{in: ",", wantErr: "no reminder"},
		{in: "5m", wantErr: "10m to 720h"},
		{in: "721h", wantErr: "10m to 720h"},
		{in: "tomorrow", wantErr: "10m to 720h"},
		{in: "-2h", wantErr: "10m to 720h"},
		{in: "90s", wantErr: "10m to 720h"},
		{in: "1h,2h,3h,4h,5h,6h", wantErr: "at most 5"},
	}
	for _, tt := range tests {
		got, err := ParseReminderOffsets(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseReminderOffsets(%q) = %v, %v; want error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseReminderOffsets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestReminderSpecs(t *testing.T) {
	h := &Handlers{InterviewReminders: []time.Duration{48 * time.Hour, 3 * time.Hour}}
	want := []store.ReminderSpec{
		{Kind: store.ReminderToResident, Offset: 48 * time.Hour},
		{Kind: store.ReminderToResident, Offset: 3 * time.Hour},
		{Kind: store.ReminderNoAnswer, Offset: 48 * time.Hour},
	}
	if got := h.reminderSpecs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("specs = %+v, want %+v", got, want)
	}
	def := (&Handlers{}).reminderSpecs()
	if len(def) != 3 || def[0].Offset != 24*time.Hour || def[1].Offset != 2*time.Hour || def[2].Kind != store.ReminderNoAnswer {
		t.Fatalf("default specs = %+v", def)
	}
}

func TestToggleDocKeepsChecklistOrder(t *testing.T) {
	docs := ivToggleDoc(nil, "id")
	docs = ivToggleDoc(docs, "permit")
	docs = ivToggleDoc(docs, "tax")
	if want := []string{"permit", "tax", "id"}; !reflect.DeepEqual(docs, want) {
		t.Fatalf("docs = %v, want %v", docs, want)
	}
	if docs = ivToggleDoc(docs, "tax"); !reflect.DeepEqual(docs, []string{"permit", "id"}) {
		t.Fatalf("untick: %v", docs)
	}
	if docs = ivToggleDoc(docs, "forged"); !reflect.DeepEqual(docs, []string{"permit", "id"}) {
		t.Fatalf("unknown document changed the list: %v", docs)
	}
}

func TestSlots(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
		m  int
	}{
		{"0800", true, 480}, {"1430", true, 870}, {"1800", true, 1080},
		{"0730", false, 0}, {"1830", false, 0}, {"1415", false, 0}, {"1460", false, 0}, {"abcd", false, 0}, {"800", false, 0},
	} {
		m, ok := ivParseSlot(tt.in)
		if ok != tt.ok || (ok && m != tt.m) {
			t.Errorf("ivParseSlot(%q) = %d, %v", tt.in, m, ok)
		}
		if ok && ivFormatSlot(m) != tt.in {
			t.Errorf("ivFormatSlot(%d) = %q", m, ivFormatSlot(m))
		}
	}
}

func TestCleanRelayText(t *testing.T) {
	if s, ok := cleanRelayText("  Bonjour,\nà demain  "); !ok || s != "Bonjour,\nà demain" {
		t.Fatalf("got %q %v", s, ok)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 1501), "a\x00b", "a\x1bb"} {
		if _, ok := cleanRelayText(bad); ok {
			t.Errorf("cleanRelayText(%q) accepted", bad)
		}
	}
	if _, ok := cleanRelayText(strings.Repeat("ب", 1500)); !ok {
		t.Error("1500 characters refused")
	}
}
