package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	tgbot "github.com/go-telegram/bot"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
)

func TestSendOutcomeLabels(t *testing.T) {
	dial := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot***/sendMessage", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	cases := []struct {
		err  error
		want string
	}{
		{nil, "sent"},
		{&tgbot.TooManyRequestsError{RetryAfter: 3}, "429"},
		{fmt.Errorf("x: %w", tgbot.ErrorForbidden), "unreachable"},
		{fmt.Errorf("x: %w", tgbot.ErrorBadRequest), "refused"},
		{&url.Error{Op: "Post", Err: context.DeadlineExceeded}, "maybe_sent"},
		{dial, "network"},
		{errors.New("error response from telegram for method sendMessage, 502 Bad Gateway"), "5xx"},
	}
	for _, c := range cases {
		if got := sendOutcome(c.err); got != c.want {
			t.Errorf("sendOutcome(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestPostgresAndRedisErrorClasses(t *testing.T) {
	m := NewMetrics()
	m.postgresError(nil)
	m.postgresError(context.Canceled)
	m.postgresError(&pgconn.PgError{Code: "23505"})
	m.postgresError(&pgconn.PgError{Code: "23503"})
	m.postgresError(&pgconn.PgError{Code: "57P01"})
	m.postgresError(errors.New("failed to connect"))
	m.redisError(nil)
	m.redisError(redis.Nil)
	m.redisError(redis.TxFailedErr)
	m.redisError(&net.OpError{Op: "dial", Err: errors.New("refused")})
	m.redisError(context.DeadlineExceeded)
	m.redisError(errors.New("WRONGTYPE Operation against a key holding the wrong kind of value"))
	want := map[string]float64{"23": 2, "57": 1, "connection": 1}
	for class, n := range want {
		if got := testutil.ToFloat64(m.postgresErrors.WithLabelValues(class)); got != n {
			t.Errorf("postgres %s = %v, want %v", class, got, n)
		}
	}
	for class, n := range map[string]float64{"connection": 1, "timeout": 1, "command": 1} {
		if got := testutil.ToFloat64(m.redisErrors.WithLabelValues(class)); got != n {
			t.Errorf("redis %s = %v, want %v", class, got, n)
		}
	}
}
