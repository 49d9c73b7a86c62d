package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// The interview conversation: a coordinator finds the resident (name or
// room), picks the kind, the date and time (typed or with buttons), types
// the place, ticks the documents to bring, checks a preview and sends. The
// same date steps, in mode "move", reschedule an existing appointment.
const (
	stepIvWho     = "interview.who"
	stepIvKind    = "interview.kind"
	stepIvDate    = "interview.date"
	stepIvTime    = "interview.time"
	stepIvPlace   = "interview.place"
	stepIvDocs    = "interview.docs"
	stepIvConfirm = "interview.confirm"

	ivModeNew  = "new"
	ivModeMove = "move"
)

const (
	ivMaxCandidates = 8
	ivMaxPlace      = 200
	ivDayButtons    = 14
	// Time buttons: every half hour from 08:00 to 18:00.
	ivFirstSlot, ivLastSlot, ivSlotStep = 8 * 60, 18 * 60, 30
)

// InterviewStart is /interview: it asks whom the appointment is for (a
// name or room given with the command is searched at once).
func (h *Appointments) InterviewStart(ctx context.Context, r *Request) error {
	if err := h.setStep(ctx, r, stepIvWho, map[string]string{"mode": ivModeNew}); err != nil {
		return err
	}
	if q := strings.TrimSpace(r.Args); q != "" {
		return h.interviewSearch(ctx, r, q)
	}
	_, err := h.reply(ctx, r, r.Loc.T("interview.ask_who"), &models.ReplyKeyboardRemove{RemoveKeyboard: true})
	return err
}

// InterviewStep takes what the coordinator types during the conversation.
func (h *Appointments) InterviewStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch r.step() {
	case stepIvWho:
		return h.interviewSearch(ctx, r, r.Text)
	case stepIvDate, stepIvTime:
		var def *time.Time
		if r.step() == stepIvTime {
			if d, ok := ivParseDay(data["day"], r.Loc.F.Location()); ok {
				def = &d
			}
		}
		w, err := ParseInterviewTime(r.Text, r.Now, r.Loc.F.Location(), def)
		if err != nil {
			return ivTimeError(err)
		}
		if !w.HasTime {
			data["day"] = w.Day.Format(ivDayLayout)
			return h.ivAskTime(ctx, r, data, w.Day)
		}
		return h.ivWhenChosen(ctx, r, data, w.At)
	case stepIvPlace:
		place := strings.Join(strings.Fields(locales.StripBidi(r.Text)), " ")
		if place == "" || len([]rune(place)) > ivMaxPlace {
			return Fail("interview.bad_place")
		}
		data["place"] = place
		data["docs"] = ""
		if err := h.setStep(ctx, r, stepIvDocs, data); err != nil {
			return err
		}
		_, err := h.reply(ctx, r, r.Loc.T("interview.ask_docs"), ivDocsKeyboard(r.Loc, nil))
		return err
	}
	// Waiting for a button: typing does not move on.
	return Fail("error.not_understood")
}

func (h *Appointments) interviewSearch(ctx context.Context, r *Request, query string) error {
	query = strings.TrimSpace(locales.ASCIIDigits(locales.StripBidi(query)))
	if query == "" || len([]rune(query)) > 80 {
		return Fail("interview.no_match")
	}
	people, err := h.AppointmentStore.InterviewCandidates(ctx, r.Person.CentreID, query, ivMaxCandidates)
	if err != nil {
		return err
	}
	if len(people) == 0 {
		return Fail("interview.no_match")
	}
	data := copyData(r.Conv)
	ids := make([]string, len(people))
	buttons := make([]models.InlineKeyboardButton, len(people))
	for i, p := range people {
		ids[i] = itoa(p.ID)
		buttons[i] = models.InlineKeyboardButton{Text: p.DisplayName + " · " + apptRoom(p.Room),
			CallbackData: ivPersonAction.Data(ivPersonArg{p.ID})}
	}
	data["cands"] = strings.Join(ids, ",")
	if err := h.setStep(ctx, r, stepIvWho, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("interview.pick"), inlineRows(buttons, 1))
	return err
}

// The interview's buttons: one action each, routed by its prefix in
// bot/routes.go. Each is checked against the conversation's current step
// and data; a button that does not fit (old, forged, another
// conversation) changes nothing.
type (
	ivPersonArg struct{ Person int64 }
	ivKindArg   struct{ Kind string }
	ivDayArg    struct{ Day time.Time } // yyyymmdd, read in the coordinator's zone
	ivSlotArg   struct{ Minutes int }   // minutes after midnight, a half hour from 08:00 to 18:00
	ivDocArg    struct{ Doc string }
	ivNone      struct{}
)

var (
	ivPersonAction   = newAction("iv:p", encIvPerson, decIvPerson, ivPersonArg{42})       // the resident found
	ivKindAction     = newAction("iv:k", encIvKind, decIvKind, ivKindArg{store.KindSIAO}) // the kind
	ivDayAction      = newAction("iv:d", encIvDay, decIvDay, ivDayArg{sampleDate})        // the day
	ivTimeAction     = newAction("iv:t", encIvSlot, decIvSlot, ivSlotArg{9*60 + 30})      // the time
	ivDocAction      = newAction("iv:doc", encIvDoc, decIvDoc, ivDocArg{"permit"})        // tick or untick a document
	ivDocsDoneAction = newAction("iv:docs", encIvNone, decIvNone, ivNone{})               // documents chosen: preview
	ivSendAction     = newAction("iv:send", encIvNone, decIvNone, ivNone{})               // send the preview
	ivNoAction       = newAction("iv:no", encIvNone, decIvNone, ivNone{})                 // do not
)

func encIvPerson(v ivPersonArg) []string { return []string{itoa(v.Person)} }

func decIvPerson(f []string) (ivPersonArg, bool) {
	if len(f) != 1 {
		return ivPersonArg{}, false
	}
	id, ok := idField(f[0])
	return ivPersonArg{id}, ok
}

func encIvKind(v ivKindArg) []string { return []string{v.Kind} }

func decIvKind(f []string) (ivKindArg, bool) {
	return ivKindArg{firstOf(f)}, len(f) == 1 && ivContains(store.AppointmentKinds, f[0])
}

func encIvDay(v ivDayArg) []string { return []string{v.Day.Format(ivDayLayout)} }

func decIvDay(f []string) (ivDayArg, bool) {
	if len(f) != 1 {
		return ivDayArg{}, false
	}
	d, ok := dateField(f[0])
	return ivDayArg{d}, ok
}

func encIvSlot(v ivSlotArg) []string { return []string{ivFormatSlot(v.Minutes)} }

func decIvSlot(f []string) (ivSlotArg, bool) {
	if len(f) != 1 {
		return ivSlotArg{}, false
	}
	m, ok := ivParseSlot(f[0])
	// "+930" reads as 09:30 too: only the data the bot writes is a button.
	return ivSlotArg{m}, ok && ivFormatSlot(m) == f[0]
}

func encIvDoc(v ivDocArg) []string { return []string{v.Doc} }

func decIvDoc(f []string) (ivDocArg, bool) {
	return ivDocArg{firstOf(f)}, len(f) == 1 && ivContains(store.AppointmentDocuments, f[0])
}

func encIvNone(ivNone) []string { return nil }

func decIvNone(f []string) (ivNone, bool) { return ivNone{}, len(f) == 0 }

// InterviewPickPerson takes the resident picked among those found.
func (h *Appointments) InterviewPickPerson(ctx context.Context, r *Request) error {
	v, err := ivPersonAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	data := copyData(r.Conv)
	pid := itoa(v.Person)
	if r.step() != stepIvWho || !ivContains(strings.Split(data["cands"], ","), pid) {
		return ErrStaleButton
	}
	data["pid"] = pid
	delete(data, "cands")
	if err := h.setStep(ctx, r, stepIvKind, data); err != nil {
		return err
	}
	buttons := make([]models.InlineKeyboardButton, len(store.AppointmentKinds))
	for i, k := range store.AppointmentKinds {
		buttons[i] = models.InlineKeyboardButton{Text: r.Loc.T(apptKindMessage(k)), CallbackData: ivKindAction.Data(ivKindArg{k})}
	}
	_, err = h.reply(ctx, r, r.Loc.T("interview.ask_kind"), inlineRows(buttons, 1))
	return err
}

// InterviewKind takes the kind of appointment, then asks the date.
func (h *Appointments) InterviewKind(ctx context.Context, r *Request) error {
	v, err := ivKindAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if r.step() != stepIvKind {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	data["kind"] = v.Kind
	return h.ivAskDate(ctx, r, data, r.Loc.T("interview.ask_date"))
}

// InterviewDay takes one of the next 14 days, then asks the time.
func (h *Appointments) InterviewDay(ctx context.Context, r *Request) error {
	v, err := ivDayAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if step := r.step(); step != stepIvDate && step != stepIvTime {
		return ErrStaleButton
	}
	loc := r.Loc.F.Location()
	// The button names a calendar day: midnight where the coordinator is.
	day := time.Date(v.Day.Year(), v.Day.Month(), v.Day.Day(), 0, 0, 0, 0, loc)
	today := ivMidnight(r.Now, loc)
	if day.Before(today) || !day.Before(ivAddDays(today, ivDayButtons)) {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	data["day"] = day.Format(ivDayLayout)
	return h.ivAskTime(ctx, r, data, day)
}

// InterviewTime takes a half hour of the day chosen.
func (h *Appointments) InterviewTime(ctx context.Context, r *Request) error {
	v, err := ivTimeAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if r.step() != stepIvTime {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	day, ok := ivParseDay(data["day"], r.Loc.F.Location())
	if !ok {
		return ErrStaleButton
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), v.Minutes/60, v.Minutes%60, 0, 0, r.Loc.F.Location())
	if !at.After(r.Now) {
		return Fail("interview.date_past")
	}
	return h.ivWhenChosen(ctx, r, data, at)
}

// InterviewToggleDoc ticks or unticks a document of the checklist, in
// place.
func (h *Appointments) InterviewToggleDoc(ctx context.Context, r *Request) error {
	v, err := ivDocAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if r.step() != stepIvDocs {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	docs := ivToggleDoc(ivSplit(data["docs"]), v.Doc)
	data["docs"] = strings.Join(docs, ",")
	if err := h.setStep(ctx, r, stepIvDocs, data); err != nil {
		return err
	}
	_, err = h.Send.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: r.ChatID, MessageID: r.MessageID,
		Text: r.Loc.T("interview.ask_docs"), ReplyMarkup: ivDocsKeyboard(r.Loc, docs)})
	if err != nil {
		h.Log.WarnContext(ctx, "edit documents checklist", "err", err)
	}
	return nil
}

// InterviewDocsDone closes the checklist and shows the preview.
func (h *Appointments) InterviewDocsDone(ctx context.Context, r *Request) error {
	if _, err := ivDocsDoneAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepIvDocs {
		return ErrStaleButton
	}
	return h.interviewPreview(ctx, r, copyData(r.Conv))
}

// InterviewSend sends the appointment previewed: a new one, or the move of
// an existing one.
func (h *Appointments) InterviewSend(ctx context.Context, r *Request) error {
	if _, err := ivSendAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepIvConfirm {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	if data["mode"] == ivModeMove {
		return h.rescheduleAppointment(ctx, r, data)
	}
	return h.createAppointment(ctx, r, data)
}

// InterviewNo drops the appointment previewed.
func (h *Appointments) InterviewNo(ctx context.Context, r *Request) error {
	if _, err := ivNoAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepIvConfirm {
		return ErrStaleButton
	}
	return h.cancel(ctx, r)
}

// ivAskDate asks for the date and time, typed or from the next 14 days.
func (h *Appointments) ivAskDate(ctx context.Context, r *Request, data map[string]string, text string) error {
	delete(data, "day")
	if err := h.setStep(ctx, r, stepIvDate, data); err != nil {
		return err
	}
	loc := r.Loc.F.Location()
	today := ivMidnight(r.Now, loc)
	buttons := make([]models.InlineKeyboardButton, ivDayButtons)
	for i := range ivDayButtons {
		d := ivAddDays(today, i)
		buttons[i] = models.InlineKeyboardButton{Text: r.Loc.F.Weekday(d) + " " + r.Loc.F.DateShort(d),
			CallbackData: ivDayAction.Data(ivDayArg{d})}
	}
	_, err := h.reply(ctx, r, text, inlineRows(buttons, 2))
	return err
}

// ivAskTime offers the half hours of the day still ahead; any time can be
// typed as well.
func (h *Appointments) ivAskTime(ctx context.Context, r *Request, data map[string]string, day time.Time) error {
	if err := h.setStep(ctx, r, stepIvTime, data); err != nil {
		return err
	}
	var buttons []models.InlineKeyboardButton
	for m := ivFirstSlot; m <= ivLastSlot; m += ivSlotStep {
		t := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, r.Loc.F.Location())
		if !t.After(r.Now) {
			continue
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.F.Time(t),
			CallbackData: ivTimeAction.Data(ivSlotArg{m})})
	}
	var kb models.ReplyMarkup
	if len(buttons) > 0 {
		kb = inlineRows(buttons, 4)
	}
	_, err := h.reply(ctx, r, r.Loc.T("interview.ask_time", "Date", r.Loc.F.Date(day)), kb)
	return err
}

// ivWhenChosen moves on once the date and time are known: the place for a
// new appointment, the preview for a move.
func (h *Appointments) ivWhenChosen(ctx context.Context, r *Request, data map[string]string, at time.Time) error {
	data["at"] = at.UTC().Format(time.RFC3339)
	if data["mode"] == ivModeMove {
		return h.interviewPreview(ctx, r, data)
	}
	if err := h.setStep(ctx, r, stepIvPlace, data); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("interview.ask_place"), nil)
	return err
}

// interviewPreview shows what the resident will get, with Send and Cancel.
func (h *Appointments) interviewPreview(ctx context.Context, r *Request, data map[string]string) error {
	draft, p, err := h.draftAppointment(ctx, r, data)
	if err != nil {
		return err
	}
	if err := h.setStep(ctx, r, stepIvConfirm, data); err != nil {
		return err
	}
	var text string
	send := r.Loc.T("interview.button_send")
	if data["mode"] == ivModeMove {
		old, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, draft.ID)
		if err != nil {
			return err
		}
		text = r.Loc.T("interview.move_preview", "Name", p.DisplayName, "Room", apptRoom(p.Room),
			"Old", r.Loc.F.DateTime(old.At), "New", r.Loc.F.DateTime(draft.At))
		send = r.Loc.T("interview.button_move")
	} else {
		text = r.Loc.T("interview.preview", "Name", p.DisplayName, "Room", apptRoom(p.Room)) + "\n" +
			appointmentCard(r.Loc, draft) + "\n\n" + r.Loc.T("interview.preview_question")
	}
	kb := inlineRows([]models.InlineKeyboardButton{
		{Text: send, CallbackData: ivSendAction.Data(ivNone{})},
		{Text: r.Loc.T("button.cancel"), CallbackData: ivNoAction.Data(ivNone{})},
	}, 2)
	_, err = h.reply(ctx, r, text, kb)
	return err
}

// draftAppointment reads the conversation's answers back; a conversation
// whose data does not hold together is treated as a stale one.
func (h *Appointments) draftAppointment(ctx context.Context, r *Request, data map[string]string) (store.Appointment, store.Person, error) {
	pid, err1 := strconv.ParseInt(data["pid"], 10, 64)
	at, err2 := time.Parse(time.RFC3339, data["at"])
	if err1 != nil || err2 != nil {
		return store.Appointment{}, store.Person{}, ErrStaleButton
	}
	p, err := h.Lookup.PersonByID(ctx, r.Person.CentreID, pid)
	if errors.Is(err, store.ErrNotFound) {
		return store.Appointment{}, store.Person{}, ErrStaleButton
	}
	if err != nil {
		return store.Appointment{}, store.Person{}, err
	}
	a := store.Appointment{CentreID: r.Person.CentreID, PersonID: pid, Kind: data["kind"], At: at,
		Place: data["place"], Documents: ivSplit(data["docs"]), PersonName: p.DisplayName, PersonRoom: p.Room}
	if data["mode"] == ivModeMove {
		if a.ID, err = strconv.ParseInt(data["appt"], 10, 64); err != nil {
			return store.Appointment{}, store.Person{}, ErrStaleButton
		}
	}
	return a, p, nil
}

func (h *Appointments) createAppointment(ctx context.Context, r *Request, data map[string]string) error {
	draft, p, err := h.draftAppointment(ctx, r, data)
	if err != nil {
		return err
	}
	a, err := h.AppointmentStore.CreateAppointment(ctx, store.NewAppointment{
		CentreID: r.Person.CentreID, PersonID: p.ID, CoordinatorID: r.Person.ID,
		Kind: draft.Kind, At: draft.At, Place: draft.Place, Documents: draft.Documents,
	}, h.reminderSpecs(), r.Now)
	switch {
	case errors.Is(err, store.ErrAppointmentPast):
		return h.ivAskDate(ctx, r, data, r.Loc.T("interview.date_past"))
	case errors.Is(err, store.ErrNotFound):
		if err := h.endConversation(ctx, r); err != nil {
			return err
		}
		return Fail("interview.person_gone")
	case err != nil:
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	msg := "interview.sent"
	reachable := p.TelegramID != nil && !p.Unreachable
	if !reachable {
		msg = "interview.sent_unreachable"
	}
	return h.replyMenu(ctx, r, r.Loc.T(msg, "Name", a.PersonName)+h.reminderPlanText(r.Loc, a.At, r.Now, reachable))
}

// startReschedule opens the date steps for an existing appointment.
func (h *Appointments) startReschedule(ctx context.Context, r *Request, a store.Appointment) error {
	data := map[string]string{"mode": ivModeMove, "appt": itoa(a.ID), "ver": strconv.Itoa(a.Version),
		"pid": itoa(a.PersonID), "kind": a.Kind, "place": a.Place, "docs": strings.Join(a.Documents, ",")}
	return h.ivAskDate(ctx, r, data, r.Loc.T("interview.move_start", "Name", a.PersonName,
		"When", r.Loc.F.DateTime(a.At))+"\n"+r.Loc.T("interview.ask_date"))
}

func (h *Appointments) rescheduleAppointment(ctx context.Context, r *Request, data map[string]string) error {
	draft, _, err := h.draftAppointment(ctx, r, data)
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(data["ver"])
	if err != nil {
		return ErrStaleButton
	}
	a, err := h.AppointmentStore.RescheduleAppointment(ctx, r.Person.CentreID, draft.ID, version, draft.At,
		r.Person.ID, h.reminderSpecs(), r.Now)
	switch {
	case errors.Is(err, store.ErrAppointmentPast):
		return h.ivAskDate(ctx, r, data, r.Loc.T("interview.date_past"))
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		if err := h.endConversation(ctx, r); err != nil {
			return err
		}
		return Fail("appointments.changed")
	case err != nil:
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	ok, err := h.apptReachable(ctx, a.CentreID, a.PersonID)
	if err != nil {
		return err
	}
	msg := "interview.moved"
	if !ok {
		msg = "interview.moved_unreachable"
	}
	return h.replyMenu(ctx, r, r.Loc.T(msg, "Name", a.PersonName)+h.reminderPlanText(r.Loc, a.At, r.Now, ok))
}

// reminderPlanText tells the coordinator what will actually happen before
// the appointment, planned as the store planned it: each reminder the
// resident will get (when he can be reached), or that none fits any more,
// and when the bot checks for his answer.
func (h *Appointments) reminderPlanText(loc *locales.Localizer, at, now time.Time, reachable bool) string {
	var reminders, checks []string
	for _, p := range store.PlanReminders(at, now, h.reminderSpecs()) {
		switch p.Kind {
		case store.ReminderToResident:
			reminders = append(reminders, loc.T("interview.plan_reminder", "When", loc.F.DateTime(p.Due)))
		case store.ReminderNoAnswer:
			checks = append(checks, loc.T("interview.plan_check", "When", loc.F.DateTime(p.Due)))
		}
	}
	if !reachable {
		reminders = nil // they will not arrive: he is told to tell him in person
	} else if len(reminders) == 0 {
		reminders = []string{loc.T("interview.plan_no_reminder")}
	}
	lines := append(reminders, checks...)
	if len(lines) == 0 {
		return ""
	}
	return "\n" + strings.Join(lines, "\n")
}

// ivDocsKeyboard is the documents checklist: each document toggles, then
// Next.
func ivDocsKeyboard(loc *locales.Localizer, ticked []string) *models.InlineKeyboardMarkup {
	var buttons []models.InlineKeyboardButton
	for _, d := range store.AppointmentDocuments {
		mark := "☐ "
		if ivContains(ticked, d) {
			mark = "✅ "
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: mark + loc.T(apptDocMessage(d)),
			CallbackData: ivDocAction.Data(ivDocArg{d})})
	}
	buttons = append(buttons, models.InlineKeyboardButton{Text: loc.T("interview.button_next"), CallbackData: ivDocsDoneAction.Data(ivNone{})})
	return inlineRows(buttons, 1)
}

// ivToggleDoc adds or removes a document, keeping the checklist's order.
func ivToggleDoc(docs []string, d string) []string {
	var out []string
	for _, x := range store.AppointmentDocuments {
		if (x == d) != ivContains(docs, x) {
			out = append(out, x)
		}
	}
	return out
}

func ivSplit(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func ivContains(list []string, s string) bool {
	for _, x := range list {
		if x == s && s != "" {
			return true
		}
	}
	return false
}

const ivDayLayout = "20060102"

func ivParseDay(s string, loc *time.Location) (time.Time, bool) {
	d, err := time.ParseInLocation(ivDayLayout, s, loc)
	return d, err == nil
}

func ivParseSlot(s string) (int, bool) {
	if len(s) != 4 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	m := n/100*60 + n%100
	if n%100 >= 60 || m < ivFirstSlot || m > ivLastSlot || (m-ivFirstSlot)%ivSlotStep != 0 {
		return 0, false
	}
	return m, true
}

func ivFormatSlot(m int) string {
	return strconv.Itoa(m/60/10) + strconv.Itoa(m/60%10) + strconv.Itoa(m%60/10) + strconv.Itoa(m%10)
}

func ivMidnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// ivAddDays moves by calendar days on the wall clock (a DST day has 23 or 25
// hours).
func ivAddDays(day time.Time, n int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+n, 0, 0, 0, 0, day.Location())
}

// What ParseInterviewTime can refuse.
var (
	ErrInterviewTimeUnreadable = errors.New("handlers: date not understood")
	ErrInterviewTimePast       = errors.New("handlers: date is past")
	ErrInterviewTimeFar        = errors.New("handlers: date is more than a year ahead")
)

// ivTimeError keeps a date error for errorMessages to explain; anything
// else the parser says is "not understood".
func ivTimeError(err error) error {
	if _, ok := MessageOf(err); ok {
		return err
	}
	return Fail("interview.date_bad")
}

// InterviewTime is a typed date, with or without a time.
type InterviewTime struct {
	Day     time.Time // ivMidnight of the day, in the centre's zone
	HasTime bool
	At      time.Time // the instant, when HasTime
}

// ivMaxAhead is how far ahead an appointment may be set.
const ivMaxAhead = 366 * 24 * time.Hour

// ParseInterviewTime reads a date and time as people type them, with the
// bot's one reader of typed days and times (locales.ParseWhen): "3/12
// 14h30", "03/12/2026 14:30", "demain 10h", "lundi 9h", "tomorrow 2pm", in
// any script's digits. Times are on the centre's clock (loc). Without a
// year, the next such date is meant; a weekday name means the next such
// day after today. def is the day already picked with a button, used when
// the text has only a time. With a date but no time, HasTime is false.
// It returns ErrInterviewTimeUnreadable, ErrInterviewTimePast (before now) or ErrInterviewTimeFar
// (more than a year ahead).
func ParseInterviewTime(text string, now time.Time, loc *time.Location, def *time.Time) (InterviewTime, error) {
	today := ivMidnight(now, loc)
	typed, ok := locales.ParseWhen(text, today)
	if !ok {
		return InterviewTime{}, ErrInterviewTimeUnreadable
	}
	day := typed.Day
	if !typed.HasDay {
		if def == nil {
			return InterviewTime{}, ErrInterviewTimeUnreadable
		}
		day = ivMidnight(*def, loc)
	}
	if day.Before(today) {
		return InterviewTime{}, ErrInterviewTimePast
	}
	if day.Sub(today) > ivMaxAhead {
		return InterviewTime{}, ErrInterviewTimeFar
	}
	w := InterviewTime{Day: day}
	if !typed.HasClock {
		return w, nil
	}
	hour, minute := typed.Minutes/60, typed.Minutes%60
	at := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, loc)
	if at.Hour() != hour || at.Minute() != minute {
		// The hour skipped when clocks go forward in spring.
		return InterviewTime{}, ErrInterviewTimeUnreadable
	}
	if !at.After(now) {
		return InterviewTime{}, ErrInterviewTimePast
	}
	w.HasTime, w.At = true, at
	return w, nil
}
