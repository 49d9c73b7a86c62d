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

// Appointments is appointments and interviews: the resident's list and
// answers, the coordinator's /interview, messages relayed between them,
// and the reminders.
type Appointments struct {
	Base
	AppointmentStore AppointmentStore
	// InterviewReminders are INTERVIEW_REMINDERS: before each appointment.
	InterviewReminders []time.Duration
}

// Housing appointments: what a resident sees (/appointments, the notice with
// his answer buttons, reminders) and what the centre's staff see
// (/appointments lists the centre's, a detail with the exchange, reschedule
// and cancel for coordinators). Scheduling is in interview.go, the
// coordinator–resident messages in relay.go.

// AppointmentStore is what appointments need from storage.
type AppointmentStore interface {
	InterviewCandidates(ctx context.Context, centreID int64, query string, limit int) ([]store.Person, error)
	CreateAppointment(ctx context.Context, na store.NewAppointment, specs []store.ReminderSpec, now time.Time) (store.Appointment, error)
	RescheduleAppointment(ctx context.Context, centreID, id int64, version int, at time.Time, actorID int64, specs []store.ReminderSpec, now time.Time) (store.Appointment, error)
	CancelAppointment(ctx context.Context, centreID, id int64, version int, actorID int64, now time.Time) (store.Appointment, error)
	AppointmentByID(ctx context.Context, centreID, id int64) (store.Appointment, error)
	AnswerAppointment(ctx context.Context, centreID, personID, id int64, version int, answer string, now time.Time) (store.Appointment, error)
	PersonAppointments(ctx context.Context, centreID, personID int64, from time.Time) ([]store.Appointment, error)
	CentreAppointments(ctx context.Context, centreID int64, from time.Time, limit int) ([]store.Appointment, error)
	QueueLegacyAppointmentReminder(ctx context.Context, centreID, id int64, version int, kind string, dueAt, now time.Time) error
	AddAppointmentMessage(ctx context.Context, centreID, appointmentID, authorID, recipientID int64, fromResident bool, body string, now time.Time) (store.AppointmentMessage, error)
	AppointmentMessageByID(ctx context.Context, centreID, id int64) (store.AppointmentMessage, error)
	AppointmentMessages(ctx context.Context, centreID, appointmentID int64) ([]store.AppointmentMessage, error)
}

// reminderSpecs are the reminders of every appointment: one to the resident
// per configured offset, and the check, with the earliest reminder, that
// tells the coordinator the resident has not answered.
func (h *Appointments) reminderSpecs() []store.ReminderSpec {
	var specs []store.ReminderSpec
	longest := time.Duration(0)
	for _, d := range h.InterviewReminders {
		specs = append(specs, store.ReminderSpec{Kind: store.ReminderToResident, Offset: d})
		longest = max(longest, d)
	}
	return append(specs, store.ReminderSpec{Kind: store.ReminderNoAnswer, Offset: longest})
}

// The appointments' outbox kinds (store.OutboxAppointment*) are rendered
// here, when they leave, from the appointment as it stands then: a row of
// an older version (moved or cancelled since) is obsolete, and so is one
// with answer buttons whose time has come.

// apptOfRow reads the appointment an outbox row is about. ErrObsolete if it
// is gone (erased) or no longer at the row's version.
func (h *Appointments) apptOfRow(ctx context.Context, m store.OutboxRow) (store.Appointment, error) {
	id, err1 := strconv.ParseInt(m.Args["appointment"], 10, 64)
	version, err2 := strconv.Atoi(m.Args["version"])
	if err1 != nil || err2 != nil {
		return store.Appointment{}, fmt.Errorf("handlers: outbox row %d: no appointment in %v", m.ID, m.Args)
	}
	a, err := h.AppointmentStore.AppointmentByID(ctx, m.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Appointment{}, ErrObsolete
	}
	if err != nil {
		return store.Appointment{}, err
	}
	if a.Version != version {
		return store.Appointment{}, ErrObsolete
	}
	return a, nil
}

// renderApptToResident renders the notice of a booked, moved or cancelled
// appointment and the reminders: the card, and but for a cancel the
// question with his answer buttons in his language.
func (h *Appointments) renderApptToResident(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	a, err := h.apptOfRow(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	if a.Status == store.AppointmentCancelled {
		return Outgoing{Text: loc.T(m.MsgID) + "\n" + appointmentCard(loc, a)}, nil
	}
	if !a.At.After(h.Clock()) {
		return Outgoing{}, ErrObsolete
	}
	return Outgoing{Text: loc.T(m.MsgID) + "\n" + appointmentCard(loc, a) + "\n\n" + loc.T("appointments.ask_answer"),
		Markup: apptAnswerButtons(loc, a)}, nil
}

// renderApptNoAnswer tells the coordinator the resident has not answered;
// obsolete once he has, or once the time has come.
func (h *Appointments) renderApptNoAnswer(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	a, err := h.apptOfRow(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	if a.Answer != "" || !a.At.After(h.Clock()) {
		return Outgoing{}, ErrObsolete
	}
	return Outgoing{Text: loc.T(m.MsgID, "Name", a.PersonName, "Room", apptRoom(a.PersonRoom)) + "\n" +
		appointmentCard(loc, a), Markup: apptMessageButton(loc, a.ID)}, nil
}

// renderApptAnswer tells the coordinator the resident's answer, the one he
// gave then (a later change is a row of its own).
func (h *Appointments) renderApptAnswer(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	a, err := h.apptOfRow(ctx, m)
	if err != nil {
		return Outgoing{}, err
	}
	answer := m.Args["answer"]
	switch answer {
	case store.AnswerYes, store.AnswerHelp, store.AnswerNo:
	default:
		return Outgoing{}, fmt.Errorf("handlers: outbox row %d: answer %q", m.ID, answer)
	}
	return Outgoing{Text: loc.T(m.MsgID, "Name", a.PersonName, "Room", apptRoom(a.PersonRoom),
		"Answer", loc.T(apptAnswerMessage(answer))) + "\n" + appointmentCard(loc, a),
		Markup: apptMessageButton(loc, a.ID)}, nil
}

// renderApptRelay relays a message between a coordinator and a resident:
// the text only, never forwarded, so neither sees the other's Telegram
// account. A message erased since is obsolete.
func (h *Appointments) renderApptRelay(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	id, err := strconv.ParseInt(m.Args["message"], 10, 64)
	if err != nil {
		return Outgoing{}, fmt.Errorf("handlers: outbox row %d: no message in %v", m.ID, m.Args)
	}
	msg, err := h.AppointmentStore.AppointmentMessageByID(ctx, m.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return Outgoing{}, ErrObsolete
	}
	if err != nil {
		return Outgoing{}, err
	}
	a, err := h.AppointmentStore.AppointmentByID(ctx, m.CentreID, msg.AppointmentID)
	if errors.Is(err, store.ErrNotFound) {
		return Outgoing{}, ErrObsolete
	}
	if err != nil {
		return Outgoing{}, err
	}
	kind, when := loc.T(apptKindMessage(a.Kind)), loc.F.DateTime(a.At)
	if msg.FromResident {
		return Outgoing{Text: loc.T(m.MsgID, "Name", a.PersonName, "Room", apptRoom(a.PersonRoom),
			"Kind", kind, "When", when, "Text", msg.Body), Markup: apptMessageButton(loc, a.ID)}, nil
	}
	author := msg.AuthorName
	if author == "" {
		author = "—"
	}
	return Outgoing{Text: loc.T(m.MsgID, "Name", author, "Kind", kind, "When", when, "Text", msg.Body),
		Markup: inlineRows([]models.InlineKeyboardButton{
			{Text: loc.T("appointments.button_reply"), CallbackData: apptReplyAction.Data(apptMessageArg{msg.ID})},
		}, 1)}, nil
}

// apptReachable says whether the bot can write to a person now, to tell
// the coordinator at once when a message he caused will not arrive (the
// outbox would only mark it unreachable later).
func (h *Appointments) apptReachable(ctx context.Context, centreID, personID int64) (bool, error) {
	p, ok, err := h.recipient(ctx, centreID, personID)
	return ok && !p.Unreachable, err
}

// AppointmentReminderArgs is a reminder job queued before the outbox
// (River kind appointment_reminder). Only AppointmentReminderWorker, a
// shim, still reads it.
type AppointmentReminderArgs struct {
	CentreID      int64     `json:"centre_id"`
	AppointmentID int64     `json:"appointment_id"`
	ReminderID    int64     `json:"reminder_id"`
	Version       int       `json:"version"`
	DueAt         time.Time `json:"due_at"`
}

// Kind names the job in River's table.
func (AppointmentReminderArgs) Kind() string { return "appointment_reminder" }

// AppointmentNoAnswerArgs is a no-answer check queued before the outbox
// (River kind appointment_noanswer). Only AppointmentNoAnswerWorker, a
// shim, still reads it.
type AppointmentNoAnswerArgs struct {
	CentreID      int64     `json:"centre_id"`
	AppointmentID int64     `json:"appointment_id"`
	ReminderID    int64     `json:"reminder_id"`
	Version       int       `json:"version"`
	DueAt         time.Time `json:"due_at"`
}

// Kind names the job in River's table.
func (AppointmentNoAnswerArgs) Kind() string { return "appointment_noanswer" }

// AppointmentReminderWorker is a shim: it turns a reminder job queued
// before the outbox into its outbox row (same key as the new code's, so
// it is never sent twice). It goes away once no appointment_reminder job
// remains in river_job.
type AppointmentReminderWorker struct {
	river.WorkerDefaults[AppointmentReminderArgs]
	h *Appointments
}

// Work queues the reminder's outbox row.
func (w *AppointmentReminderWorker) Work(ctx context.Context, job *river.Job[AppointmentReminderArgs]) error {
	a := job.Args
	return w.h.queueLegacyReminder(ctx, a.CentreID, a.AppointmentID, a.Version, store.ReminderToResident, a.DueAt)
}

// AppointmentNoAnswerWorker is a shim like AppointmentReminderWorker, for
// the no-answer checks. It goes away once no appointment_noanswer job
// remains in river_job.
type AppointmentNoAnswerWorker struct {
	river.WorkerDefaults[AppointmentNoAnswerArgs]
	h *Appointments
}

// Work queues the check's outbox row.
func (w *AppointmentNoAnswerWorker) Work(ctx context.Context, job *river.Job[AppointmentNoAnswerArgs]) error {
	a := job.Args
	return w.h.queueLegacyReminder(ctx, a.CentreID, a.AppointmentID, a.Version, store.ReminderNoAnswer, a.DueAt)
}

// queueLegacyReminder is the shims' work: the old job's reminder becomes
// its outbox row, or nothing if it no longer applies.
func (h *Appointments) queueLegacyReminder(ctx context.Context, centreID, id int64, version int, kind string, dueAt time.Time) error {
	err := h.AppointmentStore.QueueLegacyAppointmentReminder(ctx, centreID, id, version, kind, dueAt, h.Clock())
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased with its resident
	}
	return err
}

// appointmentCard writes an appointment's kind, date and time, place and
// documents to bring, one whole sentence a line.
func appointmentCard(loc *locales.Localizer, a store.Appointment) string {
	lines := []string{loc.T("appointments.card", "Kind", loc.T(apptKindMessage(a.Kind)),
		"When", loc.F.DateTime(a.At), "Place", a.Place)}
	if len(a.Documents) > 0 {
		lines = append(lines, loc.T("appointments.documents"))
		for _, d := range a.Documents {
			lines = append(lines, "• "+loc.T(apptDocMessage(d)))
		}
	}
	return strings.Join(lines, "\n")
}

// The appointments' buttons: one action each, routed by its prefix in
// bot/routes.go. A resident's answer ("apa") and reply ("apr") are
// actions of their own prefix; the staff's ("apc:…") one per sub-action.
// Ids are looked up in the presser's own centre: another centre's id is a
// stale button.
type (
	apptAnswerArg struct {
		Appointment int64
		Version     int
		Answer      string
	}
	apptMessageArg struct{ Message int64 }
	apptIDArg      struct{ Appointment int64 }
	apptVersionArg struct {
		Appointment int64
		Version     int
	}
	apptNone struct{}
)

var (
	apptAnswerAction     = newAction("apa", encApptAnswer, decApptAnswer, apptAnswerArg{42, 1, store.AnswerYes}, apptAnswerArg{42, 3, store.AnswerHelp}) // the resident's answer
	apptReplyAction      = newAction("apr", encApptMessage, decApptMessage, apptMessageArg{42})                                                          // the resident answers a coordinator's message
	apptDetailAction     = newAction("apc:d", encApptID, decApptID, apptIDArg{42})                                                                       // staff: an appointment's detail
	apptMessageAction    = newAction("apc:m", encApptID, decApptID, apptIDArg{42})                                                                       // coordinator: write to the resident
	apptRescheduleAction = newAction("apc:mv", encApptVersion, decApptVersion, apptVersionArg{42, 1})                                                    // coordinator: move it
	apptCancelAskAction  = newAction("apc:x", encApptVersion, decApptVersion, apptVersionArg{42, 1})                                                     // coordinator: cancel it (asks)
	apptCancelAction     = newAction("apc:xy", encApptVersion, decApptVersion, apptVersionArg{42, 2})                                                    // coordinator: cancel it, confirmed
	apptCancelKeptAction = newAction("apc:xn", encApptNone, decApptNone, apptNone{})                                                                     // coordinator: keep it
)

// versionField reads an appointment's version (1 when it is created).
func versionField(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && s == strconv.Itoa(n)
}

func encApptAnswer(v apptAnswerArg) []string {
	return []string{itoa(v.Appointment), strconv.Itoa(v.Version), v.Answer}
}

func decApptAnswer(f []string) (apptAnswerArg, bool) {
	if len(f) != 3 {
		return apptAnswerArg{}, false
	}
	id, ok1 := idField(f[0])
	v, ok2 := versionField(f[1])
	ok3 := f[2] == store.AnswerYes || f[2] == store.AnswerHelp || f[2] == store.AnswerNo
	return apptAnswerArg{id, v, f[2]}, ok1 && ok2 && ok3
}

func encApptMessage(v apptMessageArg) []string { return []string{itoa(v.Message)} }

func decApptMessage(f []string) (apptMessageArg, bool) {
	if len(f) != 1 {
		return apptMessageArg{}, false
	}
	id, ok := idField(f[0])
	return apptMessageArg{id}, ok
}

func encApptID(v apptIDArg) []string { return []string{itoa(v.Appointment)} }

func decApptID(f []string) (apptIDArg, bool) {
	if len(f) != 1 {
		return apptIDArg{}, false
	}
	id, ok := idField(f[0])
	return apptIDArg{id}, ok
}

func encApptVersion(v apptVersionArg) []string {
	return []string{itoa(v.Appointment), strconv.Itoa(v.Version)}
}

func decApptVersion(f []string) (apptVersionArg, bool) {
	if len(f) != 2 {
		return apptVersionArg{}, false
	}
	id, ok1 := idField(f[0])
	v, ok2 := versionField(f[1])
	return apptVersionArg{id, v}, ok1 && ok2
}

func encApptNone(apptNone) []string { return nil }

func decApptNone(f []string) (apptNone, bool) { return apptNone{}, len(f) == 0 }

// apptAnswerButtons are the resident's three answers; they carry the version,
// so a button of a notice sent before a reschedule does nothing.
func apptAnswerButtons(loc *locales.Localizer, a store.Appointment) *models.InlineKeyboardMarkup {
	answer := func(s string) string { return apptAnswerAction.Data(apptAnswerArg{a.ID, a.Version, s}) }
	return inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("appointments.answer_yes"), CallbackData: answer(store.AnswerYes)},
		{Text: loc.T("appointments.answer_help"), CallbackData: answer(store.AnswerHelp)},
		{Text: loc.T("appointments.answer_no"), CallbackData: answer(store.AnswerNo)},
	}, 1)
}

// apptMessageButton lets a coordinator write to the resident of an appointment.
func apptMessageButton(loc *locales.Localizer, appointmentID int64) *models.InlineKeyboardMarkup {
	return inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("appointments.button_message"), CallbackData: apptMessageAction.Data(apptIDArg{appointmentID})},
	}, 1)
}

func apptRoom(room string) string {
	if room == "" {
		return "—"
	}
	return room
}

// maxAppointmentsListed bounds the appointments in one list message (Telegram's 4096
// characters).
const maxAppointmentsListed = 10

// Appointments is /appointments: a resident sees his upcoming appointments;
// staff see the centre's, each with a button to its detail.
func (h *Appointments) Appointments(ctx context.Context, r *Request) error {
	if r.Person.Role.AtLeast(store.RoleStaff) {
		return h.centreAppointments(ctx, r)
	}
	list, err := h.AppointmentStore.PersonAppointments(ctx, r.Person.CentreID, r.Person.ID, r.Now)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return h.replyMenu(ctx, r, r.Loc.T("appointments.none"))
	}
	// One message per appointment, so that each unanswered one carries its
	// own answer buttons: a resident who scrolled past the first notice
	// answers here. An answered one says his answer and keeps the menu.
	for i, a := range list {
		if i == maxAppointmentsListed {
			break
		}
		text := appointmentCard(r.Loc, a)
		if i == 0 {
			text = r.Loc.T("appointments.list_title") + "\n\n" + text
		}
		if a.Answer != "" {
			text += "\n\n" + r.Loc.T("appointments.your_answer", "Answer", r.Loc.T(apptAnswerMessage(a.Answer)))
			if err := h.replyMenu(ctx, r, text); err != nil {
				return err
			}
			continue
		}
		text += "\n\n" + r.Loc.T("appointments.ask_answer")
		if _, err := h.reply(ctx, r, text, apptAnswerButtons(r.Loc, a)); err != nil {
			return err
		}
	}
	return nil
}

func (h *Appointments) centreAppointments(ctx context.Context, r *Request) error {
	list, err := h.AppointmentStore.CentreAppointments(ctx, r.Person.CentreID, r.Now, 20)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return h.replyMenu(ctx, r, r.Loc.T("appointments.staff_none"))
	}
	lines := []string{r.Loc.N("appointments.staff_title", len(list))}
	var buttons []models.InlineKeyboardButton
	for _, a := range list {
		lines = append(lines, r.Loc.T("appointments.staff_item", "When", r.Loc.F.DateTime(a.At),
			"Name", a.PersonName, "Room", apptRoom(a.PersonRoom), "Kind", r.Loc.T(apptKindMessage(a.Kind)),
			"Answer", apptAnswerStatus(r.Loc, a.Answer)))
		buttons = append(buttons, models.InlineKeyboardButton{
			Text:         r.Loc.F.DateShort(a.At) + " " + r.Loc.F.Time(a.At) + " · " + a.PersonName,
			CallbackData: apptDetailAction.Data(apptIDArg{a.ID}),
		})
	}
	_, err = h.reply(ctx, r, strings.Join(lines, "\n"), inlineRows(buttons, 1))
	return err
}

// apptAnswerStatus is the resident's answer as staff read it.
func apptAnswerStatus(loc *locales.Localizer, answer string) string {
	return loc.T(apptStatusMessage(answer))
}

// AppointmentAnswer takes a resident's "apa:<id>:<version>:<answer>"
// button: the answer is stored and, when it changed, queued to the
// coordinator in the same transaction. Another resident's appointment, an
// older version, or a cancelled one changes nothing.
func (h *Appointments) AppointmentAnswer(ctx context.Context, r *Request) error {
	v, err := apptAnswerAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	a, err := h.AppointmentStore.AnswerAppointment(ctx, r.Person.CentreID, r.Person.ID, v.Appointment, v.Version, v.Answer, r.Now)
	if errors.Is(err, store.ErrConflict) {
		return h.apptMovedSince(ctx, r, v.Appointment, v.Version)
	}
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.T(apptAnsweredMessage(a.Answer)))
}

// apptMovedSince answers a button of an older version of his appointment:
// when it was moved since and is still ahead, he is told so with the new
// time and fresh buttons (the notice of the move, again), rather than a
// bare "this button is no longer valid".
func (h *Appointments) apptMovedSince(ctx context.Context, r *Request, id int64, version int) error {
	a, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	if a.PersonID != r.Person.ID || a.Status != store.AppointmentScheduled || a.Version <= version || !a.At.After(r.Now) {
		return ErrStaleButton
	}
	_, err = h.reply(ctx, r, r.Loc.T(store.ApptMsgMoved)+"\n"+appointmentCard(r.Loc, a)+"\n\n"+
		r.Loc.T("appointments.ask_answer"), apptAnswerButtons(r.Loc, a))
	return err
}

// The staff buttons: the detail of an appointment (staff), and for
// coordinators message, reschedule and cancel (with a confirmation).

// apptOfCentre loads an appointment of the presser's centre named by a
// button.
func (h *Appointments) apptOfCentre(ctx context.Context, r *Request, id int64) (store.Appointment, error) {
	a, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Appointment{}, ErrStaleButton
	}
	return a, err
}

// AppointmentDetail shows an appointment, its answer and its messages.
func (h *Appointments) AppointmentDetail(ctx context.Context, r *Request) error {
	v, err := apptDetailAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	a, err := h.apptOfCentre(ctx, r, v.Appointment)
	if err != nil {
		return err
	}
	return h.appointmentDetail(ctx, r, a)
}

// AppointmentMessage lets a coordinator write to the resident. The route
// lets staff in (the detail is theirs): the role is checked once the
// appointment is found, as before the buttons were typed.
func (h *Appointments) AppointmentMessage(ctx context.Context, r *Request) error {
	v, err := apptMessageAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	a, err := h.apptOfCentre(ctx, r, v.Appointment)
	if err != nil {
		return err
	}
	if !r.Person.Role.AtLeast(store.RoleCoordinator) {
		return Forbidden(store.RoleCoordinator, "")
	}
	return h.apptStartMessage(ctx, r, a)
}

// AppointmentReschedule starts moving an appointment.
func (h *Appointments) AppointmentReschedule(ctx context.Context, r *Request) error {
	return h.onScheduled(ctx, r, apptRescheduleAction, h.startReschedule)
}

// AppointmentCancelAsk asks to confirm cancelling an appointment.
func (h *Appointments) AppointmentCancelAsk(ctx context.Context, r *Request) error {
	return h.onScheduled(ctx, r, apptCancelAskAction, func(ctx context.Context, r *Request, a store.Appointment) error {
		kb := inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("appointments.button_cancel_yes"), CallbackData: apptCancelAction.Data(apptVersionArg{a.ID, a.Version})},
			{Text: r.Loc.T("appointments.button_cancel_no"), CallbackData: apptCancelKeptAction.Data(apptNone{})},
		}, 2)
		_, err := h.reply(ctx, r, r.Loc.T("appointments.cancel_confirm", "Name", a.PersonName,
			"Room", apptRoom(a.PersonRoom))+"\n"+appointmentCard(r.Loc, a), kb)
		return err
	})
}

// AppointmentCancel cancels an appointment, once confirmed.
func (h *Appointments) AppointmentCancel(ctx context.Context, r *Request) error {
	return h.onScheduled(ctx, r, apptCancelAction, h.cancelAppointment)
}

// AppointmentCancelKept keeps the appointment.
func (h *Appointments) AppointmentCancelKept(ctx context.Context, r *Request) error {
	if _, err := apptCancelKeptAction.Parse(r.CallbackData); err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.T("appointments.cancel_kept"))
}

// onScheduled decodes a coordinator's button that changes an appointment,
// and acts on it only while it is scheduled, at the version he saw.
func (h *Appointments) onScheduled(ctx context.Context, r *Request, action CallbackAction[apptVersionArg], act func(context.Context, *Request, store.Appointment) error) error {
	v, err := action.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	a, err := h.apptOfCentre(ctx, r, v.Appointment)
	if err != nil {
		return err
	}
	if !r.Person.Role.AtLeast(store.RoleCoordinator) {
		return Forbidden(store.RoleCoordinator, "")
	}
	if a.Status != store.AppointmentScheduled || v.Version != a.Version {
		return ErrStaleButton
	}
	return act(ctx, r, a)
}

func (h *Appointments) cancelAppointment(ctx context.Context, r *Request, a store.Appointment) error {
	c, err := h.AppointmentStore.CancelAppointment(ctx, r.Person.CentreID, a.ID, a.Version, r.Person.ID, r.Now)
	switch {
	case errors.Is(err, store.ErrConflict):
		return Fail("appointments.changed")
	case errors.Is(err, store.ErrNotFound):
		return ErrStaleButton
	case err != nil:
		return err
	}
	ok, err := h.apptReachable(ctx, c.CentreID, c.PersonID)
	if err != nil {
		return err
	}
	msg := "appointments.cancel_done"
	if !ok {
		msg = "appointments.cancel_done_unreachable"
	}
	return h.replyMenu(ctx, r, r.Loc.T(msg, "Name", c.PersonName))
}

// maxThreadShown bounds the messages shown in a detail, and maxThreadTextShown each
// one's length there, to stay within one Telegram message.
const (
	maxThreadShown     = 10
	maxThreadTextShown = 200
)

// appointmentDetail shows one appointment of the centre to staff: the
// resident, the card, his answer and the exchange with the coordinator;
// coordinators also get reschedule, cancel and message buttons.
func (h *Appointments) appointmentDetail(ctx context.Context, r *Request, a store.Appointment) error {
	lines := []string{r.Loc.T("appointments.detail_head", "Name", a.PersonName, "Room", apptRoom(a.PersonRoom)),
		appointmentCard(r.Loc, a)}
	if a.Status == store.AppointmentCancelled {
		lines = append(lines, r.Loc.T("appointments.detail_cancelled"))
	} else {
		lines = append(lines, r.Loc.T("appointments.detail_answer", "Answer", apptAnswerStatus(r.Loc, a.Answer)))
	}
	msgs, err := h.AppointmentStore.AppointmentMessages(ctx, r.Person.CentreID, a.ID)
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		lines = append(lines, "", r.Loc.T("appointments.thread_title"))
		if len(msgs) > maxThreadShown {
			msgs = msgs[len(msgs)-maxThreadShown:]
		}
		for _, m := range msgs {
			id := "appointments.thread_out"
			if m.FromResident {
				id = "appointments.thread_in"
			}
			author := m.AuthorName
			if author == "" {
				author = "—"
			}
			lines = append(lines, r.Loc.T(id, "When", r.Loc.F.DateShort(m.At)+" "+r.Loc.F.Time(m.At),
				"Author", author, "Text", apptShorten(m.Body, maxThreadTextShown)))
		}
	}
	var kb models.ReplyMarkup
	if r.Person.Role.AtLeast(store.RoleCoordinator) {
		buttons := []models.InlineKeyboardButton{
			{Text: r.Loc.T("appointments.button_message"), CallbackData: apptMessageAction.Data(apptIDArg{a.ID})},
		}
		if a.Status == store.AppointmentScheduled && a.At.After(r.Now) {
			v := apptVersionArg{a.ID, a.Version}
			buttons = append([]models.InlineKeyboardButton{
				{Text: r.Loc.T("appointments.button_reschedule"), CallbackData: apptRescheduleAction.Data(v)},
				{Text: r.Loc.T("appointments.button_cancel"), CallbackData: apptCancelAskAction.Data(v)},
			}, buttons...)
		}
		kb = inlineRows(buttons, 2)
	}
	_, err = h.reply(ctx, r, strings.Join(lines, "\n"), kb)
	return err
}

// apptShorten cuts s to n characters, marking the cut.
func apptShorten(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}
