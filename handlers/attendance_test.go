package handlers

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// attendanceFixture is a class of n residents with the largest ids, so the
// button data is as long as it can ever be.
func attendanceFixture(n int) attendanceClass {
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 11, 27, 9, 30, 0, 0, paris)
	c := attendanceClass{date: "20261127", occ: store.ClassOccurrence{
		Session: store.ClassSession{ID: math.MaxInt64, GroupName: "A1 matin"},
		Date:    time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Start: start, End: start.Add(150 * time.Minute), Room: "Salle 1"}}
	for i := 0; i < n; i++ {
		c.roster = append(c.roster, store.ClassRosterEntry{PersonID: math.MaxInt64 - int64(i),
			Name: fmt.Sprintf("Resident %02d", i+1), Room: fmt.Sprintf("%d", 101+i)})
	}
	return c
}

func TestAttendanceSheetPagingAndButtonData(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	loc := cat.Localizer("ar")
	c := attendanceFixture(23)
	d := store.AttendanceDraft{Version: math.MaxInt64, Marks: map[int64]store.AttendanceMark{
		c.roster[0].PersonID: store.MarkAbsent, c.roster[12].PersonID: store.MarkExcused}}
	tests := []struct {
		page, residents int
		nav             []string
	}{
		{0, 10, []string{"▶"}},
		{1, 10, []string{"◀", "▶"}},
		{2, 3, []string{"◀"}},
		{9, 3, []string{"◀"}}, // out of range: the last page
	}
	for _, tt := range tests {
		text, kb := attendanceSheet(loc, c, d, tt.page)
		rows := kb.InlineKeyboard
		if len(rows) != tt.residents+2 {
			t.Fatalf("page %d: %d rows", tt.page, len(rows))
		}
		var nav []string
		for _, b := range rows[tt.residents] {
			nav = append(nav, b.Text)
		}
		if strings.Join(nav, " ") != strings.Join(tt.nav, " ") {
			t.Errorf("page %d: arrows %v, want %v", tt.page, nav, tt.nav)
		}
		for _, row := range rows {
			for _, b := range row {
				if len(b.CallbackData) > maxCallbackData {
					t.Errorf("button %q: data %q is %d bytes", b.Text, b.CallbackData, len(b.CallbackData))
				}
			}
		}
		if !strings.Contains(text, loc.F.Number(3)) {
			t.Errorf("page %d: text %q lacks the page count", tt.page, text)
		}
	}
	_, kb := attendanceSheet(loc, c, d, 0)
	if got := kb.InlineKeyboard[0][0].Text; got != "❌ Resident 01 · 101" {
		t.Errorf("first resident = %q", got)
	}
	if got := kb.InlineKeyboard[1][0].Text; got != "✅ Resident 02 · 102" {
		t.Errorf("an unmarked resident is %q, want present", got)
	}
	_, kb = attendanceSheet(loc, c, d, 1)
	if got := kb.InlineKeyboard[2][0].Text; got != "📝 Resident 13 · 113" {
		t.Errorf("excused resident = %q", got)
	}
	// Ten or fewer residents: no arrows.
	_, kb = attendanceSheet(loc, attendanceFixture(10), d, 0)
	if len(kb.InlineKeyboard) != 11 {
		t.Errorf("one page has %d rows, want 10 residents and Save", len(kb.InlineKeyboard))
	}
}

func TestMarkCycle(t *testing.T) {
	m := store.MarkPresent
	var seen []string
	for range 4 {
		m = m.Next()
		seen = append(seen, string(m))
	}
	if strings.Join(seen, ",") != "absent,excused,present,absent" {
		t.Fatalf("cycle = %v", seen)
	}
	if store.AttendanceMark("late").Valid() || (store.AttendanceDraft{}).Mark(5) != store.MarkPresent {
		t.Fatal("unknown marks must not count; everyone starts present")
	}
}
