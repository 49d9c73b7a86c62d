package store_test

import (
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
)

func TestPlanRemindersKeepsWhatFitsAndAlwaysChecks(t *testing.T) {
	t.Parallel()
	specs := []store.ReminderSpec{{Kind: store.ReminderToResident, Offset: 24 * time.Hour},
		{Kind: store.ReminderToResident, Offset: 2 * time.Hour}, {Kind: store.ReminderNoAnswer, Offset: 24 * time.Hour}}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	type plan struct {
		kind string
		due  string
	}
	tests := []struct {
		name string
		now  time.Time
		want []plan
	}{
		{"days ahead: both reminders, check with the first", at.Add(-72 * time.Hour),
			[]plan{{"reminder", "12-02 09:00"}, {"reminder", "12-03 07:00"}, {"noanswer", "12-02 09:00"}}},
		{"the evening before: the 2h reminder, check halfway", at.Add(-13 * time.Hour),
			[]plan{{"reminder", "12-03 07:00"}, {"noanswer", "12-03 02:30"}}},
		{"90 minutes ahead: no reminder, check halfway", at.Add(-90 * time.Minute),
			[]plan{{"noanswer", "12-03 08:15"}}},
		{"halfway at seconds is put to the minute", at.Add(-61*time.Minute - 10*time.Second),
			[]plan{{"noanswer", "12-03 08:29"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := store.PlanReminders(at, tt.now, specs)
			var g []plan
			for _, p := range got {
				g = append(g, plan{p.Kind, p.Due.Format("01-02 15:04")})
				if !p.Due.After(tt.now) || !p.Due.Before(at) {
					t.Errorf("%v due at %v, not between now and the appointment", p.Kind, p.Due)
				}
			}
			if len(g) != len(tt.want) {
				t.Fatalf("plan = %v, want %v", g, tt.want)
			}
			for i := range g {
				if g[i] != tt.want[i] {
					t.Fatalf("plan = %v, want %v", g, tt.want)
				}
			}
		})
	}
}
