package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Centre is one site of the association.
type Centre struct {
	ID   int64
	Slug string
	Name string
}

// EnsureCentre returns the centre with this slug, creating it if needed.
func (s *Store) EnsureCentre(ctx context.Context, slug, name string) (Centre, error) {
	var c Centre
	err := s.pool.QueryRow(ctx, `INSERT INTO centres (slug, name) VALUES ($1, $2)
		ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
		RETURNING id, slug, name`, slug, name).Scan(&c.ID, &c.Slug, &c.Name)
	if err != nil {
		return Centre{}, fmt.Errorf("store: ensure centre: %w", err)
	}
	return c, nil
}

// CentreBySlug returns a centre or ErrNotFound.
func (s *Store) CentreBySlug(ctx context.Context, slug string) (Centre, error) {
	var c Centre
	err := s.pool.QueryRow(ctx, `SELECT id, slug, name FROM centres WHERE slug = $1`, slug).
		Scan(&c.ID, &c.Slug, &c.Name)
	if err != nil {
		return Centre{}, fmt.Errorf("store: centre %q: %w", slug, notFound(err))
	}
	return c, nil
}

// Errors of adding a centre's bot.
var (
	// ErrCentreHasBot means the centre already has its bot.
	ErrCentreHasBot = errors.New("store: the centre already has a bot")
	// ErrBotTaken means the bot already serves another centre: one bot
	// serves one centre, so nothing can cross between them.
	ErrBotTaken = errors.New("store: the bot already serves another centre")
)

// Secret is a bot token or webhook secret. It prints as [secret] through
// fmt and log/slog, so a struct holding one can be logged or wrapped in an
// error without leaking it; Reveal gives the value to the one caller that
// needs it (the Telegram client, the webhook check).
type Secret string

// String hides the secret from fmt's %v and %s.
func (Secret) String() string { return "[secret]" }

// GoString hides the secret from fmt's %#v.
func (Secret) GoString() string { return "[secret]" }

// LogValue hides the secret from log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[secret]") }

// MarshalJSON hides the secret from encoding/json (a JSON log line).
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[secret]"`), nil }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// CentreBot is a centre's own Telegram bot.
type CentreBot struct {
	Centre Centre
	Token  Secret
	// Username is the bot's @name without "@", as getMe gave it when the
	// bot was added (deep links are built from it).
	Username string
	// WebhookSecret is checked on every update of this bot in webhook mode.
	WebhookSecret Secret
}

// AddCentreBot gives a centre its bot, creating the centre when the slug is
// new; one transaction, so a refused bot leaves no centre behind. It
// returns ErrCentreHasBot or ErrBotTaken, changing nothing.
func (s *Store) AddCentreBot(ctx context.Context, slug, name string, b CentreBot) (Centre, error) {
	var c Centre
	// Who a bot reaches changes with the centres that have one (reachedBy).
	defer s.peopleChanged()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO centres (slug, name) VALUES ($1, $2)
			ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
			RETURNING id, slug, name`, slug, name).Scan(&c.ID, &c.Slug, &c.Name)
		if err != nil {
			return err
		}
		var taken int64
		err = tx.QueryRow(ctx, `SELECT centre_id FROM centre_bots WHERE centre_id = $1 OR token = $2`,
			c.ID, b.Token.Reveal()).Scan(&taken)
		switch {
		case err == nil && taken == c.ID:
			return ErrCentreHasBot
		case err == nil:
			return ErrBotTaken
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO centre_bots (centre_id, token, username, webhook_secret)
			VALUES ($1, $2, $3, $4)`, c.ID, b.Token.Reveal(), b.Username, b.WebhookSecret.Reveal())
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			// Added at the same moment by another command.
			return ErrBotTaken
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, c.ID, nil, "centre.bot_added", nil, map[string]any{"bot": b.Username})
	})
	if err != nil {
		// The token is never part of the error: only sentinels and
		// PostgreSQL's own messages, which do not quote parameters.
		return Centre{}, fmt.Errorf("store: add centre bot for %q: %w", slug, err)
	}
	return c, nil
}

const centreBotColumns = `c.id, c.slug, c.name, b.token, b.username, b.webhook_secret`

func scanCentreBot(row pgx.Row) (CentreBot, error) {
	var b CentreBot
	var token, secret string
	err := row.Scan(&b.Centre.ID, &b.Centre.Slug, &b.Centre.Name, &token, &b.Username, &secret)
	b.Token, b.WebhookSecret = Secret(token), Secret(secret)
	return b, notFound(err)
}

// CentreBots lists every centre that has a bot of its own, by centre id.
func (s *Store) CentreBots(ctx context.Context) ([]CentreBot, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+centreBotColumns+`
		FROM centre_bots b JOIN centres c ON c.id = b.centre_id ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: centre bots: %w", err)
	}
	defer rows.Close()
	var out []CentreBot
	for rows.Next() {
		b, err := scanCentreBot(rows)
		if err != nil {
			return nil, fmt.Errorf("store: centre bots: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: centre bots: %w", err)
	}
	return out, nil
}

// CentreBotBySlug returns the bot of the centre with this slug, or
// ErrNotFound (no such centre, or a centre without a bot of its own).
func (s *Store) CentreBotBySlug(ctx context.Context, slug string) (CentreBot, error) {
	b, err := scanCentreBot(s.pool.QueryRow(ctx, `SELECT `+centreBotColumns+`
		FROM centre_bots b JOIN centres c ON c.id = b.centre_id WHERE c.slug = $1`, slug))
	if err != nil {
		return CentreBot{}, fmt.Errorf("store: centre bot %q: %w", slug, err)
	}
	return b, nil
}

// CentreListing is one line of `cairbot centre list`: no token.
type CentreListing struct {
	Centre
	// BotUsername is empty for a centre without a bot of its own (the
	// default centre, served by TELEGRAM_TOKEN).
	BotUsername string
	// Linked is how many people of the centre are linked to Telegram.
	Linked int
}

// Centres lists every centre with its bot's username.
func (s *Store) Centres(ctx context.Context) ([]CentreListing, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.slug, c.name, COALESCE(b.username, ''),
			(SELECT count(*) FROM people p WHERE p.centre_id = c.id AND p.telegram_id IS NOT NULL AND p.status <> 'left')
		FROM centres c LEFT JOIN centre_bots b ON b.centre_id = c.id ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: centres: %w", err)
	}
	defer rows.Close()
	var out []CentreListing
	for rows.Next() {
		var l CentreListing
		if err := rows.Scan(&l.ID, &l.Slug, &l.Name, &l.BotUsername, &l.Linked); err != nil {
			return nil, fmt.Errorf("store: centres: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: centres: %w", err)
	}
	return out, nil
}

// CentreBotOf returns the bot of centre centreID, or ErrNotFound for a
// centre without a bot of its own.
func (s *Store) CentreBotOf(ctx context.Context, centreID int64) (CentreBot, error) {
	b, err := scanCentreBot(s.pool.QueryRow(ctx, `SELECT `+centreBotColumns+`
		FROM centre_bots b JOIN centres c ON c.id = b.centre_id WHERE c.id = $1`, centreID))
	if err != nil {
		return CentreBot{}, fmt.Errorf("store: centre bot of %d: %w", centreID, err)
	}
	return b, nil
}
