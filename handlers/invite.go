package handlers

import (
	"context"
	"regexp"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// The invite conversation: staff types the new resident's name and room,
// picks his language, checks, confirms; the bot answers with the one-time
// code and deep link to hand over on paper.
const (
	stepInviteName    = "invite.name"
	stepInviteRoom    = "invite.room"
	stepInviteLang    = "invite.lang"
	stepInviteConfirm = "invite.confirm"
)

var roomRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,16}$`)

// InviteStart begins the invite conversation.
func (h *People) InviteStart(ctx context.Context, r *Request) error {
	if err := h.setStep(ctx, r, stepInviteName, map[string]string{}); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("invite.ask_name"), &models.ReplyKeyboardRemove{RemoveKeyboard: true})
	return err
}

// InviteStep takes the typed answers of the invite conversation.
func (h *People) InviteStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch r.step() {
	case stepInviteName:
		name, ok := CleanName(r.Text)
		if !ok {
			return Fail("invite.bad_name")
		}
		data["name"] = name
		if err := h.setStep(ctx, r, stepInviteRoom, data); err != nil {
			return err
		}
		_, err := h.reply(ctx, r, r.Loc.T("invite.ask_room"), nil)
		return err
	case stepInviteRoom:
		room, ok := CleanRoom(r.Text)
		if !ok {
			return Fail("invite.bad_room")
		}
		data["room"] = room
		if err := h.setStep(ctx, r, stepInviteLang, data); err != nil {
			return err
		}
		_, err := h.reply(ctx, r, r.Loc.T("invite.ask_language"), languageButtons(invLangAction, ""))
		return err
	default:
		// Waiting for a button: typing does not move on.
		return Fail("error.not_understood")
	}
}

// The buttons of the invite conversation: one action each, routed by its
// prefix in bot/routes.go. A button that does not match the current step
// (old, forged, or from a conversation already ended) changes nothing.
var (
	invLangAction = newAction("inv:lang", encLang, decLang, langChoice{locales.Languages[0]}) // the resident's language
	invOKAction   = newAction("inv:ok", encNoFields, decNoFields, noFields{})                 // create the invite
	invNoAction   = newAction("inv:no", encNoFields, decNoFields, noFields{})                 // cancel
)

// InviteLanguage takes the resident's language and asks to confirm.
func (h *People) InviteLanguage(ctx context.Context, r *Request) error {
	v, err := invLangAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if r.step() != stepInviteLang {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	data["lang"] = v.Lang.Tag
	if err := h.setStep(ctx, r, stepInviteConfirm, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("invite.confirm",
		"Name", data["name"], "Room", data["room"], "Language", v.Lang.Native), confirmActions(r.Loc, invOKAction, invNoAction))
	return err
}

// InviteConfirm creates the confirmed invite.
func (h *People) InviteConfirm(ctx context.Context, r *Request) error {
	if _, err := invOKAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepInviteConfirm {
		return ErrStaleButton
	}
	return h.createInvite(ctx, r, copyData(r.Conv))
}

// InviteCancel drops the invite at its confirmation.
func (h *People) InviteCancel(ctx context.Context, r *Request) error {
	if _, err := invNoAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepInviteConfirm {
		return ErrStaleButton
	}
	return h.cancel(ctx, r)
}

func (h *People) createInvite(ctx context.Context, r *Request, data map[string]string) error {
	np := store.NewPerson{
		CentreID:    r.Person.CentreID,
		Role:        store.RoleResident,
		DisplayName: data["name"],
		Room:        data["room"],
		Floor:       FloorOfRoom(data["room"]),
		Language:    data["lang"],
	}
	expires := r.Now.Add(h.InviteTTL)
	p, code, err := h.People.CreatePersonWithInvite(ctx, np, &r.Person.ID, expires)
	if err != nil {
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.T("invite.created",
		"Name", p.DisplayName, "Room", p.Room, "Code", code,
		"Link", DeepLink(h.botUsername(r), code), "Expires", r.Loc.F.DateTime(expires)))
}

// CleanRoom reads a room number as typed (any digits, spaces, bidi marks):
// 1–16 letters, digits or dashes, upper-cased.
func CleanRoom(s string) (string, bool) {
	room := strings.ToUpper(strings.TrimSpace(locales.ASCIIDigits(locales.StripBidi(s))))
	return room, roomRe.MatchString(room)
}

// DeepLink is the t.me link that opens the bot with the code.
func DeepLink(botUsername, code string) string {
	return "https://t.me/" + botUsername + "?start=" + code
}

// CleanName is store.CleanName, the one rule for a person's or a place's
// name typed in a chat or a file: 1–80 printable characters, spaces
// collapsed.
func CleanName(s string) (string, bool) { return store.CleanName(s) }

// FloorOfRoom is store.FloorOfRoom: "214" is on floor 2.
func FloorOfRoom(room string) *int { return store.FloorOfRoom(room) }
