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
	ChoreTurnsEndingAt(ctx context.Context, centreID int64, end time.Time, limit int) ([]store.ChoreTurn, int, error)
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
				Text: loc.T("chores.button.done", choreVars(loc, t)...), CallbackData: choreDoneAction.Data(choreTurnArg{t.ID})})
		}
		if t.StartsAt.After(now) {
			buttons = append(buttons, models.InlineKeyboardButton{
				Text: loc.T("chores.button.swap", choreVars(loc, t)...), CallbackData: choreSwapAskAction.Data(choreTurnArg{t.ID})})
		}
	}
	if len(buttons) == 0 {
		return nil
	}
	return inlineRows(buttons, 1)
}

// The residents' chore buttons: one action each, routed by its prefix in
// bot/routes.go. A turn is the resident's own, a swap one he is asked
// about, checked as they are now; anything else is a stale button.
type (
	choreTurnArg  struct{ Turn int64 }
	choreSwapPage struct {
		Turn int64
		Page int
	}
	choreSwapPick struct{ Turn, Person int64 }
	choreSwapArg  struct{ Swap int64 }
)

var (
	choreDoneAction     = newAction("chd", encChoreTurn, decChoreTurn, choreTurnArg{42})                // my turn is done
	choreSwapAskAction  = newAction("chs:t", encChoreTurn, decChoreTurn, choreTurnArg{42})              // swap this turn: whom?
	choreSwapPageAction = newAction("chs:pg", encChoreSwapPage, decChoreSwapPage, choreSwapPage{42, 2}) // another page of residents
	choreSwapToAction   = newAction("chs:p", encChoreSwapPick, decChoreSwapPick, choreSwapPick{42, 7})  // ask this resident
	choreAcceptAction   = newAction("chx:y", encChoreSwap, decChoreSwap, choreSwapArg{9})               // the asked resident accepts
	choreDeclineAction  = newAction("chx:n", encChoreSwap, decChoreSwap, choreSwapArg{9})               // he declines
	choreApproveAction  = newAction("cha:y", encChoreSwap, decChoreSwap, choreSwapArg{9})               // staff approve the swap
	choreRefuseAction   = newAction("cha:n", encChoreSwap, decChoreSwap, choreSwapArg{9})               // staff refuse it
)

func encChoreTurn(v choreTurnArg) []string { return []string{itoa(v.Turn)} }

func decChoreTurn(f []string) (choreTurnArg, bool) {
	if len(f) != 1 {
		return choreTurnArg{}, false
	}
	id, ok := idField(f[0])
	return choreTurnArg{id}, ok
}

func encChoreSwapPage(v choreSwapPage) []string { return []string{itoa(v.Turn), strconv.Itoa(v.Page)} }

func decChoreSwapPage(f []string) (choreSwapPage, bool) {
	if len(f) != 2 {
		return choreSwapPage{}, false
	}
	id, ok := idField(f[0])
	n, err := strconv.Atoi(f[1])
	// a page past the list is refused once the residents are known
	return choreSwapPage{id, n}, ok && err == nil && n >= 0 && f[1] == strconv.Itoa(n)
}

func encChoreSwapPick(v choreSwapPick) []string { return []string{itoa(v.Turn), itoa(v.Person)} }

func decChoreSwapPick(f []string) (choreSwapPick, bool) {
	if len(f) != 2 {
		return choreSwapPick{}, false
	}
	id, ok1 := idField(f[0])
	to, ok2 := idField(f[1])
	return choreSwapPick{id, to}, ok1 && ok2
}

func encChoreSwap(v choreSwapArg) []string { return []string{itoa(v.Swap)} }

func decChoreSwap(f []string) (choreSwapArg, bool) {
	if len(f) != 1 {
		return choreSwapArg{}, false
	}
	id, ok := idField(f[0])
	return choreSwapArg{id}, ok
}

// ownTurn returns the resident's own turn named by a button, or
// ErrStaleButton: another's turn is never shown nor changed.
func (h *Chores) ownTurn(ctx context.Context, r *Request, id int64) (store.ChoreTurn, error) {
	t, err := h.Chores.ChoreTurn(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.PersonID != r.Person.ID) {
		return store.ChoreTurn{}, ErrStaleButton
	}
	return t, err
}

// ChoreDone marks the resident's own turn done ("chd:<turn>").
func (h *Chores) ChoreDone(ctx context.Context, r *Request) error {
	v, err := choreDoneAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	t, err := h.ownTurn(ctx, r, v.Turn)
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

// ChoreSwapAsk lets a resident pick another resident to take one of his
// future turns, a page at a time.
func (h *Chores) ChoreSwapAsk(ctx context.Context, r *Request) error {
	v, err := choreSwapAskAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	sw, err := h.swapOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	if len(sw.members) == 0 {
		return Fail("chores.swap.no_one")
	}
	_, err = h.reply(ctx, r, sw.text, sw.page(0))
	return err
}

// ChoreSwapPage shows another page of the residents, in place.
func (h *Chores) ChoreSwapPage(ctx context.Context, r *Request) error {
	v, err := choreSwapPageAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	sw, err := h.swapOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	if v.Page*choresPerPage >= len(sw.members) {
		return ErrStaleButton
	}
	return h.editMessage(ctx, r, sw.text, sw.page(v.Page))
}

// ChoreSwapTo sends the swap request to the resident picked.
func (h *Chores) ChoreSwapTo(ctx context.Context, r *Request) error {
	v, err := choreSwapToAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	sw, err := h.swapOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(sw.members, func(p store.Person) bool { return p.ID == v.Person })
	if i < 0 {
		return ErrStaleButton
	}
	t := sw.turn
	_, err = h.Chores.RequestChoreSwap(ctx, r.Person.CentreID, t.ID, r.Person.ID, v.Person, r.Now)
	if err := choreStale(err); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("chores.swap.sent", append(choreVars(r.Loc, t), "Name", sw.members[i].DisplayName)...), nil)
	return err
}

// choreSwapPicker is a resident's future turn being offered for a swap and
// the residents he can offer it to.
type choreSwapPicker struct {
	turn    store.ChoreTurn
	members []store.Person
	text    string
	page    func(n int) *models.InlineKeyboardMarkup
}

// swapOf loads the resident's own turn a swap button names, still to
// come, and the other residents.
func (h *Chores) swapOf(ctx context.Context, r *Request, turn int64) (choreSwapPicker, error) {
	t, err := h.ownTurn(ctx, r, turn)
	if err != nil {
		return choreSwapPicker{}, err
	}
	if t.State != store.ChorePending || !t.StartsAt.After(r.Now) {
		return choreSwapPicker{}, ErrStaleButton
	}
	members, err := h.Chores.ChoreMembers(ctx, r.Person.CentreID, true)
	if err != nil {
		return choreSwapPicker{}, err
	}
	members = slices.DeleteFunc(members, func(p store.Person) bool { return p.ID == r.Person.ID })
	return choreSwapPicker{turn: t, members: members, text: r.Loc.T("chores.swap.pick_person", choreVars(r.Loc, t)...),
		page: func(n int) *models.InlineKeyboardMarkup {
			return choreMemberPage(r.Loc, members, n, func(p store.Person) string { return choreSwapToAction.Data(choreSwapPick{t.ID, p.ID}) },
				func(n int) string { return choreSwapPageAction.Data(choreSwapPage{t.ID, n}) })
		}}, nil
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

// ChoreSwapAccept and ChoreSwapDecline take the asked resident's Yes or
// No ("chx:y|n:<swap>"). Only he can answer, once, while the turn is
// still the asker's.
func (h *Chores) ChoreSwapAccept(ctx context.Context, r *Request) error {
	return h.swapAnswer(ctx, r, choreAcceptAction, true)
}

// ChoreSwapDecline: see ChoreSwapAccept.
func (h *Chores) ChoreSwapDecline(ctx context.Context, r *Request) error {
	return h.swapAnswer(ctx, r, choreDeclineAction, false)
}

func (h *Chores) swapAnswer(ctx context.Context, r *Request, a CallbackAction[choreSwapArg], accept bool) error {
	v, err := a.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if _, err := h.Chores.AnswerChoreSwap(ctx, r.Person.CentreID, v.Swap, r.Person.ID, accept, r.Now); err != nil {
		return choreStale(err)
	}
	msg := "chores.swap.declined_you"
	if accept {
		msg = "chores.swap.accepted_wait"
	}
	_, err = h.reply(ctx, r, r.Loc.T(msg), nil)
	return err
}
