package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestPeopleAreKeptPerCentre links one Telegram account in two centres,
// one served by the default bot (no bot of its own) and one with its own
// bot: each bot finds its own person, marks its own person unreachable, and
// a code redeemed through one bot never links a person of the other.
func TestPeopleAreKeptPerCentre(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	now := storetest.Now(t)
	var centres [2]store.Centre
	var people [2]store.Person
	var codes [2]string
	for i, slug := range []string{"paris-19", "lyon"} {
		c, err := st.EnsureCentre(ctx, slug, slug)
		if i == 1 {
			c, err = st.AddCentreBot(ctx, slug, slug, store.CentreBot{Token: "1001:AAA", Username: "lyon_bot", WebhookSecret: "s"})
		}
		if err != nil {
			t.Fatal(err)
		}
		centres[i] = c
		people[i], codes[i], err = st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
			DisplayName: "Dawit " + slug, Language: "ti"}, nil, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
	}
	const account = 77001
	// Each centre's code typed to the other's bot: not found there, as if
	// it never existed.
	for i := range 2 {
		if _, err := st.RedeemInviteInCentre(ctx, centres[1-i].ID, codes[i], account, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("centre %d's code on the other bot: err = %v, want ErrNotFound", i, err)
		}
	}
	for i := range 2 {
		if _, err := st.RedeemInviteInCentre(ctx, centres[i].ID, codes[i], account, now); err != nil {
			t.Fatalf("centre %d: %v", i, err)
		}
	}
	for i := range 2 {
		got, err := st.PersonByTelegramID(ctx, centres[i].ID, account)
		if err != nil || got.ID != people[i].ID {
			t.Fatalf("centre %d finds %+v, %v; want person %d", i, got, err, people[i].ID)
		}
	}
	if err := st.SetUnreachable(ctx, centres[0].ID, account, true); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		got, err := st.PersonByTelegramID(ctx, centres[i].ID, account)
		if err != nil || got.Unreachable != want {
			t.Fatalf("centre %d: unreachable = %v (%v), want %v: blocking one bot is not blocking the other", i, got.Unreachable, err, want)
		}
	}
	// Within one centre an account is still one person.
	_, code, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: centres[0].ID, Role: store.RoleResident,
		DisplayName: "Other", Language: "fr"}, nil, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RedeemInviteInCentre(ctx, centres[0].ID, code, account, now); !errors.Is(err, store.ErrAlreadyLinked) {
		t.Fatalf("second person of one account in one centre: err = %v, want ErrAlreadyLinked", err)
	}
}

// TestCentreBots adds centres' bots: one bot per centre, one centre per
// bot, and the token and secret never print.
func TestCentreBots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	bot := func(token string) store.CentreBot {
		return store.CentreBot{Token: store.Secret(token), Username: "bot_" + token[:4], WebhookSecret: "s-" + store.Secret(token[:4])}
	}
	if _, err := st.AddCentreBot(ctx, "paris-19", "CAIR Paris 19e", bot("1001:AAA")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, slug string
		bot        store.CentreBot
		want       error
	}{
		{"a second bot for a centre", "paris-19", bot("1002:BBB"), store.ErrCentreHasBot},
		{"one bot for two centres", "lyon", bot("1001:AAA"), store.ErrBotTaken},
		{"a new centre with its bot", "lyon", bot("1003:CCC"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.AddCentreBot(ctx, tt.slug, tt.slug, tt.bot)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), tt.bot.Token.Reveal()) {
				t.Fatalf("the token is in the error: %v", err)
			}
		})
	}
	bots, err := st.CentreBots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bots) != 2 || bots[0].Centre.Slug != "paris-19" || bots[0].Token.Reveal() != "1001:AAA" || bots[1].Centre.Slug != "lyon" {
		t.Fatalf("bots = %v", bots)
	}
	// A refused bot left no centre behind... and the accepted one did.
	centres, err := st.Centres(ctx)
	if err != nil || len(centres) != 2 || centres[1].BotUsername != "bot_1003" {
		t.Fatalf("centres = %+v, %v", centres, err)
	}
	if _, err := st.CentreBotBySlug(ctx, "nowhere"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown slug: %v", err)
	}
	// Printed or logged by mistake, a bot shows no secret.
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("bot", "bot", bots[0], "token", bots[0].Token)
	for _, s := range []string{fmt.Sprint(bots[0]), fmt.Sprintf("%+v %#v", bots[0], bots[0]), logged.String()} {
		if strings.Contains(s, "1001:AAA") || strings.Contains(s, "s-1001") {
			t.Fatalf("a secret shows in %s", s)
		}
	}
}
