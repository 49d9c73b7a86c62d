package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Classes is the French classes: the resident's timetable (/classes), the
// staff's changes to it (/timetable), class groups, and the reminders and
// notices they cause.
type Classes struct {
	Base
	ClassStore ClassStore
	Enrolments Enrolments
	// ClassReminderBefore is CLASS_REMINDER_BEFORE: how long before each class
	// its reminder leaves.
	ClassReminderBefore time.Duration
}

// French classes: a resident's timetable and hours (/classes), staff
// cancelling or moving one class (/timetable), the residents told at once,
// and a reminder before each class. The notices and reminders are outbox
// rows written by the store with the change (or by the hourly planner);
// the render functions here turn them into text when they are sent.

// ClassStore is what the class handlers need from storage.
type ClassStore interface {
	ClassOccurrences(ctx context.Context, q store.ClassQuery, loc *time.Location) ([]store.ClassOccurrence, error)
	ClassOccurrenceOn(ctx context.Context, centreID, sessionID int64, date time.Time, loc *time.Location) (store.ClassOccurrence, error)
	ClassProgress(ctx context.Context, centreID, personID int64) (store.ClassProgress, error)
	ClassRoster(ctx context.Context, centreID, groupID int64) ([]store.ClassRosterEntry, error)
	ChangeClassOccurrence(ctx context.Context, ch store.ClassChange, loc *time.Location) (store.ClassChangeNotice, error)
	PlanClassReminders(ctx context.Context, q store.ClassQuery, before time.Duration, now time.Time, loc *time.Location) (int, error)
	InSessionGroup(ctx context.Context, centreID, sessionID, personID int64) (bool, error)
	// Enqueue serves only the shims of the old jobs (below).
	Enqueue(ctx context.Context, now time.Time, msgs ...store.OutboxMessage) (int, error)
}

// ClassPlanHorizon is how far ahead the planner queues reminders (the
// sandbox's clock plans with it too); it runs every hour, so each class is
// planned many times over (the outbox keys are unique) and a class added or
// re-timed today still gets its reminder.
const ClassPlanHorizon = 48 * time.Hour

// classID36 writes an id in base 36 for button data: any int64 then fits
// Telegram's 64 bytes, however many ids a button carries.
func classID36(n int64) string { return strconv.FormatInt(n, 36) }

// parseClassID36 reads an id written by classID36; only positive ids are
// valid.
func parseClassID36(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 36, 64)
	return n, err == nil && n > 0 && s == classID36(n)
}

// timetableDays is how far ahead staff can see, cancel and move classes.
const timetableDays = 14

// classWeekStart is Monday 00:00 of t's week on the centre's clock.
func classWeekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
}

// Classes shows the resident his classes of this week and next (a
// cancelled or moved one says so) and his hours done against those OFII
// prescribed.
func (h *Classes) Classes(ctx context.Context, r *Request) error {
	p, err := h.ClassStore.ClassProgress(ctx, r.Person.CentreID, r.Person.ID)
	if err != nil {
		return err
	}
	if len(p.Groups) == 0 {
		return h.replyMenu(ctx, r, r.Loc.T("classes.none"))
	}
	monday := classWeekStart(r.Now, h.Zone)
	nextMonday := time.Date(monday.Year(), monday.Month(), monday.Day()+7, 0, 0, 0, 0, h.Zone)
	end := time.Date(monday.Year(), monday.Month(), monday.Day()+14, 0, 0, 0, 0, h.Zone)
	occ, err := h.ClassStore.ClassOccurrences(ctx, store.ClassQuery{
		CentreID: r.Person.CentreID, PersonID: r.Person.ID, From: monday, To: end}, h.Zone)
	if err != nil {
		return err
	}
	var this, next []string
	for _, o := range occ {
		if !o.End.After(r.Now) {
			continue
		}
		line := classLine(r.Loc, o)
		if o.Start.Before(nextMonday) {
			this = append(this, line)
		} else {
			next = append(next, line)
		}
	}
	var b strings.Builder
	b.WriteString(r.Loc.T("classes.title"))
	for _, week := range []struct {
		title string
		lines []string
	}{{"classes.this_week", this}, {"classes.next_week", next}} {
		b.WriteString("\n\n" + r.Loc.T(week.title))
		if len(week.lines) == 0 {
			b.WriteString("\n" + r.Loc.T("classes.no_class"))
		}
		for _, l := range week.lines {
			b.WriteString("\n" + l)
		}
	}
	b.WriteString("\n\n" + r.Loc.T("classes.hours", "Done", hoursDone(r.Loc.F, p.AttendedMinutes),
		"Prescribed", r.Loc.F.Number(int64(p.PrescribedHours))))
	return h.replyMenu(ctx, r, b.String())
}

// hoursDone writes minutes attended as hours to the nearest half-hour, in
// the language's digits: 4 h 30 is "4½", 4 h 10 is "4", 20 minutes "½".
// Whole hours alone would show 3 h + 1 h 30 as 4, and classes of 1 h 30
// are common.
func hoursDone(f *locales.Formatter, minutes int) string {
	halves := (max(minutes, 0) + 15) / 30
	switch {
	case halves == 1:
		return "½"
	case halves%2 == 1:
		return f.Number(int64(halves/2)) + "½"
	}
	return f.Number(int64(halves / 2))
}

// classLine is one class in a resident's list, with the group's name and
// the room in his language where the classes file gives them.
func classLine(loc *locales.Localizer, o store.ClassOccurrence) string {
	group, room := o.Session.GroupIn(loc.Tag), o.RoomIn(loc.Tag)
	switch {
	case o.Cancelled:
		return loc.T("classes.line_cancelled", "Day", loc.F.Date(o.Start), "Start", loc.F.Time(o.Start),
			"Group", group)
	case o.Moved:
		return loc.T("classes.line_moved", "Day", loc.F.Date(o.Start), "Start", loc.F.Time(o.Start),
			"End", loc.F.Time(o.End), "Group", group, "Room", room)
	}
	return loc.T("classes.line", "Day", loc.F.Date(o.Start), "Start", loc.F.Time(o.Start),
		"End", loc.F.Time(o.End), "Group", group, "Room", room, "Teacher", o.Session.Teacher)
}

// --- reminders --------------------------------------------------------------

// ClassPlanArgs is the planner: it queues, in the outbox, a reminder for
// every class starting in the next 48 hours. Run every hour and at start.
type ClassPlanArgs struct{}

// Kind names the job in River's table.
func (ClassPlanArgs) Kind() string { return "class_plan" }

// ClassPlanWorker queues the coming reminders.
type ClassPlanWorker struct {
	river.WorkerDefaults[ClassPlanArgs]
	h *Classes
}

// Work queues the reminders of every centre's classes that start within
// the horizon and are not cancelled.
func (w *ClassPlanWorker) Work(ctx context.Context, _ *river.Job[ClassPlanArgs]) error {
	now := w.h.Clock()
	_, err := w.h.ClassStore.PlanClassReminders(ctx, store.ClassQuery{From: now, To: now.Add(ClassPlanHorizon)},
		w.h.ClassReminderBefore, now, w.h.Zone)
	return err
}

// renderClassReminder renders a class reminder, unless the class was
// cancelled, moved or re-timed since it was queued (its new time has
// reminders of its own), has begun, or the resident is away or left its
// group: then the reminder is obsolete.
func (h *Classes) renderClassReminder(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	session, err1 := strconv.ParseInt(m.Args["session"], 10, 64)
	start, err2 := strconv.ParseInt(m.Args["start"], 10, 64)
	date, err3 := store.ParseClassDate(m.Args["date"])
	if err := errors.Join(err1, err2, err3); err != nil {
		return Outgoing{}, fmt.Errorf("handlers: class reminder args: %w", err)
	}
	if p.Status != store.StatusActive {
		return Outgoing{}, ErrObsolete
	}
	o, err := h.ClassStore.ClassOccurrenceOn(ctx, m.CentreID, session, date, h.Zone)
	if errors.Is(err, store.ErrNotFound) {
		return Outgoing{}, ErrObsolete
	}
	if err != nil {
		return Outgoing{}, err
	}
	if o.Cancelled || o.Start.Unix() != start || strconv.Itoa(o.Revision) != m.Args["revision"] || !h.Clock().Before(o.Start) {
		return Outgoing{}, ErrObsolete
	}
	if err := h.stillInClassGroup(ctx, m.CentreID, session, p.ID); err != nil {
		return Outgoing{}, err
	}
	return Outgoing{Text: loc.T("classes.reminder", "Day", loc.F.Date(o.Start), "Start", loc.F.Time(o.Start),
		"Group", o.Session.GroupIn(loc.Tag), "Room", o.RoomIn(loc.Tag))}, nil
}

// stillInClassGroup makes a message about a class obsolete for someone
// taken out of its group since it was queued.
func (h *Classes) stillInClassGroup(ctx context.Context, centreID, sessionID, personID int64) error {
	in, err := h.ClassStore.InSessionGroup(ctx, centreID, sessionID, personID)
	if err != nil {
		return err
	}
	if !in {
		return ErrObsolete
	}
	return nil
}

// renderClassNotice renders the notice that a class was cancelled, moved or
// restored, with the times written in the resident's language.
func (h *Classes) renderClassNotice(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	a := m.Args
	unix := func(k string) (time.Time, error) {
		n, err := strconv.ParseInt(a[k], 10, 64)
		return time.Unix(n, 0), err
	}
	was, err1 := unix("was")
	start, err2 := unix("start")
	end, err3 := unix("end")
	if err := errors.Join(err1, err2, err3); err != nil {
		return Outgoing{}, fmt.Errorf("handlers: class notice args: %w", err)
	}
	if a["session"] != "" {
		session, err := strconv.ParseInt(a["session"], 10, 64)
		if err != nil {
			return Outgoing{}, fmt.Errorf("handlers: class notice args: %w", err)
		}
		if err := h.stillInClassGroup(ctx, m.CentreID, session, p.ID); err != nil {
			return Outgoing{}, err
		}
	}
	group := store.ParseLabelsArg(a["group_labels"]).In(loc.Tag, a["group"])
	// Notices queued before rooms were stored without the word still say
	// "Salle 2".
	room := store.ParseLabelsArg(a["room_labels"]).In(loc.Tag, store.CleanClassRoom(a["room"]))
	var text string
	switch a["change"] {
	case store.ClassCancelled:
		text = loc.T("classes.cancelled_notice", "Day", loc.F.Date(was), "Start", loc.F.Time(was), "Group", group)
	case store.ClassMoved:
		text = loc.T("classes.moved_notice", "Day", loc.F.Date(was), "Start", loc.F.Time(was), "Group", group,
			"NewDay", loc.F.Date(start), "NewStart", loc.F.Time(start), "NewEnd", loc.F.Time(end), "Room", room)
	case store.ClassRestored:
		text = loc.T("classes.restored_notice", "Day", loc.F.Date(start), "Start", loc.F.Time(start),
			"End", loc.F.Time(end), "Group", group, "Room", room)
	default:
		return Outgoing{}, fmt.Errorf("handlers: class notice %q", a["change"])
	}
	return Outgoing{Text: text}, nil
}

// --- shims of the jobs that sent before the outbox ---------------------------
//
// Jobs of these kinds may still be queued in a database that ran the old
// code. Each shim turns its job into the equivalent outbox rows, under the
// keys migration 00011 gave what was already sent, and returns. They go
// away once no such job remains (SELECT count(*) FROM river_job WHERE kind
// IN ('class_reminder', 'class_notice', 'class_absence_alert',
// 'class_enrol_notice') AND finalized_at IS NULL).

// ClassReminderArgs was the reminder of one class to its residents.
type ClassReminderArgs struct {
	CentreID  int64  `json:"centre_id"`
	SessionID int64  `json:"session_id"`
	Date      string `json:"date"`
	StartsAt  int64  `json:"starts_at"`
	DueAt     int64  `json:"due_at"`
}

// Kind names the job in River's table.
func (ClassReminderArgs) Kind() string { return "class_reminder" }

// ClassReminderWorker is the shim of ClassReminderArgs.
type ClassReminderWorker struct {
	river.WorkerDefaults[ClassReminderArgs]
	h *Classes
}

// Work plans the reminders of the classes of the centre starting when the
// job's class starts: the same rows the planner writes for it.
func (w *ClassReminderWorker) Work(ctx context.Context, job *river.Job[ClassReminderArgs]) error {
	a := job.Args
	start := time.Unix(a.StartsAt, 0)
	_, err := w.h.ClassStore.PlanClassReminders(ctx, store.ClassQuery{CentreID: a.CentreID, From: start, To: start.Add(time.Second)},
		w.h.ClassReminderBefore, w.h.Clock(), w.h.Zone)
	return err
}

// ClassNoticeArgs was one resident's notice that a class was cancelled,
// moved or restored.
type ClassNoticeArgs struct {
	CentreID  int64  `json:"centre_id"`
	PersonID  int64  `json:"person_id"`
	SessionID int64  `json:"session_id,omitempty"`
	Notice    string `json:"notice"` // "chg:<change>:<revision>"
	Change    string `json:"change"`
	Group     string `json:"group"`
	Was       int64  `json:"was"`
	Start     int64  `json:"start"`
	End       int64  `json:"end"`
	Room      string `json:"room"`
}

// Kind names the job in River's table.
func (ClassNoticeArgs) Kind() string { return "class_notice" }

// ClassNoticeWorker is the shim of ClassNoticeArgs.
type ClassNoticeWorker struct {
	river.WorkerDefaults[ClassNoticeArgs]
	h *Classes
}

// Work queues the notice as an outbox row.
func (w *ClassNoticeWorker) Work(ctx context.Context, job *river.Job[ClassNoticeArgs]) error {
	a := job.Args
	args := map[string]string{"change": a.Change, "group": a.Group, "room": a.Room,
		"was": strconv.FormatInt(a.Was, 10), "start": strconv.FormatInt(a.Start, 10), "end": strconv.FormatInt(a.End, 10)}
	if a.SessionID != 0 {
		args["session"] = strconv.FormatInt(a.SessionID, 10)
	}
	_, err := w.h.ClassStore.Enqueue(ctx, w.h.Clock(), store.OutboxMessage{CentreID: a.CentreID, PersonID: a.PersonID,
		Kind: store.KindClassNotice, Key: "notice:class:" + strings.TrimPrefix(a.Notice, "chg:") + ":" + strconv.FormatInt(a.PersonID, 10),
		MsgID: store.ClassNoticeMessage(a.Change), Args: args})
	return err
}

// --- staff: cancel, move or restore one class (/timetable) ------------------

// The timetable conversation keeps, in its data, the class being changed
// ("s" session, "d" planned date) and the move's answers; every button is
// checked against it, so an old button changes nothing.
const (
	stepTimetableDay     = "tt.day"
	stepTimetableTime    = "tt.time"
	stepTimetableRoom    = "tt.room"
	stepTimetableConfirm = "tt.confirm"
)

// Timetable lists the centre's classes of the next two weeks as buttons.
func (h *Classes) Timetable(ctx context.Context, r *Request) error {
	occ, err := h.ClassStore.ClassOccurrences(ctx, store.ClassQuery{CentreID: r.Person.CentreID,
		From: r.Now, To: r.Now.AddDate(0, 0, timetableDays)}, h.Zone)
	if err != nil {
		return err
	}
	if len(occ) == 0 {
		return h.replyMenu(ctx, r, r.Loc.T("timetable.none"))
	}
	var buttons []models.InlineKeyboardButton
	for _, o := range occ {
		if len(buttons) == 60 {
			break
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: classOccurrenceLabel(r.Loc, o),
			CallbackData: ttOpenAction.Data(classRef{o.Session.ID, o.Date})})
	}
	_, err = h.reply(ctx, r, r.Loc.T("timetable.choose"), inlineRows(buttons, 1))
	return err
}

// classOccurrenceLabel is a class on a button: state, date, time and group.
// The group is named in the reader's language when the classes file gives a label.
func classOccurrenceLabel(loc *locales.Localizer, o store.ClassOccurrence) string {
	mark := "📚"
	switch {
	case o.Cancelled:
		mark = "❌"
	case o.Moved:
		mark = "🔀"
	}
	return mark + " " + loc.F.DateShort(o.Start) + " " + loc.F.Time(o.Start) + " · " + o.Session.GroupIn(loc.Tag)
}

// classRef names one class of a button: its session and planned date,
// written "<session in base 36>:<yyyymmdd>" (store.ClassDateKey).
type classRef struct {
	Session int64
	Date    time.Time
}

func (c classRef) fields() []string {
	return []string{classID36(c.Session), store.ClassDateKey(c.Date)}
}

func encClassRef(c classRef) []string { return c.fields() }

func decClassRef(f []string) (classRef, bool) {
	if len(f) != 2 {
		return classRef{}, false
	}
	return classRefFields(f)
}

// classRefFields reads the two fields of a classRef.
func classRefFields(f []string) (classRef, bool) {
	id, ok := parseClassID36(f[0])
	d, err := store.ParseClassDate(f[1])
	return classRef{id, d}, ok && err == nil
}

// classOccurrenceButton reads "<session>:<date>" and loads that class of
// the person's centre; anything else is a stale or forged button.
func classOccurrenceButton(ctx context.Context, classes ClassStore, tz *time.Location, r *Request, session, date string) (store.ClassOccurrence, error) {
	ref, ok := classRefFields([]string{session, date})
	if !ok {
		return store.ClassOccurrence{}, ErrStaleButton
	}
	return classOccurrenceAt(ctx, classes, tz, r, ref)
}

// classOccurrenceAt loads the class a button names, of the person's
// centre; a class that is not (any more) is a stale button.
func classOccurrenceAt(ctx context.Context, classes ClassStore, tz *time.Location, r *Request, ref classRef) (store.ClassOccurrence, error) {
	o, err := classes.ClassOccurrenceOn(ctx, r.Person.CentreID, ref.Session, ref.Date, tz)
	if errors.Is(err, store.ErrNotFound) {
		return store.ClassOccurrence{}, ErrStaleButton
	}
	return o, err
}

// The buttons of /timetable: one action each, routed by its prefix in
// bot/routes.go. A class is one of the staff member's centre, checked as
// it is now; the other buttons act only at the step of the conversation
// that drew them.
type (
	ttDay  struct{ Day time.Time }
	ttNone struct{}
)

var (
	ttOpenAction    = newAction("tt:o", encClassRef, decClassRef, sampleClass)       // show a class and what can be done to it
	ttCancelAction  = newAction("tt:c", encClassRef, decClassRef, sampleClass)       // cancel it
	ttMoveAction    = newAction("tt:m", encClassRef, decClassRef, sampleClass)       // move it
	ttRestoreAction = newAction("tt:r", encClassRef, decClassRef, sampleClass)       // restore it as planned
	ttDayAction     = newAction("tt:d", encTTDay, decTTDay, ttDay{sampleClass.Date}) // the move's new day
	ttKeepAction    = newAction("tt:keep", encTTNone, decTTNone, ttNone{})           // keep the room
	ttYesAction     = newAction("tt:yes", encTTNone, decTTNone, ttNone{})            // confirm
	ttNoAction      = newAction("tt:no", encTTNone, decTTNone, ttNone{})             // give up
)

func encTTDay(v ttDay) []string { return []string{store.ClassDateKey(v.Day)} }

func decTTDay(f []string) (ttDay, bool) {
	if len(f) != 1 {
		return ttDay{}, false
	}
	d, err := store.ParseClassDate(f[0])
	return ttDay{d}, err == nil
}

func encTTNone(ttNone) []string { return nil }

func decTTNone(f []string) (ttNone, bool) { return ttNone{}, len(f) == 0 }

// TimetableOpen shows a class with what can be done to it.
func (h *Classes) TimetableOpen(ctx context.Context, r *Request) error {
	o, _, err := h.timetableClass(ctx, r, ttOpenAction, false)
	if err != nil {
		return err
	}
	return h.timetableShow(ctx, r, o)
}

// TimetableCancel asks to confirm cancelling a class.
func (h *Classes) TimetableCancel(ctx context.Context, r *Request) error {
	o, data, err := h.timetableClass(ctx, r, ttCancelAction, false)
	if err != nil {
		return err
	}
	if o.Cancelled {
		return Fail("timetable.unchanged")
	}
	data["do"] = store.ClassCancelled
	return h.timetableConfirm(ctx, r, o, data)
}

// TimetableRestore asks to confirm restoring a class as planned.
func (h *Classes) TimetableRestore(ctx context.Context, r *Request) error {
	o, data, err := h.timetableClass(ctx, r, ttRestoreAction, true)
	if err != nil {
		return err
	}
	if !o.Cancelled && !o.Moved {
		return Fail("timetable.unchanged")
	}
	data["do"] = store.ClassRestored
	return h.timetableConfirm(ctx, r, o, data)
}

// TimetableMove asks the new day of a class.
func (h *Classes) TimetableMove(ctx context.Context, r *Request) error {
	o, data, err := h.timetableClass(ctx, r, ttMoveAction, false)
	if err != nil {
		return err
	}
	if err := h.setStep(ctx, r, stepTimetableDay, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("timetable.ask_day", "Group", o.Session.GroupName,
		"Day", r.Loc.F.Date(o.Start), "Start", r.Loc.F.Time(o.Start)), h.timetableDayButtons(r))
	return err
}

// timetableClass loads the class a button names, and starts the
// conversation's data with it. A class over is left alone, except that a
// moved or cancelled class may be restored while its planned time is to
// come.
func (h *Classes) timetableClass(ctx context.Context, r *Request, a CallbackAction[classRef], restore bool) (store.ClassOccurrence, map[string]string, error) {
	ref, err := a.Parse(r.CallbackData)
	if err != nil {
		return store.ClassOccurrence{}, nil, err
	}
	o, err := classOccurrenceAt(ctx, h.ClassStore, h.Zone, r, ref)
	if err != nil {
		return store.ClassOccurrence{}, nil, err
	}
	if !o.End.After(r.Now) && !(restore && o.PlannedEnd.After(r.Now)) {
		return store.ClassOccurrence{}, nil, Fail("timetable.past")
	}
	f := ref.fields()
	return o, map[string]string{"s": f[0], "d": f[1]}, nil
}

// TimetableDay takes the move's new day; a day may be picked again while
// the time is not typed yet.
func (h *Classes) TimetableDay(ctx context.Context, r *Request) error {
	v, err := ttDayAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if r.step() != stepTimetableDay && r.step() != stepTimetableTime {
		return ErrStaleButton
	}
	today := store.ClassDate(r.Now, h.Zone)
	if v.Day.Before(today) || v.Day.After(today.AddDate(0, 0, timetableDays+7)) {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	data["nd"] = store.ClassDateKey(v.Day)
	if err := h.setStep(ctx, r, stepTimetableTime, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("timetable.ask_time", "Day", r.Loc.F.Date(v.Day.Add(12*time.Hour))), nil)
	return err
}

// TimetableKeep moves the class without changing its room.
func (h *Classes) TimetableKeep(ctx context.Context, r *Request) error {
	if _, err := ttKeepAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepTimetableRoom {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	o, err := h.timetableOccurrence(ctx, r, data)
	if err != nil {
		return err
	}
	data["room"] = o.Room
	data["do"] = store.ClassMoved
	return h.timetableConfirm(ctx, r, o, data)
}

// TimetableYes applies the change confirmed.
func (h *Classes) TimetableYes(ctx context.Context, r *Request) error {
	if _, err := ttYesAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepTimetableConfirm {
		return ErrStaleButton
	}
	return h.timetableApply(ctx, r, copyData(r.Conv))
}

// TimetableNo gives up the change being made.
func (h *Classes) TimetableNo(ctx context.Context, r *Request) error {
	if _, err := ttNoAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if !strings.HasPrefix(r.step(), "tt.") {
		return ErrStaleButton
	}
	return h.cancel(ctx, r)
}

// timetableDayButtons offers the next two weeks' days for a move.
func (h *Classes) timetableDayButtons(r *Request) *models.InlineKeyboardMarkup {
	today := store.ClassDate(r.Now, h.Zone)
	var buttons []models.InlineKeyboardButton
	for i := 0; i < timetableDays; i++ {
		d := today.AddDate(0, 0, i)
		noon := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, h.Zone)
		buttons = append(buttons, models.InlineKeyboardButton{
			Text:         "📅 " + r.Loc.F.Weekday(noon) + " " + r.Loc.F.DateShort(noon),
			CallbackData: ttDayAction.Data(ttDay{d}),
		})
	}
	kb := inlineRows(buttons, 2)
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: r.Loc.T("button.cancel"), CallbackData: ttNoAction.Data(ttNone{})}})
	return kb
}

// timetableOccurrence loads the class the conversation is about.
func (h *Classes) timetableOccurrence(ctx context.Context, r *Request, data map[string]string) (store.ClassOccurrence, error) {
	return classOccurrenceButton(ctx, h.ClassStore, h.Zone, r, data["s"], data["d"])
}

// TimetableStep takes the typed answers of a move: the new start time,
// then the room.
func (h *Classes) TimetableStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	text := strings.TrimSpace(locales.ASCIIDigits(locales.StripBidi(r.Text)))
	switch r.step() {
	case stepTimetableTime:
		o, err := h.timetableOccurrence(ctx, r, data)
		if err != nil {
			return err
		}
		minutes, ok := locales.ParseClock(text)
		if !ok {
			return Fail("timetable.bad_time")
		}
		day, err := store.ParseClassDate(data["nd"])
		if err != nil {
			return ErrStaleButton
		}
		start := store.ClassWallClock(day, minutes, h.Zone)
		if !start.After(r.Now) {
			return Fail("timetable.time_past")
		}
		data["start"] = strconv.FormatInt(start.Unix(), 10)
		data["end"] = strconv.FormatInt(start.Add(o.End.Sub(o.Start)).Unix(), 10)
		if err := h.setStep(ctx, r, stepTimetableRoom, data); err != nil {
			return err
		}
		kb := inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("timetable.keep_room", "Room", o.Room), CallbackData: ttKeepAction.Data(ttNone{})},
			{Text: r.Loc.T("button.cancel"), CallbackData: ttNoAction.Data(ttNone{})},
		}, 1)
		_, err = h.reply(ctx, r, r.Loc.T("timetable.ask_room", "Room", o.Room), kb)
		return err
	case stepTimetableRoom:
		o, err := h.timetableOccurrence(ctx, r, data)
		if err != nil {
			return err
		}
		room, ok := CleanName(text)
		if !ok || len([]rune(room)) > 30 {
			return Fail("timetable.bad_room")
		}
		// "Salle 3" would read "salle Salle 3": the messages say the word.
		if r := store.CleanClassRoom(room); r != "" {
			room = r
		}
		data["room"] = room
		data["do"] = store.ClassMoved
		return h.timetableConfirm(ctx, r, o, data)
	}
	// Waiting for a button: typing does not move on.
	return Fail("error.not_understood")
}

// timetableShow shows one class with what can be done to it.
func (h *Classes) timetableShow(ctx context.Context, r *Request, o store.ClassOccurrence) error {
	ref := classRef{o.Session.ID, o.Date}
	vars := []any{"Group", o.Session.GroupName, "Day", r.Loc.F.Date(o.PlannedStart),
		"Start", r.Loc.F.Time(o.PlannedStart), "End", r.Loc.F.Time(o.PlannedEnd),
		"Room", o.Session.Room, "Teacher", o.Session.Teacher}
	var text string
	var buttons []models.InlineKeyboardButton
	switch {
	case o.Cancelled:
		text = r.Loc.T("timetable.session_cancelled", vars...)
	case o.Moved:
		text = r.Loc.T("timetable.session_moved", append(vars, "NewDay", r.Loc.F.Date(o.Start),
			"NewStart", r.Loc.F.Time(o.Start), "NewEnd", r.Loc.F.Time(o.End), "NewRoom", o.Room)...)
	default:
		text = r.Loc.T("timetable.session", vars...)
	}
	if !o.Cancelled && o.End.After(r.Now) {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("timetable.btn_cancel"), CallbackData: ttCancelAction.Data(ref)})
	}
	if o.End.After(r.Now) || o.Cancelled {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("timetable.btn_move"), CallbackData: ttMoveAction.Data(ref)})
	}
	if (o.Cancelled || o.Moved) && o.PlannedEnd.After(r.Now) {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("timetable.btn_restore"), CallbackData: ttRestoreAction.Data(ref)})
	}
	_, err := h.reply(ctx, r, text, inlineRows(buttons, 1))
	return err
}

// timetableTold counts the enrolled residents who will get the notice.
func (h *Classes) timetableTold(ctx context.Context, r *Request, o store.ClassOccurrence) (int, error) {
	roster, err := h.ClassStore.ClassRoster(ctx, r.Person.CentreID, o.Session.GroupID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range roster {
		if p.TelegramID != nil {
			n++
		}
	}
	return n, nil
}

// timetableConfirm asks staff to confirm a cancel, move or restore, saying how
// many residents will be told.
func (h *Classes) timetableConfirm(ctx context.Context, r *Request, o store.ClassOccurrence, data map[string]string) error {
	n, err := h.timetableTold(ctx, r, o)
	if err != nil {
		return err
	}
	if err := h.setStep(ctx, r, stepTimetableConfirm, data); err != nil {
		return err
	}
	vars := []any{"Group", o.Session.GroupName, "Day", r.Loc.F.Date(o.Start), "Start", r.Loc.F.Time(o.Start)}
	var text string
	switch data["do"] {
	case store.ClassCancelled:
		text = r.Loc.N("timetable.confirm_cancel", n, vars...)
	case store.ClassRestored:
		text = r.Loc.N("timetable.confirm_restore", n, "Group", o.Session.GroupName,
			"Day", r.Loc.F.Date(o.PlannedStart), "Start", r.Loc.F.Time(o.PlannedStart), "Room", o.Session.Room)
	default:
		start, end, err := classMoveTimes(data)
		if err != nil {
			return ErrStaleButton
		}
		text = r.Loc.N("timetable.confirm_move", n, append(vars, "NewDay", r.Loc.F.Date(start),
			"NewStart", r.Loc.F.Time(start), "NewEnd", r.Loc.F.Time(end), "Room", data["room"])...)
	}
	kb := inlineRows([]models.InlineKeyboardButton{
		{Text: r.Loc.T("button.confirm"), CallbackData: ttYesAction.Data(ttNone{})},
		{Text: r.Loc.T("button.cancel"), CallbackData: ttNoAction.Data(ttNone{})},
	}, 2)
	_, err = h.reply(ctx, r, text, kb)
	return err
}

func classMoveTimes(data map[string]string) (time.Time, time.Time, error) {
	s, err1 := strconv.ParseInt(data["start"], 10, 64)
	e, err2 := strconv.ParseInt(data["end"], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return time.Unix(s, 0), time.Unix(e, 0), nil
}

// timetableApply writes the confirmed change; the store queues, in the same
// transaction, one notice per enrolled resident and the class's reminders.
func (h *Classes) timetableApply(ctx context.Context, r *Request, data map[string]string) error {
	o, err := h.timetableOccurrence(ctx, r, data)
	if err != nil {
		return err
	}
	ch := store.ClassChange{CentreID: r.Person.CentreID, SessionID: o.Session.ID, Date: o.Date,
		ActorID: r.Person.ID, Kind: data["do"]}
	if ch.Kind == store.ClassMoved {
		if ch.NewStart, ch.NewEnd, err = classMoveTimes(data); err != nil {
			return ErrStaleButton
		}
		if !ch.NewStart.After(r.Now) {
			return Fail("timetable.time_past")
		}
		ch.NewRoom = data["room"]
	}
	ch.Now, ch.ReminderBefore = r.Now, h.ClassReminderBefore
	n, err := h.ClassStore.ChangeClassOccurrence(ctx, ch, h.Zone)
	switch {
	case errors.Is(err, store.ErrClassUnchanged):
		_ = h.endConversation(ctx, r)
		return Fail("timetable.unchanged")
	case errors.Is(err, store.ErrNotFound):
		return ErrStaleButton
	case err != nil:
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.N(timetableDoneMessage(ch.Kind), n.Told))
}
