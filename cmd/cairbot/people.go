package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

func peopleCommand(ctx context.Context, cfg bot.Config, st *store.Store, args []string, out io.Writer, clock func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("people: add, invite or erase?\n\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("people "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	name := fs.String("name", "", "display name, e.g. \"Ahmad K.\"")
	role := fs.String("role", "resident", "resident, staff, coordinator or admin")
	room := fs.String("room", "", "room number, e.g. 214")
	// No --lang: his Telegram app's language is preselected at sign-up,
	// else DEFAULT_LANGUAGE.
	lang := fs.String("lang", "", "language tag: "+tags()+" (empty: his phone's at sign-up)")
	centre := fs.String("centre", cfg.Centre, "centre slug")
	id := fs.Int64("id", 0, "person id (people invite)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := st.EnsureCentre(ctx, *centre, cfg.CentreName)
	if err != nil {
		return err
	}
	now := clock()
	expires := now.Add(cfg.InviteTTL)
	var code string
	switch sub {
	case "add":
		np, err := newPerson(c.ID, *name, *role, *room, *lang)
		if err != nil {
			return err
		}
		var p store.Person
		p, code, err = st.CreatePersonWithInvite(ctx, np, nil, expires)
		if err != nil {
			return err
		}
		lang := p.Language
		if lang == "" {
			lang = "language of his phone"
		}
		fmt.Fprintf(out, "created %s #%d %s (room %s, %s)\n", p.Role, p.ID, p.DisplayName, p.Room, lang)
	case "invite":
		if code, err = st.ReissueInvite(ctx, c.ID, *id, nil, expires); err != nil {
			return err
		}
	case "erase":
		// A resident's request to erase his data, or a departure staff do
		// not want to wait the retention period for.
		if err := st.ErasePerson(ctx, c.ID, *id, nil, now); err != nil {
			return err
		}
		fmt.Fprintf(out, "personal data of #%d erased\n", *id)
		return nil
	default:
		return fmt.Errorf("people: unknown subcommand %q", sub)
	}
	fmt.Fprintf(out, "invite code: %s (valid until %s)\n", code, expires.In(cfg.Location).Format("2006-01-02 15:04 MST"))
	username := ""
	if cb, err := st.CentreBotBySlug(ctx, c.Slug); err == nil {
		username = cb.Username // a centre with a bot of its own: its link
	} else {
		username = botUsername(ctx, cfg)
	}
	if username != "" {
		fmt.Fprintf(out, "link: %s\n", handlers.DeepLink(username, code))
	} else {
		fmt.Fprintf(out, "link: https://t.me/<bot username>?start=%s (set TELEGRAM_TOKEN to print the full link)\n", code)
	}
	return nil
}

func newPerson(centreID int64, name, role, room, lang string) (store.NewPerson, error) {
	clean, ok := handlers.CleanName(name)
	if !ok {
		return store.NewPerson{}, fmt.Errorf("--name: 1 to 80 printable characters")
	}
	r, err := store.ParseRole(role)
	if err != nil {
		return store.NewPerson{}, fmt.Errorf("--role: %w", err)
	}
	if _, ok := locales.Lookup(lang); !ok && lang != "" {
		return store.NewPerson{}, fmt.Errorf("--lang: %q is not one of %s", lang, tags())
	}
	if room != "" {
		var ok bool
		if room, ok = handlers.CleanRoom(room); !ok {
			return store.NewPerson{}, fmt.Errorf("--room: 1 to 16 letters, digits or dashes")
		}
	}
	return store.NewPerson{CentreID: centreID, Role: r, DisplayName: clean, Room: room,
		Floor: handlers.FloorOfRoom(room), Language: lang}, nil
}

func tags() string {
	var t []string
	for _, l := range locales.Languages {
		t = append(t, l.Tag)
	}
	return strings.Join(t, ", ")
}

// botUsername asks Telegram for the bot's name when a token is set.
func botUsername(ctx context.Context, cfg bot.Config) string {
	if cfg.TelegramToken == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := tgbot.New(cfg.TelegramToken, tgbot.WithServerURL(cfg.TelegramAPIURL), tgbot.WithSkipGetMe())
	if err != nil {
		return ""
	}
	me, err := b.GetMe(ctx)
	if err != nil {
		return ""
	}
	return me.Username
}
