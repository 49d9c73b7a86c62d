package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Attendance is the staff's roll call of a class (/attendance) and the
// alert of a resident absent too often.
type Attendance struct {
	Base
	ClassStore       ClassStore
	AttendanceStore  AttendanceStore
	AttendanceDrafts AttendanceDrafts
	// AbsenceAlertAfter is CLASS_ABSENCE_ALERT: unexcused absences in a
	// row that alert the staff.
	AbsenceAlertAfter int
}

// Class attendance (/attendance, staff): pick one of today's classes (or
// of the last days, to correct it), tap each resident through present →
// absent → excused on ONE message, page through long lists, save. The list
// being marked is a draft in Redis shared by the staff members who open the
// same class; its version is in every button, so a tap made on an outdated
// list changes nothing and shows the latest marks instead.
//
// Button data (at most 64 bytes even for the largest ids: ids and versions
// are in base 36, dates YYYYMMDD):
//
//	att:e                                   the last days' classes
//	att:o:<session>:<date>                  open (or re-open) a class's list
//	att:t:<session>:<date>:<person>:<ver>   tap a resident
//	att:p:<session>:<date>:<page>           show another page
//	att:s:<session>:<date>:<ver>            save

// AttendanceStore is what the attendance handlers need from PostgreSQL.
type AttendanceStore interface {
	ClassOccurrenceWithRoster(ctx context.Context, centreID, sessionID int64, date time.Time, loc *time.Location) (store.ClassOccurrence, []store.ClassRosterEntry, error)
	AttendanceRegister(ctx context.Context, centreID, sessionID int64, date time.Time) (store.ClassRegister, error)
	SavedClassRegisters(ctx context.Context, centreID int64, occ []store.ClassOccurrence) (map[string]bool, error)
	SaveAttendance(ctx context.Context, a store.AttendanceSave) (store.AttendanceSaved, error)
}

// AttendanceDrafts keeps the lists being marked (Redis).
type AttendanceDrafts interface {
	AttendanceDraft(ctx context.Context, centreID, sessionID int64, date string) (store.AttendanceDraft, error)
	OpenAttendanceDraft(ctx context.Context, d store.AttendanceDraft) (store.AttendanceDraft, error)
	TapAttendanceDraft(ctx context.Context, centreID, sessionID int64, date string, personID, version int64) (store.AttendanceDraft, error)
	DeleteAttendanceDraft(ctx context.Context, centreID, sessionID int64, date string, version int64) error
}

const (
	// attendancePageSize is how many residents one page of the list shows:
	// more buttons would not fit a phone's screen.
	attendancePageSize = 10
	// attendanceEarlierDays is how far back staff can open a class to take
	// or correct its attendance.
	attendanceEarlierDays = 7
)

// AttendanceStart lists today's classes of the centre, each a button.
func (h *Attendance) AttendanceStart(ctx context.Context, r *Request) error {
	return h.attendanceList(ctx, r, false)
}

// attendanceListMax is how many classes the list shows: the first of the
// day (or days) in time order, within Telegram's keyboard.
const attendanceListMax = 40

// attendanceList sends today's classes, or those of the last days.
func (h *Attendance) attendanceList(ctx context.Context, r *Request, earlier bool) error {
	today := store.ClassDate(r.Now, h.Zone)
	from := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, h.Zone)
	to := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, h.Zone)
	title, none := "attendance.today", "attendance.none_today"
	if earlier {
		from, to = time.Date(today.Year(), today.Month(), today.Day()-attendanceEarlierDays, 0, 0, 0, 0, h.Zone), from
		title, none = "attendance.earlier", "attendance.none_earlier"
	}
	occ, err := h.ClassStore.ClassOccurrences(ctx, store.ClassQuery{CentreID: r.Person.CentreID, From: from, To: to}, h.Zone)
	if err != nil {
		return err
	}
	var shown []store.ClassOccurrence
	for _, o := range occ {
		if !o.Cancelled && len(shown) < attendanceListMax {
			shown = append(shown, o)
		}
	}
	saved, err := h.AttendanceStore.SavedClassRegisters(ctx, r.Person.CentreID, shown)
	if err != nil {
		return err
	}
	var buttons []models.InlineKeyboardButton
	for _, o := range shown {
		mark := "📚"
		if saved[store.ClassRegisterKey(o.Session.ID, o.Date)] {
			mark = "✅"
		}
		buttons = append(buttons, models.InlineKeyboardButton{
			Text:         mark + " " + r.Loc.F.DateShort(o.Start) + " " + r.Loc.F.Time(o.Start) + " · " + o.Session.GroupName,
			CallbackData: attOpenAction.Data(classRef{o.Session.ID, o.Date}),
		})
	}
	text := r.Loc.T(title)
	if len(buttons) == 0 {
		text = r.Loc.T(none)
	}
	if !earlier {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("attendance.btn_earlier"), CallbackData: attEarlierAction.Data(attNone{})})
	}
	_, err = h.reply(ctx, r, text, inlineRows(buttons, 1))
	return err
}

// attendanceClass is a class whose list is being taken, and its residents.
type attendanceClass struct {
	occ    store.ClassOccurrence
	roster []store.ClassRosterEntry
	date   string // ClassDateKey of the planned date
}

// ref names the class on its buttons.
func (c attendanceClass) ref() classRef { return classRef{c.occ.Session.ID, c.occ.Date} }

// attendanceTarget loads the class named by a button: one of the centre's,
// not cancelled, already begun today or in the last days. The class and
// its roster are one round trip, since every tap needs both.
func (h *Attendance) attendanceTarget(ctx context.Context, r *Request, ref classRef) (attendanceClass, error) {
	o, roster, err := h.AttendanceStore.ClassOccurrenceWithRoster(ctx, r.Person.CentreID, ref.Session, ref.Date, h.Zone)
	if errors.Is(err, store.ErrNotFound) {
		return attendanceClass{}, ErrStaleButton
	}
	if err != nil {
		return attendanceClass{}, err
	}
	today := store.ClassDate(r.Now, h.Zone)
	day := store.ClassDate(o.Start, h.Zone)
	if o.Cancelled || day.After(today) || day.Before(today.AddDate(0, 0, -attendanceEarlierDays)) {
		return attendanceClass{}, ErrStaleButton
	}
	return attendanceClass{occ: o, roster: roster, date: store.ClassDateKey(o.Date)}, nil
}

// The attendance buttons: one action each, routed by its prefix in
// bot/routes.go (their data is described at the top of this file). A
// class, a resident and a version are checked against the presser's
// centre, the class and the open draft: a forged or outdated one changes
// nothing and says so.
type (
	attNone struct{}
	attTap  struct {
		Class   classRef
		Person  int64
		Version int64
	}
	attPage struct {
		Class classRef
		Page  int
	}
	attSave struct {
		Class   classRef
		Version int64
	}
)

var (
	sampleClass = classRef{Session: 1234567, Date: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}

	attEarlierAction = newAction("att:e", encAttNone, decAttNone, attNone{})                     // the last days' classes
	attOpenAction    = newAction("att:o", encClassRef, decClassRef, sampleClass)                 // open (or re-open) a class's list
	attTapAction     = newAction("att:t", encAttTap, decAttTap, attTap{sampleClass, 987654, 12}) // tap a resident
	attPageAction    = newAction("att:p", encAttPage, decAttPage, attPage{sampleClass, 2})       // show another page
	attSaveAction    = newAction("att:s", encAttSave, decAttSave, attSave{sampleClass, 12})      // save
)

func encAttNone(attNone) []string { return nil }

func decAttNone(f []string) (attNone, bool) { return attNone{}, len(f) == 0 }

func encAttTap(v attTap) []string {
	return append(v.Class.fields(), classID36(v.Person), classID36(v.Version))
}

func decAttTap(f []string) (attTap, bool) {
	if len(f) != 4 {
		return attTap{}, false
	}
	c, ok1 := classRefFields(f[:2])
	person, ok2 := parseClassID36(f[2])
	version, ok3 := parseClassID36(f[3])
	return attTap{c, person, version}, ok1 && ok2 && ok3
}

func encAttPage(v attPage) []string { return append(v.Class.fields(), strconv.Itoa(v.Page)) }

func decAttPage(f []string) (attPage, bool) {
	if len(f) != 3 {
		return attPage{}, false
	}
	c, ok1 := classRefFields(f[:2])
	page, err := strconv.Atoi(f[2])
	// a page past the list is refused once the roster is known
	return attPage{c, page}, ok1 && err == nil && page >= 0 && f[2] == strconv.Itoa(page)
}

func encAttSave(v attSave) []string { return append(v.Class.fields(), classID36(v.Version)) }

func decAttSave(f []string) (attSave, bool) {
	if len(f) != 3 {
		return attSave{}, false
	}
	c, ok1 := classRefFields(f[:2])
	version, ok2 := parseClassID36(f[2])
	return attSave{c, version}, ok1 && ok2
}

// AttendanceEarlier lists the classes of the last days.
func (h *Attendance) AttendanceEarlier(ctx context.Context, r *Request) error {
	if _, err := attEarlierAction.Parse(r.CallbackData); err != nil {
		return err
	}
	return h.attendanceList(ctx, r, true)
}

// AttendanceOpen shows a class's list.
func (h *Attendance) AttendanceOpen(ctx context.Context, r *Request) error {
	v, err := attOpenAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	c, err := h.attendanceTarget(ctx, r, v)
	if err != nil {
		return err
	}
	return h.attendanceOpen(ctx, r, c)
}

// AttendanceTap moves a resident to his next mark.
func (h *Attendance) AttendanceTap(ctx context.Context, r *Request) error {
	v, err := attTapAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	c, err := h.attendanceTarget(ctx, r, v.Class)
	if err != nil {
		return err
	}
	return h.attendanceTap(ctx, r, c, v.Person, v.Version)
}

// AttendancePage shows another page of the list.
func (h *Attendance) AttendancePage(ctx context.Context, r *Request) error {
	v, err := attPageAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	c, err := h.attendanceTarget(ctx, r, v.Class)
	if err != nil {
		return err
	}
	return h.attendancePage(ctx, r, c, v.Page)
}

// AttendanceSave saves the list.
func (h *Attendance) AttendanceSave(ctx context.Context, r *Request) error {
	v, err := attSaveAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	c, err := h.attendanceTarget(ctx, r, v.Class)
	if err != nil {
		return err
	}
	return h.attendanceSave(ctx, r, c, v.Version)
}

// attendanceOpen shows the class's list: the open draft if someone is
// already marking it, else a new draft from the saved marks (a correction)
// or with everyone present.
func (h *Attendance) attendanceOpen(ctx context.Context, r *Request, c attendanceClass) error {
	if len(c.roster) == 0 {
		return Fail("attendance.no_residents")
	}
	centre, session := r.Person.CentreID, c.occ.Session.ID
	d, err := h.AttendanceDrafts.AttendanceDraft(ctx, centre, session, c.date)
	if errors.Is(err, store.ErrNoDraft) {
		d = store.AttendanceDraft{CentreID: centre, SessionID: session, Date: c.date, Marks: map[int64]store.AttendanceMark{}}
		reg, err := h.AttendanceStore.AttendanceRegister(ctx, centre, session, c.occ.Date)
		switch {
		case err == nil:
			d.BaseRevision, d.Marks = reg.Revision, reg.Marks
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		d, err = h.AttendanceDrafts.OpenAttendanceDraft(ctx, d)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	text, kb := attendanceSheet(r.Loc, c, d, 0)
	_, err = h.reply(ctx, r, text, kb)
	return err
}

var attendanceEmoji = map[store.AttendanceMark]string{store.MarkPresent: "✅", store.MarkAbsent: "❌", store.MarkExcused: "📝"}

// attendanceSheet renders one page of the list: the class, the counts, one
// button per resident (mark, name, room), the page arrows and Save.
func attendanceSheet(loc *locales.Localizer, c attendanceClass, d store.AttendanceDraft, page int) (string, *models.InlineKeyboardMarkup) {
	o := c.occ
	var counts = map[store.AttendanceMark]int64{}
	for _, p := range c.roster {
		counts[d.Mark(p.PersonID)]++
	}
	pages := (len(c.roster) + attendancePageSize - 1) / attendancePageSize
	page = min(max(page, 0), pages-1)
	text := loc.T("attendance.sheet", "Group", o.Session.GroupName, "Day", loc.F.Date(o.Start),
		"Start", loc.F.Time(o.Start), "End", loc.F.Time(o.End), "Room", o.Room,
		"Present", loc.F.Number(counts[store.MarkPresent]), "Absent", loc.F.Number(counts[store.MarkAbsent]),
		"Excused", loc.F.Number(counts[store.MarkExcused]))
	if pages > 1 {
		text += "\n" + loc.T("attendance.page", "Page", loc.F.Number(int64(page+1)), "Pages", loc.F.Number(int64(pages)))
	}
	ref := c.ref()
	var rows [][]models.InlineKeyboardButton
	for _, p := range c.roster[page*attendancePageSize : min(len(c.roster), (page+1)*attendancePageSize)] {
		label := attendanceEmoji[d.Mark(p.PersonID)] + " " + p.Name
		if p.Room != "" {
			label += " · " + p.Room
		}
		rows = append(rows, []models.InlineKeyboardButton{{Text: label,
			CallbackData: attTapAction.Data(attTap{ref, p.PersonID, d.Version})}})
	}
	if pages > 1 {
		var nav []models.InlineKeyboardButton
		if page > 0 {
			nav = append(nav, models.InlineKeyboardButton{Text: "◀", CallbackData: attPageAction.Data(attPage{ref, page - 1})})
		}
		if page < pages-1 {
			nav = append(nav, models.InlineKeyboardButton{Text: "▶", CallbackData: attPageAction.Data(attPage{ref, page + 1})})
		}
		rows = append(rows, nav)
	}
	rows = append(rows, []models.InlineKeyboardButton{{Text: loc.T("attendance.btn_save"), CallbackData: attSaveAction.Data(attSave{ref, d.Version})}})
	return text, &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// attendanceRosterIndex is where a resident stands in the list, -1 if not enrolled.
func attendanceRosterIndex(roster []store.ClassRosterEntry, personID int64) int {
	for i, p := range roster {
		if p.PersonID == personID {
			return i
		}
	}
	return -1
}

// attendanceEdit replaces the pressed message with a page of the list.
func (h *Attendance) attendanceEdit(ctx context.Context, r *Request, text string, kb *models.InlineKeyboardMarkup) error {
	_, err := h.Send.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: r.ChatID, MessageID: r.MessageID,
		Text: text, ReplyMarkup: kb})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	return err
}

// attendanceDraft loads the class's open draft; a saved or expired one
// makes the button outdated, which the presser is told.
func (h *Attendance) attendanceDraft(ctx context.Context, r *Request, c attendanceClass) (store.AttendanceDraft, error) {
	// store.ErrNoDraft tells "attendance.closed": see errorMessages.
	return h.AttendanceDrafts.AttendanceDraft(ctx, r.Person.CentreID, c.occ.Session.ID, c.date)
}

// attendanceConflict shows the latest marks (d, already read) on the
// pressed message and says why the tap did nothing.
func (h *Attendance) attendanceConflict(ctx context.Context, r *Request, c attendanceClass, d store.AttendanceDraft, page int) error {
	text, kb := attendanceSheet(r.Loc, c, d, page)
	if err := h.attendanceEdit(ctx, r, text, kb); err != nil {
		return err
	}
	return Fail("attendance.conflict")
}

// attendanceTap moves one resident to his next mark: one Redis round trip
// that checks the button's version, changes the mark and returns the
// draft, or the current draft when the button is outdated.
func (h *Attendance) attendanceTap(ctx context.Context, r *Request, c attendanceClass, personID, version int64) error {
	i := attendanceRosterIndex(c.roster, personID)
	if i < 0 {
		return ErrStaleButton
	}
	page := i / attendancePageSize
	d, err := h.AttendanceDrafts.TapAttendanceDraft(ctx, r.Person.CentreID, c.occ.Session.ID, c.date, personID, version)
	switch {
	case errors.Is(err, store.ErrConflict):
		return h.attendanceConflict(ctx, r, c, d, page)
	case err != nil: // store.ErrNoDraft: see errorMessages
		return err
	}
	text, kb := attendanceSheet(r.Loc, c, d, page)
	return h.attendanceEdit(ctx, r, text, kb)
}

// attendancePage shows another page of the open list.
func (h *Attendance) attendancePage(ctx context.Context, r *Request, c attendanceClass, page int) error {
	pages := (len(c.roster) + attendancePageSize - 1) / attendancePageSize
	if page < 0 || page >= pages {
		return ErrStaleButton
	}
	d, err := h.attendanceDraft(ctx, r, c)
	if err != nil {
		return err
	}
	text, kb := attendanceSheet(r.Loc, c, d, page)
	return h.attendanceEdit(ctx, r, text, kb)
}

// attendanceSave stores the whole list in one transaction (the store
// queues the coordinators' alerts in it), closes the draft and turns the message into
// the saved summary with a button to correct it later.
func (h *Attendance) attendanceSave(ctx context.Context, r *Request, c attendanceClass, version int64) error {
	d, err := h.attendanceDraft(ctx, r, c)
	if err != nil {
		return err
	}
	if d.Version != version {
		return h.attendanceConflict(ctx, r, c, d, 0)
	}
	marks := make(map[int64]store.AttendanceMark, len(c.roster))
	for _, p := range c.roster {
		marks[p.PersonID] = d.Mark(p.PersonID)
	}
	res, err := h.AttendanceStore.SaveAttendance(ctx, store.AttendanceSave{
		CentreID: r.Person.CentreID, ActorID: r.Person.ID, Occurrence: c.occ, BaseRevision: d.BaseRevision,
		Marks: marks, AlertAfter: h.AbsenceAlertAfter, Now: r.Now,
	})
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotEnrolled):
		// Someone saved the class since this draft was opened: the draft
		// is outdated, and opening the class again starts from his save.
		if derr := h.AttendanceDrafts.DeleteAttendanceDraft(ctx, r.Person.CentreID, c.occ.Session.ID, c.date, 0); derr != nil {
			return derr
		}
		return Fail("attendance.save_conflict")
	case err != nil:
		return err
	}
	if err := h.AttendanceDrafts.DeleteAttendanceDraft(ctx, r.Person.CentreID, c.occ.Session.ID, c.date, d.Version); err != nil {
		return err
	}
	o := c.occ
	text := r.Loc.T("attendance.saved", "Group", o.Session.GroupName, "Day", r.Loc.F.Date(o.Start),
		"Start", r.Loc.F.Time(o.Start), "Present", r.Loc.F.Number(int64(res.Present)),
		"Absent", r.Loc.F.Number(int64(res.Absent)), "Excused", r.Loc.F.Number(int64(res.Excused)))
	kb := inlineRows([]models.InlineKeyboardButton{{Text: r.Loc.T("attendance.btn_correct"),
		CallbackData: attOpenAction.Data(c.ref())}}, 1)
	return h.attendanceEdit(ctx, r, text, kb)
}

// renderAbsenceAlert tells a coordinator, in his language and private chat,
// that a resident has missed classes in a row without excuse. The
// resident's name and room are read when it is sent (never stored in the
// outbox); a resident erased meanwhile makes it obsolete.
func (h *Attendance) renderAbsenceAlert(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	resident, err1 := strconv.ParseInt(m.Args["resident"], 10, 64)
	count, err2 := strconv.Atoi(m.Args["count"])
	if err := errors.Join(err1, err2); err != nil {
		return Outgoing{}, fmt.Errorf("handlers: absence alert args: %w", err)
	}
	res, err := h.Lookup.PersonByID(ctx, m.CentreID, resident)
	if errors.Is(err, store.ErrNotFound) {
		return Outgoing{}, ErrObsolete
	}
	if err != nil {
		return Outgoing{}, err
	}
	room := res.Room
	if room == "" {
		room = "—"
	}
	return Outgoing{Text: loc.N("attendance.absence_alert", count, "Name", res.DisplayName, "Room", room,
		"Group", m.Args["group"])}, nil
}

// AbsenceAlertArgs was one coordinator's alert (a job of the old code; see
// the shims in classes.go).
type AbsenceAlertArgs struct {
	CentreID      int64  `json:"centre_id"`
	CoordinatorID int64  `json:"coordinator_id"`
	ResidentID    int64  `json:"resident_id"`
	RegisterID    int64  `json:"register_id"` // the run's first absence
	Count         int    `json:"count"`
	Group         string `json:"group"`
}

// Kind names the job in River's table.
func (AbsenceAlertArgs) Kind() string { return "class_absence_alert" }

// AbsenceAlertWorker is the shim of AbsenceAlertArgs.
type AbsenceAlertWorker struct {
	river.WorkerDefaults[AbsenceAlertArgs]
	h *Attendance
}

// Work queues the alert as an outbox row.
func (w *AbsenceAlertWorker) Work(ctx context.Context, job *river.Job[AbsenceAlertArgs]) error {
	a := job.Args
	_, err := w.h.ClassStore.Enqueue(ctx, w.h.Clock(), store.OutboxMessage{CentreID: a.CentreID, PersonID: a.CoordinatorID,
		Kind: store.KindAbsenceAlert, MsgID: "attendance.absence_alert",
		Key:  fmt.Sprintf("alert:absence:%d:%d:%d", a.RegisterID, a.ResidentID, a.CoordinatorID),
		Args: map[string]string{"resident": strconv.FormatInt(a.ResidentID, 10), "count": strconv.Itoa(a.Count), "group": a.Group}})
	return err
}
