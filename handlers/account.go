package handlers

import (
	"context"
	"strings"

	"github.com/aurore/cairbot/locales"
)

// Help lists what the person's role can do, in his language.
func (h *People) Help(ctx context.Context, r *Request) error {
	if r.Person == nil {
		_, err := h.reply(ctx, r, r.Loc.T("start.unknown"), nil)
		return err
	}
	var b strings.Builder
	b.WriteString(r.Loc.T("help.title"))
	for _, c := range h.Menus.Commands(r.Person.Role, r.Loc) {
		b.WriteString("\n/" + c.Command + " — " + c.Description)
	}
	b.WriteString("\n\n" + r.Loc.T("help.footer"))
	return h.replyMenu(ctx, r, b.String())
}

// Cancel is /cancel: it leaves any conversation, whatever the step, even
// for someone not signed up.
func (h *People) Cancel(ctx context.Context, r *Request) error { return h.cancel(ctx, r) }

// MyData shows a person everything the bot keeps about him.
func (h *People) MyData(ctx context.Context, r *Request) error {
	p := r.Person
	lang, _ := locales.Lookup(p.Language)
	room := p.Room
	if room == "" {
		room = "—"
	}
	return h.replyMenu(ctx, r, r.Loc.T("mydata.summary",
		"Name", p.DisplayName, "Room", room, "Language", lang.Native, "Role", r.Loc.T(roleMessage(p.Role))))
}

// NotUnderstood answers text that matches nothing: a glossary word gets
// its explanation, anything else a pointer to the buttons.
func (h *People) NotUnderstood(ctx context.Context, r *Request) error {
	if id, ok := locales.MatchTerm(r.Text); ok {
		return h.replyMenu(ctx, r, r.Loc.T(locales.TermMessage(id)))
	}
	return h.replyMenu(ctx, r, r.Loc.T("error.not_understood"))
}
