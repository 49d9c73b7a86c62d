package handlers

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Week is the resident's week: his chores, classes and appointments
// together.
type Week struct {
	Base
	Week WeekStore
}

// WeekStore is what "my week" reads: each feature's view of one resident,
// in one round trip.
type WeekStore interface {
	PersonWeek(ctx context.Context, q store.PersonWeekQuery, loc *time.Location) (store.PersonWeek, error)
}

// appointmentLength is how long an appointment is taken to last when
// looking for clashes: the coordinator gives a start time only, and an
// interview at the SIAO or a landlord's takes about an hour, travel aside.
const appointmentLength = time.Hour

// weekItem is one thing in a resident's week, already written in his
// language.
type weekItem struct {
	start, end time.Time
	line       string
	// busy is false for what does not take his time (a cancelled class, a
	// turn already done), so it cannot clash.
	busy bool
}

// MyWeek shows a resident his next seven days — cleaning turns, French
// classes and housing appointments — in time order, with a warning on
// anything that happens at the same time as something else.
func (h *Week) MyWeek(ctx context.Context, r *Request) error {
	p := r.Person
	from, to := r.Now, r.Now.Add(7*24*time.Hour)
	var items []weekItem

	week, err := h.Week.PersonWeek(ctx, store.PersonWeekQuery{CentreID: p.CentreID, PersonID: p.ID,
		TurnsFrom: from.Add(-12 * time.Hour), From: from, To: to}, h.Zone)
	if err != nil {
		return err
	}
	for _, t := range week.Turns {
		if !t.EndsAt.After(from) {
			continue
		}
		items = append(items, weekItem{start: t.StartsAt, end: t.EndsAt, busy: t.State == store.ChorePending,
			line: r.Loc.T(choreLineMessage(t.State), choreVars(r.Loc, t)...)})
	}
	for _, o := range week.Classes {
		items = append(items, weekItem{start: o.Start, end: o.End, busy: !o.Cancelled, line: classLine(r.Loc, o)})
	}
	for _, a := range week.Appointments {
		items = append(items, weekItem{start: a.At, end: a.At.Add(appointmentLength), busy: true,
			line: r.Loc.T("myweek.appointment", "Day", r.Loc.F.Date(a.At), "Start", r.Loc.F.Time(a.At),
				"Kind", r.Loc.T(apptKindMessage(a.Kind)), "Place", a.Place)})
	}
	return h.replyMenu(ctx, r, weekText(r.Loc, items))
}

// weekText writes the items in time order; clashing ones get ⚠️ and the
// week a line saying what to do.
func weekText(loc *locales.Localizer, items []weekItem) string {
	if len(items) == 0 {
		return loc.T("myweek.title") + "\n\n" + loc.T("myweek.empty")
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].start.Before(items[j].start) })
	clash := make([]bool, len(items))
	any := false
	for i := range items {
		for j := i + 1; j < len(items) && items[j].start.Before(items[i].end); j++ {
			if items[i].busy && items[j].busy {
				clash[i], clash[j], any = true, true, true
			}
		}
	}
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.line
		if clash[i] {
			lines[i] = "⚠️ " + it.line
		}
	}
	text := loc.T("myweek.title") + "\n\n" + strings.Join(lines, "\n")
	if any {
		text += "\n\n" + loc.T("myweek.clash")
	}
	return text
}
