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
// Callback data (all validated against the person, his centre and the
// current state of the turn or swap; anything else is a stale button):
//
//	cha:y|n:<swap>                staff: approve or refuse a swap
//	chr:w:<yyyymmdd>              staff: show a week
//	chr:d:<yyyymmdd>              staff: the turns of a day
//	chr:t:<turn>                  staff: what to do with a turn
//	chr:x|k:<turn>                staff: mark missed | done
//	chr:mp|mpg:<turn>:<page>      staff: residents to move the turn to
//	chr:mt:<turn>:<person>        staff: move the turn to this resident
//	chr:md:<turn>                 staff: days to move the turn to
//	chr:mdd:<turn>:<yyyymmdd>     staff: move the turn to this day
//	chr:rg|rgok:<yyyymmdd>        staff: regenerate a week (ask, confirmed)
//	chr:rgno                      staff: do not regenerate

// ChoreSwapDecision takes a staff member's approval or refusal of an
// accepted swap ("cha:y|n:<swap>"); the first decision counts.
func (h *Rota) ChoreSwapDecision(ctx context.Context, r *Request) error {
	approve, id, err := choreYesNo(r.CallbackData)
	if err != nil {
		return err
	}
	if _, err := h.Chores.DecideChoreSwap(ctx, r.Person.CentreID, id, r.Person.ID, approve, r.Now, h.Zone); err != nil {
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
			CallbackData: cb("chr", "d", d.Format(choreDateArg))})
	}
	kb := inlineRows(dayButtons, 3)
	current := rota.WeekStart(r.Now, h.Zone)
	var nav []models.InlineKeyboardButton
	if prev := week.AddDate(0, 0, -7); choreWeekInRange(prev, current) {
		nav = append(nav, models.InlineKeyboardButton{Text: loc.T("chores.rota.button.previous_week"), CallbackData: cb("chr", "w", prev.Format(choreDateArg))})
	}
	if next := week.AddDate(0, 0, 7); choreWeekInRange(next, current) {
		nav = append(nav, models.InlineKeyboardButton{Text: loc.T("chores.rota.button.next_week"), CallbackData: cb("chr", "w", next.Format(choreDateArg))})
	}
	if len(nav) > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, nav)
	}
	if choreRegenerable(week, current) {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: loc.T("chores.rota.button.regenerate"), CallbackData: cb("chr", "rg", week.Format(choreDateArg))}})
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

// choreDateFrom reads a date button argument.
func choreDateFrom(s string) (time.Time, error) {
	d, err := time.Parse(choreDateArg, s)
	if err != nil {
		return time.Time{}, ErrStaleButton
	}
	return d, nil
}

// RotaButton handles the staff's rota buttons ("chr:…").
func (h *Rota) RotaButton(ctx context.Context, r *Request) error {
	args := choreArgs(r.CallbackData)
	if len(args) == 0 {
		return ErrStaleButton
	}
	op, args := args[0], args[1:]
	current := rota.WeekStart(r.Now, h.Zone)
	switch {
	case op == "w" && len(args) == 1:
		week, err := choreDateFrom(args[0])
		if err != nil || week.Weekday() != time.Monday || !choreWeekInRange(week, current) {
			return ErrStaleButton
		}
		text, kb, err := h.rotaView(ctx, r, week)
		if err != nil {
			return err
		}
		return h.editMessage(ctx, r, text, kb)
	case op == "d" && len(args) == 1:
		return h.rotaDay(ctx, r, args[0], current)
	case op == "rg" && len(args) == 1:
		week, err := choreDateFrom(args[0])
		if err != nil || !choreRegenerable(week, current) {
			return ErrStaleButton
		}
		kb := inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("button.confirm"), CallbackData: cb("chr", "rgok", args[0])},
			{Text: r.Loc.T("button.cancel"), CallbackData: cb("chr", "rgno")},
		}, 2)
		_, err = h.reply(ctx, r, r.Loc.T("chores.rota.regen_confirm", "Date", r.Loc.F.Date(rota.At(week, 12*60, h.Zone))), kb)
		return err
	case op == "rgok" && len(args) == 1:
		return h.rotaRegenerate(ctx, r, args[0], current)
	case op == "rgno" && len(args) == 0:
		_, err := h.reply(ctx, r, r.Loc.T("cancel.done"), nil)
		return err
	}
	// The rest acts on one turn of the staff member's centre.
	if len(args) == 0 {
		return ErrStaleButton
	}
	id, err := choreID(args[0])
	if err != nil {
		return err
	}
	t, err := h.Chores.ChoreTurn(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	args = args[1:]
	switch {
	case op == "t" && len(args) == 0:
		return h.rotaTurn(ctx, r, t)
	case (op == "x" || op == "k") && len(args) == 0:
		return h.rotaMark(ctx, r, t, op == "x")
	case (op == "mp" || op == "mpg") && len(args) == 1:
		return h.rotaPickPerson(ctx, r, t, op == "mpg", args[0])
	case op == "mt" && len(args) == 1:
		to, err := choreID(args[0])
		if err != nil {
			return err
		}
		return h.rotaMove(ctx, r, t, store.ChoreMove{PersonID: to})
	case op == "md" && len(args) == 0:
		return h.rotaPickDay(ctx, r, t)
	case op == "mdd" && len(args) == 1:
		day, err := choreDateFrom(args[0])
		if err != nil {
			return err
		}
		return h.rotaMove(ctx, r, t, store.ChoreMove{Day: day})
	}
	return ErrStaleButton
}

// rotaDay lists a day's turns as buttons.
func (h *Rota) rotaDay(ctx context.Context, r *Request, arg string, current time.Time) error {
	day, err := choreDateFrom(arg)
	if err != nil {
		return err
	}
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
				Text: r.Loc.T(rotaLineMessage(t.State), choreVars(r.Loc, t)...), CallbackData: cb("chr", "t", itoa(t.ID))})
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
			{Text: r.Loc.T("chores.rota.button.other_person"), CallbackData: cb("chr", "mp", itoa(t.ID), "0")},
			{Text: r.Loc.T("chores.rota.button.other_day"), CallbackData: cb("chr", "md", itoa(t.ID))},
		}
	default:
		buttons = []models.InlineKeyboardButton{
			{Text: r.Loc.T("chores.rota.button.missed"), CallbackData: cb("chr", "x", itoa(t.ID))},
			{Text: r.Loc.T("chores.rota.button.done"), CallbackData: cb("chr", "k", itoa(t.ID))},
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
func (h *Rota) rotaPickPerson(ctx context.Context, r *Request, t store.ChoreTurn, edit bool, pageArg string) error {
	if !choreMovable(t, r.Now) {
		return ErrStaleButton
	}
	members, err := h.Chores.ChoreMembers(ctx, r.Person.CentreID, false)
	if err != nil {
		return err
	}
	members = slices.DeleteFunc(members, func(p store.Person) bool { return p.ID == t.PersonID })
	n, err := strconv.Atoi(pageArg)
	if err != nil || n < 0 || (n > 0 && n*choresPerPage >= len(members)) {
		return ErrStaleButton
	}
	if len(members) == 0 {
		return Fail("chores.swap.no_one")
	}
	text := r.Loc.T("chores.rota.pick_person", choreVars(r.Loc, t)...)
	kb := choreMemberPage(r.Loc, members, n, func(p store.Person) string { return cb("chr", "mt", itoa(t.ID), itoa(p.ID)) },
		func(n int) string { return cb("chr", "mpg", itoa(t.ID), strconv.Itoa(n)) })
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
			Text: r.Loc.T("chores.rota.button.day", "Weekday", r.Loc.F.Weekday(noon)), CallbackData: cb("chr", "mdd", itoa(t.ID), d.Format(choreDateArg))})
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
func (h *Rota) rotaRegenerate(ctx context.Context, r *Request, arg string, current time.Time) error {
	week, err := choreDateFrom(arg)
	if err != nil || !choreRegenerable(week, current) {
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
