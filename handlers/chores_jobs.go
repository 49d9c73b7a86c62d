package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/rota"
	"github.com/aurore/cairbot/store"
)

// The chores' jobs and messages sent on their own: the Monday job that
// builds the week and tells each resident his turns, and the rendering of
// every chores outbox kind (reminders, overdue turns, swaps, notices).

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
func (h *Chores) choresWeeklyJob() *river.PeriodicJob {
	return river.NewPeriodicJob(ChoresWeeklySchedule(h.Zone),
		func() (river.JobArgs, *river.InsertOpts) {
			week := rota.WeekStart(h.Clock(), h.Zone)
			return ChoresWeeklyArgs{Week: week.Format(time.DateOnly)}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		}, &river.PeriodicJobOpts{RunOnStart: true})
}

// ChoresWeeklyWorker runs ChoresWeeklyArgs.
type ChoresWeeklyWorker struct {
	river.WorkerDefaults[ChoresWeeklyArgs]
	h *Chores
}

// Work makes this week's and next week's rota of every centre where they
// are not made yet, then announces this week, once.
func (w *ChoresWeeklyWorker) Work(ctx context.Context, job *river.Job[ChoresWeeklyArgs]) error {
	h := w.h
	now := h.Clock()
	week := rota.WeekStart(now, h.Zone)
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
	end := rota.At(week.AddDate(0, 0, 7), 0, tz)
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
func (h *Chores) choreRowTurn(ctx context.Context, m store.OutboxRow) (store.ChoreTurn, error) {
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
func (h *Chores) choreRowSwap(ctx context.Context, m store.OutboxRow) (sw store.ChoreSwap, from, to store.Person, err error) {
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
func (h *Chores) renderChoreWeek(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	week, err := time.Parse(time.DateOnly, m.Args["week"])
	if err != nil {
		return Outgoing{}, fmt.Errorf("handlers: chores week message %d: %w", m.ID, err)
	}
	turns, err := h.Chores.PersonChoreTurns(ctx, m.CentreID, p.ID, rota.At(week, 0, h.Zone), rota.At(week.AddDate(0, 0, 7), 0, h.Zone))
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
func (h *Chores) renderChoreReminder(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
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
			{Text: loc.T("chores.button.done", choreVars(loc, t)...), CallbackData: choreDoneAction.Data(choreTurnArg{t.ID})}}, 1)
	}
	return out, nil
}

// The report to staff lists at most choreOverdueListed turns, each with its
// row of buttons, in at most choreOverdueTextLimit UTF-16 code units (how
// Telegram counts its 4096 characters, less room for the last line); the
// rest are counted, to be found in /rota.
const (
	choreOverdueListed    = 20
	choreOverdueTextLimit = 3900
)

// renderChoreOverdue tells a staff member of the turns not marked done by
// their end: every turn of the centre still pending that ends at the row's
// end time, as they are when it leaves (each with Not done / Done), or
// nothing (ErrObsolete) once all are marked, moved or removed. A row has
// no turn of its own, so a turn ending at another time has its own report:
// each turn is listed once, in the report of its end. A row queued before
// the digest (args "turn" and "plan") reports its one turn the same way.
func (h *Chores) renderChoreOverdue(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	var turns []store.ChoreTurn
	total := 0
	if m.Args["turn"] != "" {
		t, err := h.choreRowTurn(ctx, m)
		if err != nil {
			return Outgoing{}, err
		}
		if t.State == store.ChorePending && strconv.Itoa(t.Plan) == m.Args["plan"] {
			turns, total = []store.ChoreTurn{t}, 1
		}
	} else {
		end, err := strconv.ParseInt(m.Args["end"], 10, 64)
		if err != nil {
			return Outgoing{}, fmt.Errorf("handlers: chores report %d: end %q: %w", m.ID, m.Args["end"], err)
		}
		if turns, total, err = h.Chores.ChoreTurnsEndingAt(ctx, m.CentreID, time.Unix(end, 0), choreOverdueListed); err != nil {
			return Outgoing{}, err
		}
	}
	if len(turns) == 0 {
		return Outgoing{}, ErrObsolete
	}
	text := loc.T(store.ChoreOverdueDigest)
	var rows [][]models.InlineKeyboardButton
	for i, t := range turns {
		n := loc.F.Number(int64(i + 1))
		line := loc.T("chores.overdue.line", append(choreVars(loc, t), "N", n)...)
		if utf16Len(text)+1+utf16Len(line) > choreOverdueTextLimit {
			break
		}
		text += "\n" + line
		rows = append(rows, []models.InlineKeyboardButton{
			{Text: loc.T("chores.overdue.button.missed", "N", n), CallbackData: rotaMissedAction.Data(rotaTurnID{t.ID})},
			{Text: loc.T("chores.overdue.button.done", "N", n), CallbackData: rotaDoneAction.Data(rotaTurnID{t.ID})},
		})
	}
	if more := total - len(rows); more > 0 {
		text += "\n" + loc.N("chores.overdue.more", more)
	}
	return Outgoing{Text: text, Markup: &models.InlineKeyboardMarkup{InlineKeyboard: rows}}, nil
}

// utf16Len is the length of s as Telegram counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// renderChoreSwapAsk asks a resident to take another's turn, with Yes and
// No, while the request is open.
func (h *Chores) renderChoreSwapAsk(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
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
		{Text: loc.T("chores.button.accept"), CallbackData: choreAcceptAction.Data(choreSwapArg{sw.ID})},
		{Text: loc.T("chores.button.decline"), CallbackData: choreDeclineAction.Data(choreSwapArg{sw.ID})},
	}, 2)}, nil
}

// renderChoreSwapStaff asks staff to approve a swap both residents agreed
// on, while no one has decided.
func (h *Chores) renderChoreSwapStaff(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
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
		{Text: loc.T("chores.button.approve"), CallbackData: choreApproveAction.Data(choreSwapArg{sw.ID})},
		{Text: loc.T("chores.button.refuse"), CallbackData: choreRefuseAction.Data(choreSwapArg{sw.ID})},
	}, 2)}, nil
}

// renderChoreNotice tells of a turn given, moved or missed, or of a swap
// answered or decided, with the turn as it is now; in a swap's messages
// the name is the other resident's (the one asked).
func (h *Chores) renderChoreNotice(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
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
	h *Chores
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
	h *Chores
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
