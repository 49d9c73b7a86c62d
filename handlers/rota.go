package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/rota"
	"github.com/aurore/cairbot/store"
)

// Rota is the staff's side of the cleaning rota: the week's turns (/rota),
// swap decisions, the areas (/areas) and who is on the rota.
type Rota struct {
	Base
	Chores    ChoreStore
	RotaSetup RotaSetup
}

// The staff's cleaning rota (/rota): a week's turns with marks, moves and
// regeneration, and the staff's decision on a swap residents agreed.
//
// Its buttons are the actions declared below, one route each, and the
// swap decision (choreApproveAction, choreRefuseAction: checked against
// the staff member's centre and the swap as it is now).

// ChoreSwapApprove and ChoreSwapRefuse take a staff member's approval or
// refusal of an accepted swap ("cha:y|n:<swap>"); the first decision
// counts.
func (h *Rota) ChoreSwapApprove(ctx context.Context, r *Request) error {
	return h.swapDecision(ctx, r, choreApproveAction, true)
}

// ChoreSwapRefuse: see ChoreSwapApprove.
func (h *Rota) ChoreSwapRefuse(ctx context.Context, r *Request) error {
	return h.swapDecision(ctx, r, choreRefuseAction, false)
}

func (h *Rota) swapDecision(ctx context.Context, r *Request, a CallbackAction[choreSwapArg], approve bool) error {
	v, err := a.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if _, err := h.Chores.DecideChoreSwap(ctx, r.Person.CentreID, v.Swap, r.Person.ID, approve, r.Now, h.Zone); err != nil {
		return choreStale(err)
	}
	msg := "chores.swap.refused_staff"
	if approve {
		msg = "chores.swap.approved_staff"
	}
	_, err = h.reply(ctx, r, r.Loc.T(msg), nil)
	return err
}

// Rota shows staff this week's rota.
func (h *Rota) Rota(ctx context.Context, r *Request) error {
	text, kb, err := h.rotaView(ctx, r, rota.WeekStart(r.Now, h.Zone))
	if err != nil {
		return err
	}
	_, err = h.reply(ctx, r, text, kb)
	return err
}

// rotaTextLimit keeps the week under Telegram's 4096 characters; the day
// buttons show every turn anyway.
const rotaTextLimit = 3800

// rotaView writes a week's rota, day by day, with its totals and buttons.
func (h *Rota) rotaView(ctx context.Context, r *Request, week time.Time) (string, *models.InlineKeyboardMarkup, error) {
	turns, err := h.Chores.ChoreWeekTurns(ctx, r.Person.CentreID, week)
	if err != nil {
		return "", nil, err
	}
	loc := r.Loc
	monday := rota.At(week, 12*60, h.Zone)
	var b strings.Builder
	b.WriteString(loc.T("chores.rota.title", "Date", loc.F.Date(monday)))
	counts := map[string]int{}
	var days []time.Time
	for i, t := range turns {
		if i == 0 || !t.Day.Equal(turns[i-1].Day) {
			days = append(days, t.Day)
			b.WriteString("\n\n" + loc.T("chores.rota.day", "Day", loc.F.Date(t.StartsAt)))
		}
		b.WriteString("\n" + loc.T(rotaLineMessage(t.State), choreVars(loc, t)...))
		counts[t.State]++
	}
	text := b.String()
	if len(turns) == 0 {
		text += "\n\n" + loc.T("chores.rota.empty")
	}
	if r := []rune(text); len(r) > rotaTextLimit {
		text = string(r[:rotaTextLimit]) + "\n…"
	}
	text += "\n\n" + loc.T("chores.rota.totals", "Done", loc.F.Number(int64(counts[store.ChoreDone])),
		"Pending", loc.F.Number(int64(counts[store.ChorePending])), "Missed", loc.F.Number(int64(counts[store.ChoreMissed])))

	var dayButtons []models.InlineKeyboardButton
	for _, d := range days {
		dayButtons = append(dayButtons, models.InlineKeyboardButton{
			Text:         loc.T("chores.rota.button.day", "Weekday", loc.F.Weekday(rota.At(d, 12*60, h.Zone))),
			CallbackData: rotaDayAction.Data(rotaDate{d})})
	}
	kb := inlineRows(dayButtons, 3)
	current := rota.WeekStart(r.Now, h.Zone)
	var nav []models.InlineKeyboardButton
	if prev := week.AddDate(0, 0, -7); choreWeekInRange(prev, current) {
		nav = append(nav, models.InlineKeyboardButton{Text: loc.T("chores.rota.button.previous_week"), CallbackData: rotaWeekAction.Data(rotaDate{prev})})
	}
	if next := week.AddDate(0, 0, 7); choreWeekInRange(next, current) {
		nav = append(nav, models.InlineKeyboardButton{Text: loc.T("chores.rota.button.next_week"), CallbackData: rotaWeekAction.Data(rotaDate{next})})
	}
	if len(nav) > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, nav)
	}
	if choreRegenerable(week, current) {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: loc.T("chores.rota.button.regenerate"), CallbackData: rotaRegenAskAction.Data(rotaDate{week})}})
	}
	return text, kb, nil
}

func choreWeekInRange(week, current time.Time) bool {
	return !week.Before(current.AddDate(0, 0, -7*choreWeeksBack)) && !week.After(current.AddDate(0, 0, 7*choreWeeksAhead))
}

// choreRegenerable: this week (its future turns) and next week can be made
// again; past weeks are history.
func choreRegenerable(week, current time.Time) bool {
	return week.Equal(current) || week.Equal(current.AddDate(0, 0, 7))
}

// The rota's buttons: one action each, routed by its prefix in
// bot/routes.go. A date is a week's Monday or a day (yyyymmdd); a turn,
// a person and a swap are ids of the staff member's own centre, checked
// against the turn as it is now.
type (
	rotaDate   struct{ Date time.Time }
	rotaTurnID struct{ Turn int64 }
	rotaPage   struct {
		Turn int64
		Page int
	}
	rotaPerson struct{ Turn, Person int64 }
	rotaDayArg struct {
		Turn int64
		Day  time.Time
	}
	rotaNone struct{}
)

var (
	sampleDate = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

	rotaWeekAction      = newAction("chr:w", encRotaDate, decRotaDate, rotaDate{sampleDate})       // show a week
	rotaDayAction       = newAction("chr:d", encRotaDate, decRotaDate, rotaDate{sampleDate})       // the turns of a day
	rotaRegenAskAction  = newAction("chr:rg", encRotaDate, decRotaDate, rotaDate{sampleDate})      // regenerate a week: ask
	rotaRegenAction     = newAction("chr:rgok", encRotaDate, decRotaDate, rotaDate{sampleDate})    // regenerate a week: confirmed
	rotaRegenNoAction   = newAction("chr:rgno", encRotaNone, decRotaNone, rotaNone{})              // do not regenerate
	rotaTurnAction      = newAction("chr:t", encRotaTurn, decRotaTurn, rotaTurnID{42})             // what to do with a turn
	rotaMissedAction    = newAction("chr:x", encRotaTurn, decRotaTurn, rotaTurnID{42})             // mark missed
	rotaDoneAction      = newAction("chr:k", encRotaTurn, decRotaTurn, rotaTurnID{42})             // mark done
	rotaPersonsAction   = newAction("chr:mp", encRotaPage, decRotaPage, rotaPage{42, 0})           // residents to give the turn to
	rotaPersonsPgAction = newAction("chr:mpg", encRotaPage, decRotaPage, rotaPage{42, 3})          // another page of them
	rotaGiveAction      = newAction("chr:mt", encRotaPerson, decRotaPerson, rotaPerson{42, 7})     // give the turn to this resident
	rotaDaysAction      = newAction("chr:md", encRotaTurn, decRotaTurn, rotaTurnID{42})            // days to move the turn to
	rotaMoveDayAction   = newAction("chr:mdd", encRotaDay, decRotaDay, rotaDayArg{42, sampleDate}) // move the turn to this day
)

func encRotaDate(v rotaDate) []string { return []string{v.Date.Format(choreDateArg)} }

func decRotaDate(f []string) (rotaDate, bool) {
	if len(f) != 1 {
		return rotaDate{}, false
	}
	d, ok := dateField(f[0])
	return rotaDate{d}, ok
}

func encRotaNone(rotaNone) []string { return nil }

func decRotaNone(f []string) (rotaNone, bool) { return rotaNone{}, len(f) == 0 }

func encRotaTurn(v rotaTurnID) []string { return []string{itoa(v.Turn)} }

func decRotaTurn(f []string) (rotaTurnID, bool) {
	if len(f) != 1 {
		return rotaTurnID{}, false
	}
	id, ok := idField(f[0])
	return rotaTurnID{id}, ok
}

func encRotaPage(v rotaPage) []string { return []string{itoa(v.Turn), strconv.Itoa(v.Page)} }

func decRotaPage(f []string) (rotaPage, bool) {
	if len(f) != 2 {
		return rotaPage{}, false
	}
	id, ok := idField(f[0])
	n, err := strconv.Atoi(f[1])
	return rotaPage{id, n}, ok && err == nil && n >= 0 && f[1] == strconv.Itoa(n)
}

func encRotaPerson(v rotaPerson) []string { return []string{itoa(v.Turn), itoa(v.Person)} }

func decRotaPerson(f []string) (rotaPerson, bool) {
	if len(f) != 2 {
		return rotaPerson{}, false
	}
	id, ok1 := idField(f[0])
	to, ok2 := idField(f[1])
	return rotaPerson{id, to}, ok1 && ok2
}

func encRotaDay(v rotaDayArg) []string { return []string{itoa(v.Turn), v.Day.Format(choreDateArg)} }

func decRotaDay(f []string) (rotaDayArg, bool) {
	if len(f) != 2 {
		return rotaDayArg{}, false
	}
	id, ok1 := idField(f[0])
	d, ok2 := dateField(f[1])
	return rotaDayArg{id, d}, ok1 && ok2
}

// RotaWeek shows another week in place of the one shown.
func (h *Rota) RotaWeek(ctx context.Context, r *Request) error {
	v, err := rotaWeekAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	week := v.Date
	if week.Weekday() != time.Monday || !choreWeekInRange(week, rota.WeekStart(r.Now, h.Zone)) {
		return ErrStaleButton
	}
	text, kb, err := h.rotaView(ctx, r, week)
	if err != nil {
		return err
	}
	return h.editMessage(ctx, r, text, kb)
}

// RotaDay lists a day's turns as buttons.
func (h *Rota) RotaDay(ctx context.Context, r *Request) error {
	v, err := rotaDayAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	return h.rotaDay(ctx, r, v.Date, rota.WeekStart(r.Now, h.Zone))
}

// RotaRegenerateAsk asks to confirm making a week's rota again.
func (h *Rota) RotaRegenerateAsk(ctx context.Context, r *Request) error {
	v, err := rotaRegenAskAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	week := v.Date
	if !choreRegenerable(week, rota.WeekStart(r.Now, h.Zone)) {
		return ErrStaleButton
	}
	kb := inlineRows([]models.InlineKeyboardButton{
		{Text: r.Loc.T("button.confirm"), CallbackData: rotaRegenAction.Data(rotaDate{week})},
		{Text: r.Loc.T("button.cancel"), CallbackData: rotaRegenNoAction.Data(rotaNone{})},
	}, 2)
	_, err = h.reply(ctx, r, r.Loc.T("chores.rota.regen_confirm", "Date", r.Loc.F.Date(rota.At(week, 12*60, h.Zone))), kb)
	return err
}

// RotaRegenerate makes the week's rota again, once confirmed.
func (h *Rota) RotaRegenerate(ctx context.Context, r *Request) error {
	v, err := rotaRegenAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	return h.rotaRegenerate(ctx, r, v.Date, rota.WeekStart(r.Now, h.Zone))
}

// RotaRegenerateNo leaves the week as it is.
func (h *Rota) RotaRegenerateNo(ctx context.Context, r *Request) error {
	if _, err := rotaRegenNoAction.Parse(r.CallbackData); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("cancel.done"), nil)
	return err
}

// rotaTurnOf loads a turn of the staff member's centre named by a button.
func (h *Rota) rotaTurnOf(ctx context.Context, r *Request, id int64) (store.ChoreTurn, error) {
	t, err := h.Chores.ChoreTurn(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ChoreTurn{}, ErrStaleButton
	}
	return t, err
}

// RotaTurn offers what can be done with a turn.
func (h *Rota) RotaTurn(ctx context.Context, r *Request) error {
	return h.onTurn(ctx, r, rotaTurnAction, h.rotaTurn)
}

// RotaMissed marks a started turn missed.
func (h *Rota) RotaMissed(ctx context.Context, r *Request) error {
	return h.onTurn(ctx, r, rotaMissedAction, func(ctx context.Context, r *Request, t store.ChoreTurn) error {
		return h.rotaMark(ctx, r, t, true)
	})
}

// RotaDone marks a started turn done.
func (h *Rota) RotaDone(ctx context.Context, r *Request) error {
	return h.onTurn(ctx, r, rotaDoneAction, func(ctx context.Context, r *Request, t store.ChoreTurn) error {
		return h.rotaMark(ctx, r, t, false)
	})
}

// RotaPickDay offers the days to move a turn to.
func (h *Rota) RotaPickDay(ctx context.Context, r *Request) error {
	return h.onTurn(ctx, r, rotaDaysAction, h.rotaPickDay)
}

// onTurn decodes a button naming one turn and acts on that turn.
func (h *Rota) onTurn(ctx context.Context, r *Request, a CallbackAction[rotaTurnID], act func(context.Context, *Request, store.ChoreTurn) error) error {
	v, err := a.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	t, err := h.rotaTurnOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	return act(ctx, r, t)
}

// RotaPickPerson shows the first page of residents to give a turn to.
func (h *Rota) RotaPickPerson(ctx context.Context, r *Request) error {
	return h.pickPersonPage(ctx, r, rotaPersonsAction, false)
}

// RotaPickPersonPage shows another page of them, in place.
func (h *Rota) RotaPickPersonPage(ctx context.Context, r *Request) error {
	return h.pickPersonPage(ctx, r, rotaPersonsPgAction, true)
}

func (h *Rota) pickPersonPage(ctx context.Context, r *Request, a CallbackAction[rotaPage], edit bool) error {
	v, err := a.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	t, err := h.rotaTurnOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	return h.rotaPickPerson(ctx, r, t, edit, v.Page)
}

// RotaGive gives a turn to the resident chosen.
func (h *Rota) RotaGive(ctx context.Context, r *Request) error {
	v, err := rotaGiveAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	t, err := h.rotaTurnOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	return h.rotaMove(ctx, r, t, store.ChoreMove{PersonID: v.Person})
}

// RotaMoveToDay moves a turn to the day chosen.
func (h *Rota) RotaMoveToDay(ctx context.Context, r *Request) error {
	v, err := rotaMoveDayAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	t, err := h.rotaTurnOf(ctx, r, v.Turn)
	if err != nil {
		return err
	}
	return h.rotaMove(ctx, r, t, store.ChoreMove{Day: v.Day})
}

// rotaDay lists a day's turns as buttons.
func (h *Rota) rotaDay(ctx context.Context, r *Request, day, current time.Time) error {
	week := rota.WeekStart(day, time.UTC)
	if !choreWeekInRange(week, current) {
		return ErrStaleButton
	}
	turns, err := h.Chores.ChoreWeekTurns(ctx, r.Person.CentreID, week)
	if err != nil {
		return err
	}
	var buttons []models.InlineKeyboardButton
	for _, t := range turns {
		if t.Day.Equal(day) {
			buttons = append(buttons, models.InlineKeyboardButton{
				Text: r.Loc.T(rotaLineMessage(t.State), choreVars(r.Loc, t)...), CallbackData: rotaTurnAction.Data(rotaTurnID{t.ID})})
		}
	}
	if len(buttons) == 0 {
		return ErrStaleButton
	}
	_, err = h.reply(ctx, r, r.Loc.T("chores.rota.day_title", "Day", r.Loc.F.Date(rota.At(day, 12*60, h.Zone))), inlineRows(buttons, 1))
	return err
}

// rotaTurn offers what can be done with a turn: mark it once it started,
// move it while it has not.
func (h *Rota) rotaTurn(ctx context.Context, r *Request, t store.ChoreTurn) error {
	line := r.Loc.T(rotaLineMessage(t.State), choreVars(r.Loc, t)...)
	var buttons []models.InlineKeyboardButton
	switch {
	case t.State != store.ChorePending:
	case t.StartsAt.After(r.Now):
		buttons = []models.InlineKeyboardButton{
			{Text: r.Loc.T("chores.rota.button.other_person"), CallbackData: rotaPersonsAction.Data(rotaPage{t.ID, 0})},
			{Text: r.Loc.T("chores.rota.button.other_day"), CallbackData: rotaDaysAction.Data(rotaTurnID{t.ID})},
		}
	default:
		buttons = []models.InlineKeyboardButton{
			{Text: r.Loc.T("chores.rota.button.missed"), CallbackData: rotaMissedAction.Data(rotaTurnID{t.ID})},
			{Text: r.Loc.T("chores.rota.button.done"), CallbackData: rotaDoneAction.Data(rotaTurnID{t.ID})},
		}
	}
	if len(buttons) == 0 {
		_, err := h.reply(ctx, r, line, nil)
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("chores.rota.turn", "Turn", line), inlineRows(buttons, 2))
	return err
}

// rotaMark marks a started turn missed or done.
func (h *Rota) rotaMark(ctx context.Context, r *Request, t store.ChoreTurn, missed bool) error {
	if t.State != store.ChorePending {
		return ErrStaleButton
	}
	if t.StartsAt.After(r.Now) {
		return Fail("chores.rota.too_early", choreVars(r.Loc, t)...)
	}
	state, msg := store.ChoreDone, "chores.rota.marked_done"
	if missed {
		state, msg = store.ChoreMissed, "chores.rota.marked_missed"
	}
	if _, err := h.Chores.MarkChoreTurn(ctx, r.Person.CentreID, t.ID, r.Person.ID, state, true, r.Now); err != nil {
		return choreStale(err)
	}
	_, err := h.reply(ctx, r, r.Loc.T(msg, choreVars(r.Loc, t)...), nil)
	return err
}

// movable: staff move only pending turns that have not started.
func choreMovable(t store.ChoreTurn, now time.Time) bool {
	return t.State == store.ChorePending && t.StartsAt.After(now)
}

// rotaPickPerson shows a page of residents to give the turn to.
func (h *Rota) rotaPickPerson(ctx context.Context, r *Request, t store.ChoreTurn, edit bool, n int) error {
	if !choreMovable(t, r.Now) {
		return ErrStaleButton
	}
	members, err := h.Chores.ChoreMembers(ctx, r.Person.CentreID, false)
	if err != nil {
		return err
	}
	members = slices.DeleteFunc(members, func(p store.Person) bool { return p.ID == t.PersonID })
	if n > 0 && n*choresPerPage >= len(members) {
		return ErrStaleButton
	}
	if len(members) == 0 {
		return Fail("chores.swap.no_one")
	}
	text := r.Loc.T("chores.rota.pick_person", choreVars(r.Loc, t)...)
	kb := choreMemberPage(r.Loc, members, n, func(p store.Person) string { return rotaGiveAction.Data(rotaPerson{t.ID, p.ID}) },
		func(n int) string { return rotaPersonsPgAction.Data(rotaPage{t.ID, n}) })
	if edit {
		return h.editMessage(ctx, r, text, kb)
	}
	_, err = h.reply(ctx, r, text, kb)
	return err
}

// rotaPickDay offers the other days of the turn's week still to come.
func (h *Rota) rotaPickDay(ctx context.Context, r *Request, t store.ChoreTurn) error {
	if !choreMovable(t, r.Now) {
		return ErrStaleButton
	}
	today := rota.Day(r.Now, h.Zone)
	var buttons []models.InlineKeyboardButton
	for i := range 7 {
		d := t.Week.AddDate(0, 0, i)
		if d.Equal(t.Day) || d.Before(today) {
			continue
		}
		noon := rota.At(d, 12*60, h.Zone)
		buttons = append(buttons, models.InlineKeyboardButton{
			Text: r.Loc.T("chores.rota.button.day", "Weekday", r.Loc.F.Weekday(noon)), CallbackData: rotaMoveDayAction.Data(rotaDayArg{t.ID, d})})
	}
	if len(buttons) == 0 {
		return ErrStaleButton
	}
	_, err := h.reply(ctx, r, r.Loc.T("chores.rota.pick_day", choreVars(r.Loc, t)...), inlineRows(buttons, 3))
	return err
}

// rotaMove gives a turn to another resident or moves it to another day.
func (h *Rota) rotaMove(ctx context.Context, r *Request, t store.ChoreTurn, mv store.ChoreMove) error {
	moved, err := h.Chores.MoveChoreTurn(ctx, r.Person.CentreID, t.ID, r.Person.ID, mv, r.Now, h.Zone)
	if errors.Is(err, store.ErrChoreDayTaken) {
		return Fail("chores.rota.day_taken", choreVars(r.Loc, t)...)
	}
	if err != nil {
		return choreStale(err)
	}
	_, err = h.reply(ctx, r, r.Loc.T("chores.rota.moved", choreVars(r.Loc, moved)...), nil)
	return err
}

// rotaRegenerate makes a week's rota again: only its future pending turns
// change. The week, if it had not been announced yet (a rota made for the
// first time in mid-week), is announced to the residents.
func (h *Rota) rotaRegenerate(ctx context.Context, r *Request, week, current time.Time) error {
	if !choreRegenerable(week, current) {
		return ErrStaleButton
	}
	n, err := h.Chores.GenerateChoreWeek(ctx, r.Person.CentreID, week,
		store.ChoreGenerate{Now: r.Now, Loc: h.Zone, Actor: &r.Person.ID})
	if err != nil {
		return err
	}
	if week.Equal(current) {
		if _, err := h.Chores.AnnounceChoreWeek(ctx, r.Person.CentreID, week, r.Now); err != nil {
			return err
		}
	}
	_, err = h.reply(ctx, r, r.Loc.T("chores.rota.regen_done", "Count", r.Loc.F.Number(int64(n))), nil)
	return err
}
