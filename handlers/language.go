package handlers

import (
	"context"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Language shows the language picker.
func (h *People) Language(ctx context.Context, r *Request) error {
	return h.sendLanguagePicker(ctx, r, r.Loc.Tag)
}

func (h *People) sendLanguagePicker(ctx context.Context, r *Request, current string) error {
	_, err := h.reply(ctx, r, r.Loc.T("language.choose"), languageButtons(langAction, current))
	return err
}

// langChoice is a language picker's button: "<prefix>:<tag>", a tag of
// locales.Languages.
type langChoice struct{ Lang locales.Language }

func encLang(v langChoice) []string { return []string{v.Lang.Tag} }

func decLang(f []string) (langChoice, bool) {
	if len(f) != 1 {
		return langChoice{}, false
	}
	l, ok := locales.Lookup(f[0])
	return langChoice{l}, ok
}

// langAction is the button of the person's own language picker.
var langAction = newAction("lang", encLang, decLang, langChoice{locales.Languages[0]})

// LanguagePicked saves the language chosen with a "lang:<tag>" button. The
// first choice after sign-up is followed by the privacy notice.
func (h *People) LanguagePicked(ctx context.Context, r *Request) error {
	v, err := langAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	lang := v.Lang
	first, err := h.People.SetLanguage(ctx, r.Person.ID, lang.Tag)
	if err != nil {
		return err
	}
	r.Person.Language = lang.Tag
	r.Loc = h.Catalog.Localizer(lang.Tag)
	// Replace the picker by the choice, so an old picker cannot be pressed
	// again by mistake.
	if r.MessageID != 0 {
		_, err := h.Send.EditMessageText(ctx, &tgbot.EditMessageTextParams{
			ChatID: r.ChatID, MessageID: r.MessageID,
			Text: r.Loc.T("language.saved", "Language", lang.Native),
		})
		if err != nil {
			h.Log.WarnContext(ctx, "edit language picker", "err", err)
		}
	}
	if err := h.SetChatCommands(ctx, *r.Person); err != nil {
		h.Log.WarnContext(ctx, "set chat commands", "err", err)
	}
	if first {
		if _, err := h.reply(ctx, r, r.Loc.T("privacy.notice"), nil); err != nil {
			return err
		}
	}
	return h.replyMenu(ctx, r, r.Loc.T("menu.main"))
}

// SetChatCommands gives a signed-up person the command menu of his role in
// his language, in his own chat (scope chat), since both can differ from
// what his Telegram app's language would pick.
func (h *People) SetChatCommands(ctx context.Context, p store.Person) error {
	if p.TelegramID == nil {
		return nil
	}
	loc := h.Catalog.Localizer(p.Language)
	return h.Send.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{
		Commands: h.Menus.Commands(p.Role, loc),
		Scope:    &models.BotCommandScopeChat{ChatID: *p.TelegramID},
	})
}
