package handlers

import "context"

// One deployment serves many centres, each through its own Telegram bot.
// An update carries the centre whose bot it came in on (Request.Bot), and
// everything sent on its behalf — replies, edits, an outbox row of the
// centre — leaves through that centre's bot: the Sender picks the bot from
// the context (WithCentre), so handlers need not thread it through.

// Bot is the centre's bot an update came in on.
type Bot struct {
	// CentreID is the centre the bot serves; people are looked up in it.
	CentreID int64
	// Centre is the centre's slug (counters of wrong invite codes).
	Centre string
	// Username is the bot's @name without "@" (deep links).
	Username string
}

type centreKey struct{}

// WithCentre marks ctx as work of a centre: what is sent under it leaves
// through that centre's bot.
func WithCentre(ctx context.Context, centreID int64) context.Context {
	return context.WithValue(ctx, centreKey{}, centreID)
}

// CentreFrom returns the centre WithCentre put in ctx.
func CentreFrom(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(centreKey{}).(int64)
	return id, ok && id != 0
}

// botUsername is the @name of the bot the request came in on: an invite
// made by a centre's staff links to that centre's bot.
func (h *People) botUsername(r *Request) string {
	if r.Bot.Username != "" {
		return r.Bot.Username
	}
	return h.BotUsername()
}
