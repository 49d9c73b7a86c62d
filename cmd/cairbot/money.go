package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// moneyStore opens the database with an insert-only job client, which the
// store uses to queue the messages a change causes (a payment's receipt) in
// the change's own transaction: the running bot (or `cairbot worker`)
// sends them and works the jobs inserted here.
func moneyStore(ctx context.Context, cfg bot.Config, clock func() time.Time) (*pgxpool.Pool, *store.Store, *river.Client[pgx.Tx], error) {
	pool, err := openDB(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	jobs, err := bot.NewInsertOnlyJobs(pool, clock)
	if err != nil {
		pool.Close()
		return nil, nil, nil, fmt.Errorf("job queue: %w", err)
	}
	st := store.New(pool)
	st.UseOutboxScheduler(bot.NewOutboxScheduler(jobs))
	return pool, st, jobs, nil
}

// paymentCommand runs `cairbot payment add|reverse`.
func paymentCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer, clock func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("payment: add or reverse?\n\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("payment "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	room := fs.String("room", "", "the resident's room, e.g. 214")
	id := fs.Int64("id", 0, "the resident's id, when several live in the room")
	amount := fs.String("amount", "", "amount in euros, e.g. 12,50")
	receipt := fs.String("receipt", "", "receipt number of the payment to cancel, e.g. R-2026-000123")
	centre := fs.String("centre", cfg.Centre, "centre slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, st, _, err := moneyStore(ctx, cfg, clock)
	if err != nil {
		return err
	}
	defer pool.Close()
	c, err := st.CentreBySlug(ctx, *centre)
	if err != nil {
		return err
	}
	fr := locales.NewFormatter("fr", cfg.Location)
	switch sub {
	case "add":
		cents, err := handlers.ParseAmount(*amount)
		if err != nil {
			return fmt.Errorf("--amount %q: %s", *amount, amountProblem(err))
		}
		p, err := residentByRoom(ctx, st, c.ID, *room, *id)
		if err != nil {
			return err
		}
		// On the centre's clock, which decides the receipt's year.
		e, err := st.RecordPayment(ctx, store.NewPayment{CentreID: c.ID, PersonID: p.ID, Cents: cents, At: clock().In(cfg.Location)})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "payment recorded: %s from %s (room %s), receipt %s\n", fr.Money(cents), p.DisplayName, p.Room, e.ReceiptNo)
		if p.TelegramID == nil {
			fmt.Fprintln(out, "he has no Telegram account yet: write the receipt number on a paper receipt for him")
		} else {
			fmt.Fprintln(out, "the bot sends him the receipt in his language")
		}
		return nil
	case "reverse":
		e, err := st.EntryByReceipt(ctx, c.ID, strings.ToUpper(strings.TrimSpace(*receipt)))
		if err != nil {
			return fmt.Errorf("--receipt: %w", err)
		}
		corr, err := st.ReverseEntry(ctx, c.ID, e.ID, nil, clock())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "payment %s cancelled by correction #%d (%s back on his balance)\n", e.ReceiptNo, corr.ID, fr.Money(corr.Cents))
		return nil
	}
	return fmt.Errorf("payment: unknown subcommand %q", sub)
}

// residentByRoom finds the one resident meant by --room (or --id).
func residentByRoom(ctx context.Context, st *store.Store, centreID int64, room string, id int64) (store.Person, error) {
	if id != 0 {
		p, err := st.PersonByID(ctx, centreID, id)
		if err != nil {
			return store.Person{}, fmt.Errorf("--id: %w", err)
		}
		return p, nil
	}
	if strings.TrimSpace(room) == "" {
		return store.Person{}, errors.New("--room or --id: whose payment is it?")
	}
	people, err := st.ResidentsInRoom(ctx, centreID, locales.ASCIIDigits(room))
	if err != nil {
		return store.Person{}, err
	}
	switch len(people) {
	case 0:
		return store.Person{}, fmt.Errorf("--room %s: no resident lives there", room)
	case 1:
		return people[0], nil
	}
	var names []string
	for _, p := range people {
		names = append(names, fmt.Sprintf("--id %d (%s)", p.ID, p.DisplayName))
	}
	return store.Person{}, fmt.Errorf("--room %s: %d residents live there; choose with %s", room, len(people), strings.Join(names, " or "))
}

func amountProblem(err error) string {
	switch {
	case errors.Is(err, handlers.ErrAmountZero):
		return "must be more than zero"
	case errors.Is(err, handlers.ErrAmountNegative):
		return "cannot be negative"
	case errors.Is(err, handlers.ErrAmountTooLarge):
		return "more than 10 000 €"
	}
	return "not an amount in euros, such as 12,50"
}

// moneyCommand runs `cairbot money settings|charges`.
func moneyCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer, clock func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("money: settings or charges?\n\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("money "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	centre := fs.String("centre", cfg.Centre, "centre slug")
	rate := fs.Float64("rate", -1, "share of resources charged, in % (at most 15 without meals, 40 with)")
	minLeft := fs.Float64("min-left", -1, "share of resources always left to the resident, in % (at least 30)")
	meals := fs.String("meals", "", "true when the centre serves meals")
	arrival := fs.String("arrival", "", "month of arrival: prorata, full or free")
	month := fs.String("month", "", "month to charge, e.g. 2026-12 (default: this month)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, st, jobs, err := moneyStore(ctx, cfg, clock)
	if err != nil {
		return err
	}
	defer pool.Close()
	switch sub {
	case "settings":
		c, err := st.EnsureCentre(ctx, *centre, cfg.CentreName)
		if err != nil {
			return err
		}
		ms, err := st.MoneySettings(ctx, c.ID)
		if err != nil {
			return err
		}
		changed := false
		if *rate >= 0 {
			ms.RateBP, changed = int(*rate*100+0.5), true
		}
		if *minLeft >= 0 {
			ms.MinLeftBP, changed = int(*minLeft*100+0.5), true
		}
		if *meals != "" {
			ms.Meals, changed = *meals == "true" || *meals == "yes" || *meals == "1", true
		}
		if *arrival != "" {
			ms.Arrival, changed = *arrival, true
		}
		if changed {
			if err := st.SaveMoneySettings(ctx, ms, nil); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%s: rate %.2f %% of resources, meals %v, at least %.2f %% left, month of arrival %s\n",
			c.Slug, float64(ms.RateBP)/100, ms.Meals, float64(ms.MinLeftBP)/100, ms.Arrival)
		return nil
	case "charges":
		if *month != "" {
			if _, err := time.Parse("2006-01", *month); err != nil {
				return fmt.Errorf("--month %q: use the form 2026-12", *month)
			}
		}
		_, err := jobs.Insert(ctx, handlers.MonthlyChargesArgs{Month: *month}, nil)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "monthly charges queued: the running bot posts them (each resident at most once a month)")
		return nil
	}
	return fmt.Errorf("money: unknown subcommand %q", sub)
}
