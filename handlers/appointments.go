package handlers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Housing appointments: what a resident sees (/appointments, the notice with
// his answer buttons, reminders) and what the centre's staff see
// (/appointments lists the centre's, a detail with the exchange, reschedule
// and cancel for coordinators). Scheduling is in interview.go, the
// coordinator–resident messages in relay.go.

// AppointmentStore is what appointments need from storage.
type AppointmentStore interface {
	InterviewCandidates(ctx context.Context, centreID int64, query string, limit int) ([]store.Person, error)
	CreateAppointment(ctx context.Context, na store.NewAppointment, specs []store.ReminderSpec, q store.ReminderQueue, now time.Time) (store.Appointment, []store.AppointmentReminder, error)
	RescheduleAppointment(ctx context.Context, centreID, id int64, version int, at time.Time, actorID int64, specs []store.ReminderSpec, q store.ReminderQueue, now time.Time) (store.Appointment, []store.AppointmentReminder, error)
	CancelAppointment(ctx context.Context, centreID, id int64, version int, actorID int64, q store.ReminderQueue, now time.Time) (store.Appointment, error)
	AppointmentByID(ctx context.Context, centreID, id int64) (store.Appointment, error)
	AnswerAppointment(ctx context.Context, centreID, personID, id int64, version int, answer string, now time.Time) (store.Appointment, error)
	PersonAppointments(ctx context.Context, centreID, personID int64, from time.Time) ([]store.Appointment, error)
	CentreAppointments(ctx context.Context, centreID int64, from time.Time, limit int) ([]store.Appointment, error)
	ClaimAppointmentReminder(ctx context.Context, reminderID int64, now time.Time) (store.AppointmentReminder, store.Appointment, bool, error)
	FinishAppointmentReminder(ctx context.Context, reminderID int64, state string, now time.Time) error
	AddAppointmentMessage(ctx context.Context, centreID, appointmentID, authorID, recipientID int64, fromResident bool, body string, now time.Time) (store.AppointmentMessage, error)
	AppointmentMessageByID(ctx context.Context, centreID, id int64) (store.AppointmentMessage, error)
	AppointmentMessages(ctx context.Context, centreID, appointmentID int64) ([]store.AppointmentMessage, error)
}

// DefaultInterviewReminders are the reminders before an appointment when
// INTERVIEW_REMINDERS is not set.
var DefaultInterviewReminders = []time.Duration{24 * time.Hour, 2 * time.Hour}

// ParseReminderOffsets reads INTERVIEW_REMINDERS: how long before an
// appointment the resident is reminded, e.g. "24h,2h" or "48h, 24h, 90m".
// Each is from 10 minutes to 30 days; at most 5; repeats are dropped. The
// result is the longest first.
func ParseReminderOffsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	seen := map[time.Duration]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d < 10*time.Minute || d > 30*24*time.Hour || d%time.Minute != 0 {
			return nil, fmt.Errorf("%q is not a whole number of minutes from 10m to 720h, such as 24h or 90m", part)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no reminder given: write them like 24h,2h")
	}
	if len(out) > 5 {
		return nil, errors.New("at most 5 reminders")
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}

// reminderSpecs are the reminders of every appointment: one to the resident
// per configured offset, and the check, with the earliest reminder, that
// tells the coordinator the resident has not answered.
func (h *Handlers) reminderSpecs() []store.ReminderSpec {
	offsets := h.InterviewReminders
	if len(offsets) == 0 {
		offsets = DefaultInterviewReminders
	}
	var specs []store.ReminderSpec
	longest := time.Duration(0)
	for _, d := range offsets {
		specs = append(specs, store.ReminderSpec{Kind: store.ReminderToResident, Offset: d})
		longest = max(longest, d)
	}
	return append(specs, store.ReminderSpec{Kind: store.ReminderNoAnswer, Offset: longest})
}

// AppointmentReminderArgs is the durable job that reminds a resident of an
// appointment. DueAt is when it is meant to run (the job waits for the bot's
// clock to reach it); Version is the appointment's version it was planned
// for.
type AppointmentReminderArgs struct {
	CentreID      int64     `json:"centre_id"`
	AppointmentID int64     `json:"appointment_id"`
	ReminderID    int64     `json:"reminder_id"`
	Version       int       `json:"version"`
	DueAt         time.Time `json:"due_at"`
}

// Kind names the job in River's table.
func (AppointmentReminderArgs) Kind() string { return "appointment_reminder" }

// AppointmentNoAnswerArgs is the durable job that tells the coordinator a
// resident has not answered about an appointment.
type AppointmentNoAnswerArgs struct {
	CentreID      int64     `json:"centre_id"`
	AppointmentID int64     `json:"appointment_id"`
	ReminderID    int64     `json:"reminder_id"`
	Version       int       `json:"version"`
	DueAt         time.Time `json:"due_at"`
}

// Kind names the job in River's table.
func (AppointmentNoAnswerArgs) Kind() string { return "appointment_noanswer" }

// appointmentQueue lets the store put reminder jobs in River, and take them
// out, inside its own transaction.
type appointmentQueue struct{ jobs Jobs }

func (q appointmentQueue) ScheduleReminder(ctx context.Context, tx pgx.Tx, r store.AppointmentReminder) (int64, error) {
	var args river.JobArgs = AppointmentReminderArgs{CentreID: r.CentreID, AppointmentID: r.AppointmentID,
		ReminderID: r.ID, Version: r.Version, DueAt: r.DueAt}
	if r.Kind == store.ReminderNoAnswer {
		args = AppointmentNoAnswerArgs{CentreID: r.CentreID, AppointmentID: r.AppointmentID,
			ReminderID: r.ID, Version: r.Version, DueAt: r.DueAt}
	}
	res, err := q.jobs.InsertTx(ctx, tx, args, &river.InsertOpts{ScheduledAt: r.DueAt,
		UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return 0, fmt.Errorf("handlers: queue reminder: %w", err)
	}
	return res.Job.ID, nil
}

func (q appointmentQueue) CancelReminderJob(ctx context.Context, tx pgx.Tx, jobID int64) error {
	_, err := q.jobs.JobCancelTx(ctx, tx, jobID)
	if err != nil && !errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("handlers: cancel reminder job %d: %w", jobID, err)
	}
	return nil
}

// AppointmentReminderWorker sends AppointmentReminderArgs jobs.
type AppointmentReminderWorker struct {
	river.WorkerDefaults[AppointmentReminderArgs]
	h *Handlers
}

// Work reminds the resident, once (see workAppointmentReminder).
func (w *AppointmentReminderWorker) Work(ctx context.Context, job *river.Job[AppointmentReminderArgs]) error {
	return w.h.workAppointmentReminder(ctx, job.Args.ReminderID, job.Args.DueAt)
}

// AppointmentNoAnswerWorker sends AppointmentNoAnswerArgs jobs.
type AppointmentNoAnswerWorker struct {
	river.WorkerDefaults[AppointmentNoAnswerArgs]
	h *Handlers
}

// Work tells the coordinator, once, if the resident has still not answered.
func (w *AppointmentNoAnswerWorker) Work(ctx context.Context, job *river.Job[AppointmentNoAnswerArgs]) error {
	return w.h.workAppointmentReminder(ctx, job.Args.ReminderID, job.Args.DueAt)
}

// workAppointmentReminder sends one reminder or no-answer warning. A job
// that comes early by the bot's clock waits. The reminder's row is claimed
// (pending → sending) before sending, so a second process, a duplicate job
// or a restart never sends it twice; a reminder of an appointment moved or
// cancelled since, or already answered for a no-answer check, does nothing.
// A temporary failure gives the row back and River retries.
func (h *Handlers) workAppointmentReminder(ctx context.Context, reminderID int64, dueAt time.Time) error {
	now := h.Clock()
	if now.Before(dueAt) {
		return river.JobSnooze(dueAt.Sub(now))
	}
	rem, a, ok, err := h.AppointmentStore.ClaimAppointmentReminder(ctx, reminderID, now)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !ok) {
		return nil
	}
	if err != nil {
		return err
	}
	var sendErr error
	switch rem.Kind {
	case store.ReminderNoAnswer:
		sendErr = h.apptTellCoordinator(ctx, a, func(loc *locales.Localizer) string {
			return loc.T("appointments.noanswer", "Name", a.PersonName, "Room", apptRoom(a.PersonRoom)) +
				"\n" + appointmentCard(loc, a)
		})
	default:
		sendErr = h.apptSendToResident(ctx, a, func(loc *locales.Localizer) (string, models.ReplyMarkup) {
			return loc.T("appointments.reminder") + "\n" + appointmentCard(loc, a) + "\n\n" +
				loc.T("appointments.ask_answer"), apptAnswerButtons(loc, a)
		})
	}
	state := "sent"
	switch {
	case errors.Is(sendErr, errApptNoChat), errors.Is(sendErr, ErrUnreachable):
		state = "failed"
	case sendErr != nil:
		if err := h.AppointmentStore.FinishAppointmentReminder(ctx, reminderID, "pending", now); err != nil {
			return errors.Join(sendErr, err)
		}
		return sendErr
	}
	return h.AppointmentStore.FinishAppointmentReminder(ctx, reminderID, state, now)
}

// errApptNoChat means the person has no Telegram account linked (or left).
var errApptNoChat = errors.New("handlers: person has no chat")

// apptSendToResident sends a message about an appointment to its resident, in
// his language.
func (h *Handlers) apptSendToResident(ctx context.Context, a store.Appointment, render func(*locales.Localizer) (string, models.ReplyMarkup)) error {
	p, err := h.Lookup.PersonByID(ctx, a.CentreID, a.PersonID)
	if err != nil {
		return err
	}
	return h.apptSendToPerson(ctx, p, render)
}

// apptTellCoordinator sends a message about an appointment to the coordinator
// in charge, in his language, with a button to write to the resident.
func (h *Handlers) apptTellCoordinator(ctx context.Context, a store.Appointment, render func(*locales.Localizer) string) error {
	if a.CoordinatorID == nil {
		return errApptNoChat
	}
	p, err := h.Lookup.PersonByID(ctx, a.CentreID, *a.CoordinatorID)
	if errors.Is(err, store.ErrNotFound) {
		return errApptNoChat
	}
	if err != nil {
		return err
	}
	return h.apptSendToPerson(ctx, p, func(loc *locales.Localizer) (string, models.ReplyMarkup) {
		return render(loc), apptMessageButton(loc, a.ID)
	})
}

func (h *Handlers) apptSendToPerson(ctx context.Context, p store.Person, render func(*locales.Localizer) (string, models.ReplyMarkup)) error {
	if p.TelegramID == nil || p.Status == store.StatusLeft {
		return errApptNoChat
	}
	text, markup := render(h.Catalog.Localizer(p.Language))
	_, err := h.Send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: *p.TelegramID, Text: text, ReplyMarkup: markup})
	if err != nil && !errors.Is(err, ErrUnreachable) {
		return fmt.Errorf("handlers: send about appointment: %w", err)
	}
	return err
}

// appointmentCard writes an appointment's kind, date and time, place and
// documents to bring, one whole sentence a line.
func appointmentCard(loc *locales.Localizer, a store.Appointment) string {
	lines := []string{loc.T("appointments.card", "Kind", loc.T("appointments.kind."+a.Kind),
		"When", loc.F.DateTime(a.At), "Place", a.Place)}
	if len(a.Documents) > 0 {
		lines = append(lines, loc.T("appointments.documents"))
		for _, d := range a.Documents {
			lines = append(lines, "• "+loc.T("appointments.doc."+d))
		}
	}
	return strings.Join(lines, "\n")
}

// apptAnswerButtons are the resident's three answers; they carry the version,
// so a button of a notice sent before a reschedule does nothing.
func apptAnswerButtons(loc *locales.Localizer, a store.Appointment) *models.InlineKeyboardMarkup {
	id, v := itoa(a.ID), strconv.Itoa(a.Version)
	return inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("appointments.answer_yes"), CallbackData: cb("apa", id, v, store.AnswerYes)},
		{Text: loc.T("appointments.answer_help"), CallbackData: cb("apa", id, v, store.AnswerHelp)},
		{Text: loc.T("appointments.answer_no"), CallbackData: cb("apa", id, v, store.AnswerNo)},
	}, 1)
}

// apptMessageButton lets a coordinator write to the resident of an appointment.
func apptMessageButton(loc *locales.Localizer, appointmentID int64) *models.InlineKeyboardMarkup {
	return inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("appointments.button_message"), CallbackData: cb("apc", "m", itoa(appointmentID))},
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
func (h *Handlers) Appointments(ctx context.Context, r *Request) error {
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
	parts := []string{r.Loc.T("appointments.list_title")}
	for i, a := range list {
		if i == maxAppointmentsListed {
			break
		}
		parts = append(parts, appointmentCard(r.Loc, a))
	}
	return h.replyMenu(ctx, r, strings.Join(parts, "\n\n"))
}

func (h *Handlers) centreAppointments(ctx context.Context, r *Request) error {
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
			"Name", a.PersonName, "Room", apptRoom(a.PersonRoom), "Kind", r.Loc.T("appointments.kind."+a.Kind),
			"Answer", apptAnswerStatus(r.Loc, a.Answer)))
		buttons = append(buttons, models.InlineKeyboardButton{
			Text:         r.Loc.F.DateShort(a.At) + " " + r.Loc.F.Time(a.At) + " · " + a.PersonName,
			CallbackData: cb("apc", "d", itoa(a.ID)),
		})
	}
	_, err = h.reply(ctx, r, strings.Join(lines, "\n"), inlineRows(buttons, 1))
	return err
}

// apptAnswerStatus is the resident's answer as staff read it.
func apptAnswerStatus(loc *locales.Localizer, answer string) string {
	if answer == "" {
		answer = "none"
	}
	return loc.T("appointments.status." + answer)
}

// AppointmentAnswer takes a resident's "apa:<id>:<version>:<answer>"
// button: the answer is stored and reaches the coordinator at once. Another
// resident's appointment, an older version, or a cancelled one changes
// nothing.
func (h *Handlers) AppointmentAnswer(ctx context.Context, r *Request) error {
	parts := strings.Split(r.CallbackData, ":")
	if len(parts) != 4 {
		return ErrStaleButton
	}
	id, err1 := strconv.ParseInt(parts[1], 10, 64)
	version, err2 := strconv.Atoi(parts[2])
	answer := parts[3]
	if err1 != nil || err2 != nil {
		return ErrStaleButton
	}
	before, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && before.PersonID != r.Person.ID) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	a, err := h.AppointmentStore.AnswerAppointment(ctx, r.Person.CentreID, r.Person.ID, id, version, answer, r.Now)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	if before.Answer != a.Answer {
		err := h.apptTellCoordinator(ctx, a, func(loc *locales.Localizer) string {
			return loc.T("appointments.coordinator_answer", "Name", a.PersonName, "Room", apptRoom(a.PersonRoom),
				"Answer", loc.T("appointments.answer_"+a.Answer)) + "\n" + appointmentCard(loc, a)
		})
		if err != nil && !errors.Is(err, errApptNoChat) && !errors.Is(err, ErrUnreachable) {
			return err
		}
	}
	return h.replyMenu(ctx, r, r.Loc.T("appointments.answered_"+a.Answer))
}

// AppointmentStaffButton handles the staff buttons "apc:…": the detail of
// an appointment (staff), and for coordinators reschedule, cancel (with a
// confirmation) and message. Everything is looked up in the presser's own
// centre: another centre's id is a stale button.
func (h *Handlers) AppointmentStaffButton(ctx context.Context, r *Request) error {
	parts := strings.Split(r.CallbackData, ":")
	if len(parts) < 2 {
		return ErrStaleButton
	}
	if parts[1] == "xn" {
		return h.replyMenu(ctx, r, r.Loc.T("appointments.cancel_kept"))
	}
	if len(parts) < 3 {
		return ErrStaleButton
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return ErrStaleButton
	}
	version := -1
	if len(parts) == 4 {
		if version, err = strconv.Atoi(parts[3]); err != nil {
			return ErrStaleButton
		}
	}
	a, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	if parts[1] == "d" {
		return h.appointmentDetail(ctx, r, a)
	}
	if !r.Person.Role.AtLeast(store.RoleCoordinator) {
		return ErrForbidden
	}
	switch parts[1] {
	case "m":
		return h.apptStartMessage(ctx, r, a)
	}
	// The rest changes the appointment: only a scheduled one, at the
	// version the coordinator saw.
	if a.Status != store.AppointmentScheduled || version != a.Version {
		return ErrStaleButton
	}
	switch parts[1] {
	case "mv":
		return h.startReschedule(ctx, r, a)
	case "x":
		kb := inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("appointments.button_cancel_yes"), CallbackData: cb("apc", "xy", itoa(a.ID), strconv.Itoa(a.Version))},
			{Text: r.Loc.T("appointments.button_cancel_no"), CallbackData: cb("apc", "xn")},
		}, 2)
		_, err := h.reply(ctx, r, r.Loc.T("appointments.cancel_confirm", "Name", a.PersonName,
			"Room", apptRoom(a.PersonRoom))+"\n"+appointmentCard(r.Loc, a), kb)
		return err
	case "xy":
		return h.cancelAppointment(ctx, r, a)
	}
	return ErrStaleButton
}

func (h *Handlers) cancelAppointment(ctx context.Context, r *Request, a store.Appointment) error {
	c, err := h.AppointmentStore.CancelAppointment(ctx, r.Person.CentreID, a.ID, a.Version, r.Person.ID,
		appointmentQueue{h.Jobs}, r.Now)
	switch {
	case errors.Is(err, store.ErrConflict):
		return Fail("appointments.changed")
	case errors.Is(err, store.ErrNotFound):
		return ErrStaleButton
	case err != nil:
		return err
	}
	err = h.apptSendToResident(ctx, c, func(loc *locales.Localizer) (string, models.ReplyMarkup) {
		return loc.T("appointments.cancelled") + "\n" + appointmentCard(loc, c), nil
	})
	msg := "appointments.cancel_done"
	switch {
	case errors.Is(err, errApptNoChat), errors.Is(err, ErrUnreachable):
		msg = "appointments.cancel_done_unreachable"
	case err != nil:
		return err
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
func (h *Handlers) appointmentDetail(ctx context.Context, r *Request, a store.Appointment) error {
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
			{Text: r.Loc.T("appointments.button_message"), CallbackData: cb("apc", "m", itoa(a.ID))},
		}
		if a.Status == store.AppointmentScheduled && a.At.After(r.Now) {
			v := strconv.Itoa(a.Version)
			buttons = append([]models.InlineKeyboardButton{
				{Text: r.Loc.T("appointments.button_reschedule"), CallbackData: cb("apc", "mv", itoa(a.ID), v)},
				{Text: r.Loc.T("appointments.button_cancel"), CallbackData: cb("apc", "x", itoa(a.ID), v)},
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
