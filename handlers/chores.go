package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Cleaning of common areas: a resident's turns (/chores), Done, swaps with
// another resident approved by staff, the staff's rota (/rota) with marks,
// moves and regeneration, the Monday message, reminders the evening before
// and the morning of a turn, and the report to staff of a turn not done.
//
// Callback data (all validated against the person, his centre and the
// current state of the turn or swap; anything else is a stale button):
//
//	chd:<turn>                    resident: my turn is done
//	chs:t:<turn>                  resident: swap this turn, show residents
//	chs:pg:<turn>:<page>          resident: another page of residents
//	chs:p:<turn>:<person>         resident: ask this resident
//	chx:y|n:<swap>                asked resident: accept or decline
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

// Times on the centre's wall clock (the reminders' are in store).
const (
	choreMorningHour = store.ChoreMorningHour // the Monday job, and the first hour for its message
	choreQuietHour   = 21                     // no Monday message from 21:00 until 08:00
	choresPerPage    = 8                      // residents per page of a picker
	choreDateArg     = "20060102"
	// How far staff can page through weeks.
	choreWeeksBack, choreWeeksAhead = 8, 4
)

// Chores is what the chores handlers and jobs need from storage. The store
// writes every message a change causes to the outbox in the change's own
// transaction; the outbox kinds below render them when they leave.
type Chores interface {
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
func (h *Handlers) ChoresShow(ctx context.Context, r *Request) error {
	week := store.ChoreWeekStart(r.Now, h.Zone)
	turns, err := h.Chores.PersonChoreTurns(ctx, r.Person.CentreID, r.Person.ID,
		store.ChoreAt(week, 0, h.Zone), store.ChoreAt(week.AddDate(0, 0, 14), 0, h.Zone))
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
	today := store.ChoreDay(now, tz)
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
func (h *Handlers) ownTurn(ctx context.Context, r *Request, arg string) (store.ChoreTurn, error) {
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
func (h *Handlers) ChoreDone(ctx context.Context, r *Request) error {
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
	case store.ChoreDay(r.Now, h.Zone).Before(t.Day):
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
func (h *Handlers) ChoreSwapButton(ctx context.Context, r *Request) error {
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
		return h.choreEdit(ctx, r, text, page(n))
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

// choreEdit replaces the text and buttons of the message whose button was
// pressed (paging through a list).
func (h *Handlers) choreEdit(ctx context.Context, r *Request, text string, kb *models.InlineKeyboardMarkup) error {
	_, err := h.Send.EditMessageText(ctx, &tgbot.EditMessageTextParams{
		ChatID: r.ChatID, MessageID: r.MessageID, Text: text, ReplyMarkup: kb})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil // the same page pressed twice: it is already shown
	}
	if err != nil {
		return fmt.Errorf("handlers: edit chores list: %w", err)
	}
	return nil
}

// ChoreSwapAnswer takes the asked resident's Yes or No ("chx:y|n:<swap>").
// Only he can answer, once, while the turn is still the asker's.
func (h *Handlers) ChoreSwapAnswer(ctx context.Context, r *Request) error {
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

// ChoreSwapDecision takes a staff member's approval or refusal of an
// accepted swap ("cha:y|n:<swap>"); the first decision counts.
func (h *Handlers) ChoreSwapDecision(ctx context.Context, r *Request) error {
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

// choreYesNo reads a yes/no button about a swap ("<prefix>:y|n:<swap>").
func choreYesNo(data string) (yes bool, id int64, err error) {
	args := choreArgs(data)
	if len(args) != 2 || (args[0] != "y" && args[0] != "n") {
		return false, 0, ErrStaleButton
	}
	id, err = choreID(args[1])
	return args[0] == "y", id, err
}

// ---- Staff: /rota ----

// Rota shows staff this week's rota.
func (h *Handlers) Rota(ctx context.Context, r *Request) error {
	text, kb, err := h.rotaView(ctx, r, store.ChoreWeekStart(r.Now, h.Zone))
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
func (h *Handlers) rotaView(ctx context.Context, r *Request, week time.Time) (string, *models.InlineKeyboardMarkup, error) {
	turns, err := h.Chores.ChoreWeekTurns(ctx, r.Person.CentreID, week)
	if err != nil {
		return "", nil, err
	}
	loc := r.Loc
	monday := store.ChoreAt(week, 12*60, h.Zone)
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
			Text:         loc.T("chores.rota.button.day", "Weekday", loc.F.Weekday(store.ChoreAt(d, 12*60, h.Zone))),
			CallbackData: cb("chr", "d", d.Format(choreDateArg))})
	}
	kb := inlineRows(dayButtons, 3)
	current := store.ChoreWeekStart(r.Now, h.Zone)
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
func (h *Handlers) RotaButton(ctx context.Context, r *Request) error {
	args := choreArgs(r.CallbackData)
	if len(args) == 0 {
		return ErrStaleButton
	}
	op, args := args[0], args[1:]
	current := store.ChoreWeekStart(r.Now, h.Zone)
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
		return h.choreEdit(ctx, r, text, kb)
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
		_, err = h.reply(ctx, r, r.Loc.T("chores.rota.regen_confirm", "Date", r.Loc.F.Date(store.ChoreAt(week, 12*60, h.Zone))), kb)
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
func (h *Handlers) rotaDay(ctx context.Context, r *Request, arg string, current time.Time) error {
	day, err := choreDateFrom(arg)
	if err != nil {
		return err
	}
	week := store.ChoreWeekStart(day, time.UTC)
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
	_, err = h.reply(ctx, r, r.Loc.T("chores.rota.day_title", "Day", r.Loc.F.Date(store.ChoreAt(day, 12*60, h.Zone))), inlineRows(buttons, 1))
	return err
}

// rotaTurn offers what can be done with a turn: mark it once it started,
// move it while it has not.
func (h *Handlers) rotaTurn(ctx context.Context, r *Request, t store.ChoreTurn) error {
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
func (h *Handlers) rotaMark(ctx context.Context, r *Request, t store.ChoreTurn, missed bool) error {
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
func (h *Handlers) rotaPickPerson(ctx context.Context, r *Request, t store.ChoreTurn, edit bool, pageArg string) error {
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
		return h.choreEdit(ctx, r, text, kb)
	}
	_, err = h.reply(ctx, r, text, kb)
	return err
}

// rotaPickDay offers the other days of the turn's week still to come.
func (h *Handlers) rotaPickDay(ctx context.Context, r *Request, t store.ChoreTurn) error {
	if !choreMovable(t, r.Now) {
		return ErrStaleButton
	}
	today := store.ChoreDay(r.Now, h.Zone)
	var buttons []models.InlineKeyboardButton
	for i := range 7 {
		d := t.Week.AddDate(0, 0, i)
		if d.Equal(t.Day) || d.Before(today) {
			continue
		}
		noon := store.ChoreAt(d, 12*60, h.Zone)
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
func (h *Handlers) rotaMove(ctx context.Context, r *Request, t store.ChoreTurn, mv store.ChoreMove) error {
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
func (h *Handlers) rotaRegenerate(ctx context.Context, r *Request, arg string, current time.Time) error {
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

// ---- Jobs ----

// ChoresWeeklyArgs is the Monday job: make this week's and next week's
// rota where not made yet, and tell each resident his turns of the week.
// Week is its Monday (2006-01-02); empty means the week of now.
type ChoresWeeklyArgs struct {
	Week string `json:"week,omitempty"`
}

// Kind names the job in River's table.
func (ChoresWeeklyArgs) Kind() string { return "chores_weekly" }

// ChoresWeeklySchedule is when the week's chores job runs: Monday at
// 08:00 in the centre's time zone. The sandbox's clock reads it too.
func ChoresWeeklySchedule(loc *time.Location) Weekly {
	return Weekly{Loc: loc, Day: time.Monday, Hour: choreMorningHour}
}

// choresWeeklyJob is the Monday 08:00 job, run by the elected leader only,
// and once more when a leader starts, so that a Monday spent down is caught
// up (it is idempotent per week).
func (h *Handlers) choresWeeklyJob() *river.PeriodicJob {
	return river.NewPeriodicJob(ChoresWeeklySchedule(h.Zone),
		func() (river.JobArgs, *river.InsertOpts) {
			week := store.ChoreWeekStart(h.Clock(), h.Zone)
			return ChoresWeeklyArgs{Week: week.Format(time.DateOnly)}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		}, &river.PeriodicJobOpts{RunOnStart: true})
}

// ChoresWeeklyWorker runs ChoresWeeklyArgs.
type ChoresWeeklyWorker struct {
	river.WorkerDefaults[ChoresWeeklyArgs]
	h *Handlers
}

// Work makes this week's and next week's rota of every centre where they
// are not made yet, then announces this week, once.
func (w *ChoresWeeklyWorker) Work(ctx context.Context, job *river.Job[ChoresWeeklyArgs]) error {
	h := w.h
	now := h.Clock()
	week := store.ChoreWeekStart(now, h.Zone)
	if job.Args.Week != "" {
		d, err := time.Parse(time.DateOnly, job.Args.Week)
		if err != nil {
			return river.JobCancel(fmt.Errorf("handlers: chores weekly: bad week %q", job.Args.Week))
		}
		week = d
	}
	centres, err := h.Chores.ChoreCentres(ctx)
	if err != nil {
		return err
	}
	for _, c := range centres {
		for _, wk := range []time.Time{week, week.AddDate(0, 0, 7)} {
			if _, err := h.Chores.GenerateChoreWeek(ctx, c, wk, store.ChoreGenerate{Now: now, Loc: h.Zone}); err != nil {
				return err
			}
		}
	}
	// A leader starting at night makes the rota at once but tells the
	// residents in the morning (this same job, snoozed until then).
	if wake, ok := choreWakingHours(now, week, h.Zone); !ok {
		if wake.IsZero() {
			return nil // the week is over
		}
		return river.JobSnooze(wake.Sub(now))
	}
	for _, c := range centres {
		if _, err := h.Chores.AnnounceChoreWeek(ctx, c, week, now); err != nil {
			return err
		}
	}
	return nil
}

// choreWakingHours reports whether now is a decent hour to message
// residents about a week's turns: from Monday 08:00 of that week, between
// 08:00 and 21:00. If not, wake is the next such time within the week
// (zero when there is none).
func choreWakingHours(now, week time.Time, tz *time.Location) (wake time.Time, ok bool) {
	l := now.In(tz)
	start := time.Date(week.Year(), week.Month(), week.Day(), choreMorningHour, 0, 0, 0, tz)
	end := store.ChoreAt(week.AddDate(0, 0, 7), 0, tz)
	if !now.Before(start) && l.Hour() >= choreMorningHour && l.Hour() < choreQuietHour {
		return time.Time{}, true
	}
	wake = time.Date(l.Year(), l.Month(), l.Day(), choreMorningHour, 0, 0, 0, tz)
	if !wake.After(now) {
		wake = time.Date(l.Year(), l.Month(), l.Day()+1, choreMorningHour, 0, 0, 0, tz)
	}
	if wake.Before(start) {
		wake = start
	}
	if !wake.Before(end) {
		return time.Time{}, false
	}
	return wake, false
}

// ---- Messages: outbox kinds ----
//
// The store writes the rows (store.KindChore*) in the transaction of the
// change; these render them in the recipient's language when they leave,
// from the turn and swap as they are then, and cancel (ErrObsolete) what no
// longer applies.

// choreRowID reads an id the store put in a row's variables.
func choreRowID(m store.OutboxRow, name string) (int64, error) {
	id, err := strconv.ParseInt(m.Args[name], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("handlers: chores message %d: %s %q: %w", m.ID, name, m.Args[name], err)
	}
	return id, nil
}

// choreRowTurn is the turn a row is about; a turn removed since (by a
// regeneration) makes the row obsolete.
func (h *Handlers) choreRowTurn(ctx context.Context, m store.OutboxRow) (store.ChoreTurn, error) {
	id, err := choreRowID(m, "turn")
	if err != nil {
		return store.ChoreTurn{}, err
	}
	t, err := h.Chores.ChoreTurn(ctx, m.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ChoreTurn{}, ErrObsolete
	}
	return t, err
}

// choreRowSwap is the swap a row is about, with its two residents.
func (h *Handlers) choreRowSwap(ctx context.Context, m store.OutboxRow) (sw store.ChoreSwap, from, to store.Person, err error) {
	id, err := choreRowID(m, "swap")
	if err != nil {
		return sw, from, to, err
	}
	sw, err = h.Chores.ChoreSwap(ctx, m.CentreID, id)
	if err == nil {
		from, err = h.Lookup.PersonByID(ctx, m.CentreID, sw.FromID)
	}
	if err == nil {
		to, err = h.Lookup.PersonByID(ctx, m.CentreID, sw.ToID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return sw, from, to, ErrObsolete
	}
	return sw, from, to, err
}

// choreSwapOpen: the swap is in the state that asks this question, and
// its turn can still change hands.
func choreSwapOpen(sw store.ChoreSwap, state string, t store.ChoreTurn, now time.Time) bool {
	return sw.State == state && t.State == store.ChorePending && t.PersonID == sw.FromID && t.StartsAt.After(now)
}

// renderChoreWeek is the Monday message: the resident's turns of the week
// still to do when it leaves, with Done and Swap buttons.
func (h *Handlers) renderChoreWeek(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	week, err := time.Parse(time.DateOnly, m.Args["week"])
	if err != nil {
		return Outgoing{}, fmt.Errorf("handlers: chores week message %d: %w", m.ID, err)
	}
	turns, err := h.Chores.PersonChoreTurns(ctx, m.CentreID, p.ID, store.ChoreAt(week, 0, h.Zone), store.ChoreAt(week.AddDate(0, 0, 7), 0, h.Zone))
	if err != nil {
		return Outgoing{}, err
	}
	now := h.Clock()
	turns = slices.DeleteFunc(turns, func(t store.ChoreTurn) bool { return t.State != store.ChorePending || !t.EndsAt.After(now) })
	if len(turns) == 0 {
		return Outgoing{}, ErrObsolete
	}
	return Outgoing{Text: loc.T(m.MsgID) + "\n" + choreLines(loc, turns), Markup: choreTurnButtons(loc, turns, now, h.Zone)}, nil
}

// renderChoreReminder is the evening or morning reminder, while the turn
// is still the resident's, at the time planned, to do, and not over (the
// report to staff covers a turn over). The morning one has Done.
func (h *Handlers) renderChoreReminder(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	t, err := h.choreRowTurn(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	if t.State != store.ChorePending || t.PersonID != p.ID || strconv.Itoa(t.Plan) != m.Args["plan"] || !h.Clock().Before(t.EndsAt) {
		return Outgoing{}, ErrObsolete
	}
	out := Outgoing{Text: loc.T(m.MsgID, choreVars(loc, t)...)}
	if m.Args["what"] == store.ChoreMorning {
		out.Markup = inlineRows([]models.InlineKeyboardButton{
			{Text: loc.T("chores.button.done", choreVars(loc, t)...), CallbackData: cb("chd", itoa(t.ID))}}, 1)
	}
	return out, nil
}

// renderChoreOverdue tells staff of a turn not marked done by its end,
// with the buttons to mark it.
func (h *Handlers) renderChoreOverdue(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	t, err := h.choreRowTurn(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	if t.State != store.ChorePending || strconv.Itoa(t.Plan) != m.Args["plan"] {
		return Outgoing{}, ErrObsolete
	}
	return Outgoing{Text: loc.T(m.MsgID, choreVars(loc, t)...), Markup: inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("chores.rota.button.missed"), CallbackData: cb("chr", "x", itoa(t.ID))},
		{Text: loc.T("chores.rota.button.done"), CallbackData: cb("chr", "k", itoa(t.ID))},
	}, 2)}, nil
}

// renderChoreSwapAsk asks a resident to take another's turn, with Yes and
// No, while the request is open.
func (h *Handlers) renderChoreSwapAsk(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	t, err := h.choreRowTurn(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	sw, from, _, err := h.choreRowSwap(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	if !choreSwapOpen(sw, store.SwapAsked, t, h.Clock()) {
		return Outgoing{}, ErrObsolete
	}
	vars := append(choreVars(loc, t), "Name", from.DisplayName, "Room", choreRoom(from.Room))
	return Outgoing{Text: loc.T(m.MsgID, vars...), Markup: inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("chores.button.accept"), CallbackData: cb("chx", "y", itoa(sw.ID))},
		{Text: loc.T("chores.button.decline"), CallbackData: cb("chx", "n", itoa(sw.ID))},
	}, 2)}, nil
}

// renderChoreSwapStaff asks staff to approve a swap both residents agreed
// on, while no one has decided.
func (h *Handlers) renderChoreSwapStaff(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	t, err := h.choreRowTurn(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	sw, from, to, err := h.choreRowSwap(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	if !choreSwapOpen(sw, store.SwapAccepted, t, h.Clock()) {
		return Outgoing{}, ErrObsolete
	}
	vars := append(choreVars(loc, t), "From", from.DisplayName, "FromRoom", choreRoom(from.Room), "To", to.DisplayName, "ToRoom", choreRoom(to.Room))
	return Outgoing{Text: loc.T(m.MsgID, vars...), Markup: inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("chores.button.approve"), CallbackData: cb("cha", "y", itoa(sw.ID))},
		{Text: loc.T("chores.button.refuse"), CallbackData: cb("cha", "n", itoa(sw.ID))},
	}, 2)}, nil
}

// renderChoreNotice tells of a turn given, moved or missed, or of a swap
// answered or decided, with the turn as it is now; in a swap's messages
// the name is the other resident's (the one asked).
func (h *Handlers) renderChoreNotice(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	t, err := h.choreRowTurn(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	vars := choreVars(loc, t)
	if m.Args["swap"] != "" {
		_, _, to, err := h.choreRowSwap(ctx, m)
		if err != nil {
			return Outgoing{}, err
		}
		vars = append(vars, "Name", to.DisplayName)
	}
	return Outgoing{Text: loc.T(m.MsgID, vars...)}, nil
}

func choreRoom(room string) string {
	if room == "" {
		return "—"
	}
	return room
}

// ---- Jobs queued before the outbox ----
//
// Reminders and messages were River jobs of their own until the outbox.
// Their workers stay only to turn such jobs still queued in a database
// into outbox rows, with the keys the new code and the migration of
// chore_sends (00009) use, so nothing already sent leaves again. They go
// away once no chore_reminder or chore_message job remains.

// ChoreReminderArgs was one reminder of one turn: What is "eve", "morning"
// or "overdue"; At (Unix seconds) is when it was due when planned.
type ChoreReminderArgs struct {
	CentreID int64  `json:"centre_id"`
	TurnID   int64  `json:"turn_id"`
	What     string `json:"what"`
	At       int64  `json:"at"`
}

// Kind names the job in River's table.
func (ChoreReminderArgs) Kind() string { return "chore_reminder" }

// ChoreReminderWorker turns a ChoreReminderArgs job into the reminder's
// outbox rows; a turn moved or marked since has its own rows, and the job
// writes none.
type ChoreReminderWorker struct {
	river.WorkerDefaults[ChoreReminderArgs]
	h *Handlers
}

// Work writes the reminder's rows.
func (w *ChoreReminderWorker) Work(ctx context.Context, job *river.Job[ChoreReminderArgs]) error {
	a := job.Args
	_, err := w.h.Chores.QueueChoreReminder(ctx, a.CentreID, a.TurnID, a.What, a.At, w.h.Clock(), w.h.Zone)
	return err
}

// ChoreMessageArgs was one message about the rota to one person: the
// week's turns (Week set) or a swap or move of a turn.
type ChoreMessageArgs struct {
	CentreID int64  `json:"centre_id"`
	PersonID int64  `json:"person_id"`
	MsgID    string `json:"msg_id"`
	TurnID   int64  `json:"turn_id,omitempty"`
	SwapID   int64  `json:"swap_id,omitempty"`
	Week     string `json:"week,omitempty"`
}

// Kind names the job in River's table.
func (ChoreMessageArgs) Kind() string { return "chore_message" }

// ChoreMessageWorker turns a ChoreMessageArgs job into its outbox row: the
// week's message with the key the Monday job uses, any other with the
// job's own key ("chores:job:<id>", as chore_sends had "job:<id>").
type ChoreMessageWorker struct {
	river.WorkerDefaults[ChoreMessageArgs]
	h *Handlers
}

// Work writes the message's row.
func (w *ChoreMessageWorker) Work(ctx context.Context, job *river.Job[ChoreMessageArgs]) error {
	h, a := w.h, job.Args
	if _, err := h.Lookup.PersonByID(ctx, a.CentreID, a.PersonID); errors.Is(err, store.ErrNotFound) {
		return nil // no one to write to
	} else if err != nil {
		return err
	}
	var msg store.OutboxMessage
	if a.Week != "" {
		week, err := time.Parse(time.DateOnly, a.Week)
		if err != nil {
			return river.JobCancel(fmt.Errorf("handlers: chore week notice: bad week %q", a.Week))
		}
		msg = store.ChoreWeekMessage(a.CentreID, a.PersonID, week)
	} else {
		kind := store.KindChoreNotice
		switch a.MsgID {
		case "chores.swap.ask":
			kind = store.KindChoreSwapAsk
		case "chores.swap.staff_request":
			kind = store.KindChoreSwapStaff
		}
		args := map[string]string{"turn": itoa(a.TurnID)}
		if a.SwapID != 0 {
			args["swap"] = itoa(a.SwapID)
		}
		msg = store.OutboxMessage{CentreID: a.CentreID, PersonID: a.PersonID, Kind: kind,
			Key: "chores:job:" + itoa(job.ID), MsgID: a.MsgID, Args: args}
	}
	_, err := h.Chores.Enqueue(ctx, h.Clock(), msg)
	return err
}

// ---- CSV import ----

// choreKeyRe is the form of an area's external id.
var choreKeyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var choreWeekdays = map[string]int{
	"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
	"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
	"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
}

// ParseChoresCSV reads a chores file (format in README and
// docs/examples/chores.csv) and checks the form of every line. A bad line
// comes back with its reason in Err; bad columns in the header make the
// whole file unreadable (fatal). The database checks (people exist and are
// residents) are done by store.ImportChores, which reports both kinds.
func ParseChoresCSV(r io.Reader) (rows []store.ChoreImportRow, fatal []store.ChoreLineError) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, []store.ChoreLineError{{Line: 1, Msg: "no header line: " + csvReason(err)}}
	}
	hl, _ := cr.FieldPos(0)
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if tag, ok := strings.CutPrefix(name, "label_"); ok {
			l, found := locales.Lookup(choreTagCase(tag))
			if !found {
				fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q: %q is not a language of cairbot", h, tag)})
				continue
			}
			name = "label_" + l.Tag
		} else if !slices.Contains([]string{"kind", "key", "name", "days", "start", "end", "active"}, name) {
			fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q is unknown (kind, key, name, days, start, end, active, label_<language>)", h)})
			continue
		}
		if _, dup := col[name]; dup {
			fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q appears twice", h)})
		}
		col[name] = i
	}
	for _, need := range []string{"kind", "key"} {
		if _, ok := col[need]; !ok {
			fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q is missing", need)})
		}
	}
	if len(fatal) > 0 {
		return nil, fatal
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rows = append(rows, store.ChoreImportRow{Line: pe.StartLine, Err: csvReason(err)})
			continue
		}
		if err != nil {
			return nil, []store.ChoreLineError{{Line: line, Msg: csvReason(err)}}
		}
		if len(rec) != len(header) {
			rows = append(rows, store.ChoreImportRow{Line: line, Err: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row, msgs := parseChoreRow(line, get, col)
		if len(msgs) == 0 {
			k := row.Kind + " " + strings.ToLower(row.Key)
			if first, dup := seen[k]; dup {
				msgs = append(msgs, fmt.Sprintf("%s %q is already on line %d", row.Kind, row.Key, first))
			} else {
				seen[k] = line
			}
		}
		row.Err = strings.Join(msgs, "; ")
		rows = append(rows, row)
	}
	return rows, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// choreTagCase writes a tag as cairbot spells it ("fa-af" → "fa-AF").
func choreTagCase(tag string) string {
	base, region, ok := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	if !ok {
		return base
	}
	return base + "-" + strings.ToUpper(region)
}

func parseChoreRow(line int, get func(string) string, col map[string]int) (store.ChoreImportRow, []string) {
	row := store.ChoreImportRow{Line: line, Kind: strings.ToLower(get("kind")), Key: get("key"), Active: true}
	var msgs []string
	switch a := strings.ToLower(get("active")); a {
	case "", "yes", "y", "true", "1", "oui":
	case "no", "n", "false", "0", "non":
		row.Active = false
	default:
		msgs = append(msgs, fmt.Sprintf("active %q: write yes or no", a))
	}
	switch row.Kind {
	case "area":
		if !choreKeyRe.MatchString(row.Key) {
			msgs = append(msgs, fmt.Sprintf("key %q: 1 to 64 letters, digits, . _ - (the area's own id)", row.Key))
		}
		name, ok := CleanName(get("name"))
		if !ok {
			msgs = append(msgs, "name: 1 to 80 printable characters")
		}
		row.Name = name
		days, err := parseChoreDays(get("days"))
		if err != "" {
			msgs = append(msgs, err)
		}
		row.Days = days
		var e1, e2 string
		row.Start, e1 = parseChoreTime("start", get("start"), false)
		row.End, e2 = parseChoreTime("end", get("end"), true)
		for _, e := range []string{e1, e2} {
			if e != "" {
				msgs = append(msgs, e)
			}
		}
		if e1 == "" && e2 == "" && row.End <= row.Start {
			msgs = append(msgs, fmt.Sprintf("end %s is not after start %s", get("end"), get("start")))
		}
		for name := range col {
			tag, ok := strings.CutPrefix(name, "label_")
			if !ok || get(name) == "" {
				continue
			}
			label, ok := choreLabel(get(name))
			if !ok {
				msgs = append(msgs, fmt.Sprintf("%s: 1 to 80 printable characters", name))
				continue
			}
			if row.Labels == nil {
				row.Labels = map[string]string{}
			}
			row.Labels[tag] = label
		}
	case "member":
		if id, ok := strings.CutPrefix(row.Key, "#"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
				msgs = append(msgs, fmt.Sprintf("key %q: after # comes the person's number", row.Key))
			}
		} else if row.Key == "" || len(row.Key) > 64 || strings.ContainsFunc(row.Key, unicode.IsSpace) {
			msgs = append(msgs, fmt.Sprintf("key %q: the resident's external id, or # and his number", row.Key))
		}
		for _, name := range []string{"name", "days", "start", "end"} {
			if get(name) != "" {
				msgs = append(msgs, fmt.Sprintf("%s: not used for a member, leave it empty", name))
			}
		}
		for name := range col {
			if strings.HasPrefix(name, "label_") && get(name) != "" {
				msgs = append(msgs, fmt.Sprintf("%s: not used for a member, leave it empty", name))
			}
		}
	default:
		msgs = append(msgs, fmt.Sprintf("kind %q: write area or member", get("kind")))
	}
	return row, msgs
}

// choreLabel cleans an area's name in a language like CleanName, but keeps
// the zero-width (non-)joiners that Persian and Pashto spelling needs
// ("حمام‌ها").
func choreLabel(s string) (string, bool) {
	s = strings.Join(strings.Fields(locales.StripBidi(s)), " ")
	if s == "" || len([]rune(s)) > 80 {
		return "", false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\u200c' && r != '\u200d' {
			return "", false
		}
	}
	return s, true
}

// parseChoreDays reads weekdays separated by spaces, "|" or ";": "mon thu",
// "1;4".
func parseChoreDays(s string) ([]int, string) {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return unicode.IsSpace(r) || r == '|' || r == ';' || r == '/' })
	if len(fields) == 0 {
		return nil, "days: empty (write e.g. mon thu)"
	}
	var days []int
	for _, f := range fields {
		d, ok := choreWeekdays[f]
		if !ok {
			return nil, fmt.Sprintf("days: %q is not a weekday (mon tue wed thu fri sat sun)", f)
		}
		if slices.Contains(days, d) {
			return nil, fmt.Sprintf("days: %q twice", f)
		}
		days = append(days, d)
	}
	slices.Sort(days)
	return days, ""
}

// parseChoreTime reads HH:MM (24-hour) as minutes after midnight; 24:00
// may end a window.
func parseChoreTime(name, s string, end bool) (int, string) {
	h, m, ok := strings.Cut(locales.ASCIIDigits(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	bad := fmt.Sprintf("%s %q: write the time as HH:MM, e.g. 18:30", name, s)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 {
		return 0, bad
	}
	v := hh*60 + mm
	if v > 24*60 || (v == 24*60 && !end) || (hh == 24 && mm != 0) {
		return 0, bad
	}
	return v, ""
}

// ChoresImporter is what an import needs from storage.
type ChoresImporter interface {
	ImportChores(ctx context.Context, centreID int64, rows []store.ChoreImportRow, now time.Time) (store.ChoreImportResult, error)
}

// ImportChoresCSV checks a whole file, then imports it in one transaction:
// with any bad line nothing is written and the error is a
// *store.ChoreImportError naming every bad line and why.
func ImportChoresCSV(ctx context.Context, st ChoresImporter, centreID int64, r io.Reader, now time.Time) (store.ChoreImportResult, error) {
	rows, fatal := ParseChoresCSV(r)
	if len(fatal) > 0 {
		return store.ChoreImportResult{}, &store.ChoreImportError{Lines: fatal}
	}
	return st.ImportChores(ctx, centreID, rows, now)
}
