package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/rota"
	"github.com/aurore/cairbot/store"
)

// Chores is the resident's side of the cleaning rota, its Monday job and
// its messages.
type Chores struct {
	Base
	Chores ChoreStore
}

// Cleaning of common areas, the resident's side: his turns (/chores), Done,
// and swaps with another resident (approved by staff, rota.go). The staff's
// rota is in rota.go, the Monday job and the messages in chores_jobs.go,
// the areas' CSV import in import_chores.go.
//
// Callback data (all validated against the person, his centre and the
// current state of the turn or swap; anything else is a stale button):
//
//	chd:<turn>                    resident: my turn is done
//	chs:t:<turn>                  resident: swap this turn, show residents
//	chs:pg:<turn>:<page>          resident: another page of residents
//	chs:p:<turn>:<person>         resident: ask this resident
//	chx:y|n:<swap>                asked resident: accept or decline

// Times on the centre's wall clock (the reminders' are in store).
const (
	choreMorningHour = store.ChoreMorningHour // the Monday job, and the first hour for its message
	choreQuietHour   = 21                     // no Monday message from 21:00 until 08:00
	choresPerPage    = 8                      // residents per page of a picker
	choreDateArg     = "20060102"
	// How far staff can page through weeks.
	choreWeeksBack, choreWeeksAhead = 8, 4
)

// ChoreStore is what the chores handlers and jobs need from storage. The store
// writes every message a change causes to the outbox in the change's own
// transaction; the outbox kinds below render them when they leave.
type ChoreStore interface {
	ChoreTurn(ctx context.Context, centreID, turnID int64) (store.ChoreTurn, error)
	PersonChoreTurns(ctx context.Context, centreID, personID int64, from, to time.Time) ([]store.ChoreTurn, error)
	ChoreWeekTurns(ctx context.Context, centreID int64, week time.Time) ([]store.ChoreTurn, error)
	ChoreCentres(ctx context.Context) ([]int64, error)
	ChoreMembers(ctx context.Context, centreID int64, linkedOnly bool) ([]store.Person, error)
	ChoreSwap(ctx context.Context, centreID, swapID int64) (store.ChoreSwap, error)
	MarkChoreTurn(ctx context.Context, centreID, turnID, actorID int64, state string, asStaff bool, now time.Time) (store.ChoreTurn, error)
	RequestChoreSwap(ctx context.Context, centreID, turnID, fromID, toID int64, now time.Time) (store.ChoreSwap, error)
	AnswerChoreSwap(ctx context.Context, centreID, swapID, personID int64, accept bool, now time.Time) (store.ChoreSwap, error)
	DecideChoreSwap(ctx context.Context, centreID, swapID, staffID int64, approve bool, now time.Time, tz *time.Location) (store.ChoreSwap, error)
	MoveChoreTurn(ctx context.Context, centreID, turnID, actorID int64, mv store.ChoreMove, now time.Time, tz *time.Location) (store.ChoreTurn, error)
	GenerateChoreWeek(ctx context.Context, centreID int64, week time.Time, g store.ChoreGenerate) (int, error)
	AnnounceChoreWeek(ctx context.Context, centreID int64, week, now time.Time) (int, error)
	// For the jobs queued before the outbox (ChoreReminderWorker,
	// ChoreMessageWorker).
	QueueChoreReminder(ctx context.Context, centreID, turnID int64, what string, at int64, now time.Time, tz *time.Location) (int, error)
	Enqueue(ctx context.Context, now time.Time, msgs ...store.OutboxMessage) (int, error)
}

// ---- Resident: /chores and Done ----

// ChoresShow shows the resident his turns this week and next, with a Done
// button for a turn of today or before and a Swap button for a turn to come.
func (h *Chores) ChoresShow(ctx context.Context, r *Request) error {
	week := rota.WeekStart(r.Now, h.Zone)
	turns, err := h.Chores.PersonChoreTurns(ctx, r.Person.CentreID, r.Person.ID,
		rota.At(week, 0, h.Zone), rota.At(week.AddDate(0, 0, 14), 0, h.Zone))
	if err != nil {
		return err
	}
	var this, next []store.ChoreTurn
	for _, t := range turns {
		if t.Week.Equal(week) {
			this = append(this, t)
		} else {
			next = append(next, t)
		}
	}
	text := r.Loc.T("chores.title") +
		"\n\n" + r.Loc.T("chores.this_week") + "\n" + choreLines(r.Loc, this) +
		"\n\n" + r.Loc.T("chores.next_week") + "\n" + choreLines(r.Loc, next)
	_, err = h.reply(ctx, r, text, choreTurnButtons(r.Loc, turns, r.Now, h.Zone))
	return err
}

// choreLines writes a resident's turns, one a line, or "no turn".
func choreLines(loc *locales.Localizer, turns []store.ChoreTurn) string {
	if len(turns) == 0 {
		return loc.T("chores.no_turn")
	}
	lines := make([]string, len(turns))
	for i, t := range turns {
		lines[i] = loc.T(choreLineMessage(t.State), choreVars(loc, t)...)
	}
	return strings.Join(lines, "\n")
}

// choreVars are the variables every turn message may use.
func choreVars(loc *locales.Localizer, t store.ChoreTurn) []any {
	room := t.PersonRoom
	if room == "" {
		room = "—"
	}
	return []any{
		"Area", t.Area(loc.Tag), "Day", loc.F.Date(t.StartsAt), "Weekday", loc.F.Weekday(t.StartsAt),
		"Start", loc.F.Time(t.StartsAt), "End", loc.F.Time(t.EndsAt), "Name", t.PersonName, "Room", room,
	}
}

// choreTurnButtons are a resident's buttons on his pending turns: Done from
// the turn's day on, Swap while it has not started.
func choreTurnButtons(loc *locales.Localizer, turns []store.ChoreTurn, now time.Time, tz *time.Location) models.ReplyMarkup {
	var buttons []models.InlineKeyboardButton
	today := rota.Day(now, tz)
	for _, t := range turns {
		if t.State != store.ChorePending {
			continue
		}
		if !today.Before(t.Day) {
			buttons = append(buttons, models.InlineKeyboardButton{
				Text: loc.T("chores.button.done", choreVars(loc, t)...), CallbackData: cb("chd", itoa(t.ID))})
		}
		if t.StartsAt.After(now) {
			buttons = append(buttons, models.InlineKeyboardButton{
				Text: loc.T("chores.button.swap", choreVars(loc, t)...), CallbackData: cb("chs", "t", itoa(t.ID))})
		}
	}
	if len(buttons) == 0 {
		return nil
	}
	return inlineRows(buttons, 1)
}

// choreArgs splits callback data after its prefix.
func choreArgs(data string) []string {
	parts := strings.Split(data, ":")
	return parts[1:]
}

func choreID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrStaleButton
	}
	return id, nil
}

// ownTurn returns the resident's own turn named by a button, or
// ErrStaleButton: another's turn is never shown nor changed.
func (h *Chores) ownTurn(ctx context.Context, r *Request, arg string) (store.ChoreTurn, error) {
	id, err := choreID(arg)
	if err != nil {
		return store.ChoreTurn{}, err
	}
	t, err := h.Chores.ChoreTurn(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.PersonID != r.Person.ID) {
		return store.ChoreTurn{}, ErrStaleButton
	}
	return t, err
}

// ChoreDone marks the resident's own turn done ("chd:<turn>").
func (h *Chores) ChoreDone(ctx context.Context, r *Request) error {
	args := choreArgs(r.CallbackData)
	if len(args) != 1 {
		return ErrStaleButton
	}
	t, err := h.ownTurn(ctx, r, args[0])
	if err != nil {
		return err
	}
	switch {
	case t.State == store.ChoreDone:
		return Fail("chores.already_done", choreVars(r.Loc, t)...)
	case t.State != store.ChorePending:
		return ErrStaleButton
	case rota.Day(r.Now, h.Zone).Before(t.Day):
		return Fail("chores.done_too_early", choreVars(r.Loc, t)...)
	}
	_, err = h.Chores.MarkChoreTurn(ctx, r.Person.CentreID, t.ID, r.Person.ID, store.ChoreDone, false, r.Now)
	if err := choreStale(err); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("chores.done_saved", choreVars(r.Loc, t)...), nil)
	return err
}

// choreStale turns a turn not found (gone, or another centre's) into a
// stale button; store.ErrChoreStale gets the same answer from errorMessages.
func choreStale(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	return err
}

// ---- Resident: swaps ----

// ChoreSwapButton lets a resident pick another resident to take one of his
// future turns, a page at a time, and sends the request.
func (h *Chores) ChoreSwapButton(ctx context.Context, r *Request) error {
	args := choreArgs(r.CallbackData)
	if len(args) < 2 {
		return ErrStaleButton
	}
	t, err := h.ownTurn(ctx, r, args[1])
	if err != nil {
		return err
	}
	if t.State != store.ChorePending || !t.StartsAt.After(r.Now) {
		return ErrStaleButton
	}
	members, err := h.Chores.ChoreMembers(ctx, r.Person.CentreID, true)
	if err != nil {
		return err
	}
	members = slices.DeleteFunc(members, func(p store.Person) bool { return p.ID == r.Person.ID })
	text := r.Loc.T("chores.swap.pick_person", choreVars(r.Loc, t)...)
	page := func(n int) *models.InlineKeyboardMarkup {
		return choreMemberPage(r.Loc, members, n, func(p store.Person) string { return cb("chs", "p", itoa(t.ID), itoa(p.ID)) },
			func(n int) string { return cb("chs", "pg", itoa(t.ID), strconv.Itoa(n)) })
	}
	switch {
	case args[0] == "t" && len(args) == 2:
		if len(members) == 0 {
			return Fail("chores.swap.no_one")
		}
		_, err := h.reply(ctx, r, text, page(0))
		return err
	case args[0] == "pg" && len(args) == 3:
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 0 || n*choresPerPage >= len(members) {
			return ErrStaleButton
		}
		return h.editMessage(ctx, r, text, page(n))
	case args[0] == "p" && len(args) == 3:
		to, err := choreID(args[2])
		if err != nil {
			return err
		}
		i := slices.IndexFunc(members, func(p store.Person) bool { return p.ID == to })
		if i < 0 {
			return ErrStaleButton
		}
		_, err = h.Chores.RequestChoreSwap(ctx, r.Person.CentreID, t.ID, r.Person.ID, to, r.Now)
		if err := choreStale(err); err != nil {
			return err
		}
		_, err = h.reply(ctx, r, r.Loc.T("chores.swap.sent", append(choreVars(r.Loc, t), "Name", members[i].DisplayName)...), nil)
		return err
	}
	return ErrStaleButton
}

// choreMemberPage lays out one page of residents, by name and room, with
// arrows to the other pages.
func choreMemberPage(loc *locales.Localizer, members []store.Person, n int, pick func(store.Person) string, turn func(int) string) *models.InlineKeyboardMarkup {
	from := n * choresPerPage
	to := min(from+choresPerPage, len(members))
	var buttons []models.InlineKeyboardButton
	for _, p := range members[from:to] {
		room := p.Room
		if room == "" {
			room = "—"
		}
		buttons = append(buttons, models.InlineKeyboardButton{
			Text: loc.T("chores.member_button", "Name", p.DisplayName, "Room", room), CallbackData: pick(p)})
	}
	kb := inlineRows(buttons, 2)
	var nav []models.InlineKeyboardButton
	if n > 0 {
		nav = append(nav, models.InlineKeyboardButton{Text: loc.T("chores.button.previous"), CallbackData: turn(n - 1)})
	}
	if to < len(members) {
		nav = append(nav, models.InlineKeyboardButton{Text: loc.T("chores.button.more"), CallbackData: turn(n + 1)})
	}
	if len(nav) > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, nav)
	}
	return kb
}

// ChoreSwapAnswer takes the asked resident's Yes or No ("chx:y|n:<swap>").
// Only he can answer, once, while the turn is still the asker's.
func (h *Chores) ChoreSwapAnswer(ctx context.Context, r *Request) error {
	accept, id, err := choreYesNo(r.CallbackData)
	if err != nil {
		return err
	}
	if _, err := h.Chores.AnswerChoreSwap(ctx, r.Person.CentreID, id, r.Person.ID, accept, r.Now); err != nil {
		return choreStale(err)
	}
	msg := "chores.swap.declined_you"
	if accept {
		msg = "chores.swap.accepted_wait"
	}
	_, err = h.reply(ctx, r, r.Loc.T(msg), nil)
	return err
}

// choreYesNo reads a yes/no button about a swap ("<prefix>:y|n:<swap>").
func choreYesNo(data string) (yes bool, id int64, err error) {
	args := choreArgs(data)
	if len(args) != 2 || (args[0] != "y" && args[0] != "n") {
		return false, 0, ErrStaleButton
	}
	id, err = choreID(args[1])
	return args[0] == "y", id, err
}
