package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// overdueTurns is a ChoreStore holding the turns that end at one time.
type overdueTurns struct {
	ChoreStore
	turns []store.ChoreTurn
}

func (s overdueTurns) ChoreTurnsEndingAt(_ context.Context, _ int64, _ time.Time, limit int) ([]store.ChoreTurn, int, error) {
	return s.turns[:min(limit, len(s.turns))], len(s.turns), nil
}

// A report to staff stays within Telegram's limits however many turns end
// together: at most 20 listed, each with its row of two buttons, the text
// under 4096 characters, the others counted in a last line.
func TestChoreOverdueReportStaysWithinTelegramLimits(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.Localizer("en")
	end := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)
	turns := func(n int, area string) []store.ChoreTurn {
		out := make([]store.ChoreTurn, n)
		for i := range out {
			out[i] = store.ChoreTurn{ID: int64(100 + i), CentreID: 1, AreaName: area, State: store.ChorePending,
				StartsAt: end.Add(-time.Hour), EndsAt: end, PersonName: fmt.Sprintf("Resident %d", i+1), PersonRoom: "214"}
		}
		return out
	}
	tests := []struct {
		name   string
		turns  []store.ChoreTurn
		listed int
		last   string // the last line
	}{
		{"three turns", turns(3, "Kitchen"), 3,
			"3. Kitchen, Thursday, 3 December 2026, 11:00–12:00. Resident: Resident 3 (room 214)."},
		{"twenty turns", turns(20, "Kitchen"), 20,
			"20. Kitchen, Thursday, 3 December 2026, 11:00–12:00. Resident: Resident 20 (room 214)."},
		{"twenty-one turns", turns(21, "Kitchen"), 20, "…and 1 more turn not marked done: see /rota."},
		{"250 turns", turns(250, "Kitchen"), 20, "…and 230 more turns not marked done: see /rota."},
		// 20 lines of about 370 characters do not fit: the text stops
		// before 4096 and counts the rest.
		{"long area names", turns(20, strings.Repeat("Long area name ", 20)), 10, "…and 10 more turns not marked done: see /rota."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Chores{Base: Base{Zone: time.UTC}, Chores: overdueTurns{turns: tt.turns}}
			out, err := h.renderChoreOverdue(context.Background(), store.Person{}, en, store.OutboxRow{
				OutboxMessage: store.OutboxMessage{CentreID: 1, Args: map[string]string{"end": fmt.Sprint(end.Unix())}}})
			if err != nil {
				t.Fatal(err)
			}
			if n := utf16Len(out.Text); n > 4096 {
				t.Fatalf("text of %d characters", n)
			}
			lines := strings.Split(out.Text, "\n")
			if lines[0] != "⚠️ Cleaning turns not marked done:" || lines[len(lines)-1] != tt.last {
				t.Fatalf("text from %q to %q, want the title to %q", lines[0], lines[len(lines)-1], tt.last)
			}
			kb := out.Markup.(*models.InlineKeyboardMarkup).InlineKeyboard
			if len(kb) != tt.listed {
				t.Fatalf("%d rows of buttons, want %d", len(kb), tt.listed)
			}
			for i, row := range kb {
				id := tt.turns[i].ID
				if len(row) != 2 || row[0].CallbackData != fmt.Sprintf("chr:x:%d", id) || row[1].CallbackData != fmt.Sprintf("chr:k:%d", id) ||
					row[0].Text != fmt.Sprintf("%d. ❌ Not done", i+1) || row[1].Text != fmt.Sprintf("%d. ✅ Done", i+1) {
					t.Fatalf("row %d = %+v", i, row)
				}
			}
		})
	}
	// Nothing left to report: nothing is sent.
	h := &Chores{Base: Base{Zone: time.UTC}, Chores: overdueTurns{}}
	if _, err := h.renderChoreOverdue(context.Background(), store.Person{}, en, store.OutboxRow{
		OutboxMessage: store.OutboxMessage{CentreID: 1, Args: map[string]string{"end": fmt.Sprint(end.Unix())}}}); !errors.Is(err, ErrObsolete) {
		t.Fatalf("no turn left → %v, want ErrObsolete", err)
	}
}
