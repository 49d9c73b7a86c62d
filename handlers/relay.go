package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/aurore/cairbot/store"
)

// Messages about an appointment between a coordinator and a resident. The
// bot relays the text only — it never forwards — so neither sees the other's
// Telegram account; every message is kept with the appointment, where the
// centre's staff see it.
const (
	stepRelayToResident    = "apmsg.text"
	stepRelayToCoordinator = "apreply.text"
	maxRelayText           = 1500
)

// cleanRelayText trims a typed message; it must have 1–1500 characters
// and no control characters other than line breaks and tabs.
func cleanRelayText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len([]rune(s)) > maxRelayText {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return "", false
		}
	}
	return s, true
}

// apptStartMessage (button "✉️ Message" of an appointment) asks the coordinator
// for the text to send to the resident.
func (h *Appointments) apptStartMessage(ctx context.Context, r *Request, a store.Appointment) error {
	p, err := h.Lookup.PersonByID(ctx, a.CentreID, a.PersonID)
	if err != nil {
		return err
	}
	if p.TelegramID == nil || p.Status == store.StatusLeft {
		return Fail("appointments.message_no_chat", "Name", a.PersonName)
	}
	if err := h.setStep(ctx, r, stepRelayToResident, map[string]string{"appt": itoa(a.ID)}); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("appointments.message_ask", "Name", a.PersonName), nil)
	return err
}

// AppointmentMessageStep relays the coordinator's typed text to the
// resident, with a Reply button, and keeps it with the appointment.
func (h *Appointments) AppointmentMessageStep(ctx context.Context, r *Request) error {
	if r.step() != stepRelayToResident {
		return Fail("error.not_understood")
	}
	body, ok := cleanRelayText(r.Text)
	if !ok {
		return Fail("appointments.message_bad")
	}
	id, err := strconv.ParseInt(r.Conv.Data["appt"], 10, 64)
	if err != nil {
		return ErrStaleButton
	}
	a, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	if _, err := h.AppointmentStore.AddAppointmentMessage(ctx, r.Person.CentreID, a.ID, r.Person.ID, a.PersonID, false, body, r.Now); err != nil {
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	reachable, err := h.apptReachable(ctx, a.CentreID, a.PersonID)
	if err != nil {
		return err
	}
	msg := "appointments.message_sent"
	if !reachable {
		msg = "appointments.message_unreachable"
	}
	return h.replyMenu(ctx, r, r.Loc.T(msg, "Name", a.PersonName))
}

// AppointmentReplyButton ("apr:<message id>") lets a resident answer a
// coordinator's message. Only a message sent to him opens it.
func (h *Appointments) AppointmentReplyButton(ctx context.Context, r *Request) error {
	v, err := apptReplyAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	m, err := h.messageToResident(ctx, r, itoa(v.Message))
	if err != nil {
		return err
	}
	if err := h.setStep(ctx, r, stepRelayToCoordinator, map[string]string{"msg": itoa(m.ID)}); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("appointments.reply_ask"), nil)
	return err
}

// messageToResident finds a coordinator's message to this resident.
func (h *Appointments) messageToResident(ctx context.Context, r *Request, idText string) (store.AppointmentMessage, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return store.AppointmentMessage{}, ErrStaleButton
	}
	m, err := h.AppointmentStore.AppointmentMessageByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.AppointmentMessage{}, ErrStaleButton
	}
	if err != nil {
		return store.AppointmentMessage{}, err
	}
	if m.FromResident || m.RecipientID == nil || *m.RecipientID != r.Person.ID {
		return store.AppointmentMessage{}, ErrStaleButton
	}
	return m, nil
}

// AppointmentReplyStep relays the resident's typed answer to the
// coordinator who wrote to him (or, if he is gone, the one in charge).
func (h *Appointments) AppointmentReplyStep(ctx context.Context, r *Request) error {
	if r.step() != stepRelayToCoordinator {
		return Fail("error.not_understood")
	}
	body, ok := cleanRelayText(r.Text)
	if !ok {
		return Fail("appointments.message_bad")
	}
	orig, err := h.messageToResident(ctx, r, r.Conv.Data["msg"])
	if err != nil {
		return err
	}
	a, err := h.AppointmentStore.AppointmentByID(ctx, r.Person.CentreID, orig.AppointmentID)
	if err != nil {
		return err
	}
	to := orig.AuthorID
	if to == nil {
		to = a.CoordinatorID
	}
	if to == nil {
		return Fail("appointments.reply_nobody")
	}
	if _, err := h.AppointmentStore.AddAppointmentMessage(ctx, r.Person.CentreID, a.ID, r.Person.ID, *to, true, body, r.Now); err != nil {
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	reachable, err := h.apptReachable(ctx, r.Person.CentreID, *to)
	if err != nil {
		return err
	}
	msg := "appointments.reply_sent"
	if !reachable {
		msg = "appointments.reply_kept"
	}
	return h.replyMenu(ctx, r, r.Loc.T(msg))
}
