package bot

import (
	"context"
	"sync/atomic"
)

// Trips counts round trips to PostgreSQL and Redis.
type Trips struct {
	Postgres int
	Redis    int
}

// UpdateCost is what one update cost in round trips, by phase: Intake is
// everything before the route runs (who is writing, the update's claim,
// his conversation), Handle the route, the handler and its replies, Finish
// what ends the update (its claim marked done or released).
//
// A round trip is a query, an Exec, a batch or a COPY on PostgreSQL (with
// transactions' BEGIN and COMMIT), and a command, a script or a pipeline
// on Redis. Not counted: opening a connection, and pgx preparing a
// statement the first time a connection meets it — both once per
// connection, not per update.
type UpdateCost struct {
	UpdateID int64
	Kind     string
	Intake   Trips
	Handle   Trips
	Finish   Trips
}

// Total is the update's round trips of every phase.
func (c UpdateCost) Total() Trips {
	return Trips{
		Postgres: c.Intake.Postgres + c.Handle.Postgres + c.Finish.Postgres,
		Redis:    c.Intake.Redis + c.Handle.Redis + c.Finish.Redis,
	}
}

type tripPhase int32

const (
	phaseIntake tripPhase = iota
	phaseHandle
	phaseFinish
	phases
)

// tripCounter rides in an update's context: the PostgreSQL tracer and the
// Redis hook of the process's Metrics count into it. Atomic, because the
// lease renewal runs beside the handler.
type tripCounter struct {
	phase atomic.Int32
	pg    [phases]atomic.Int32
	redis [phases]atomic.Int32
}

type tripsKey struct{}

func withTripCounter(ctx context.Context, c *tripCounter) context.Context {
	return context.WithValue(ctx, tripsKey{}, c)
}

// setTripPhase starts a phase of the update whose context ctx is.
func setTripPhase(ctx context.Context, p tripPhase) {
	if c, ok := ctx.Value(tripsKey{}).(*tripCounter); ok {
		c.phase.Store(int32(p))
	}
}

// countPostgresTrip and countRedisTrip count a round trip made on behalf
// of the update whose context ctx is; other work (jobs, River) has none.
func countPostgresTrip(ctx context.Context) {
	if c, ok := ctx.Value(tripsKey{}).(*tripCounter); ok {
		c.pg[c.phase.Load()].Add(1)
	}
}

func countRedisTrip(ctx context.Context) {
	if c, ok := ctx.Value(tripsKey{}).(*tripCounter); ok {
		c.redis[c.phase.Load()].Add(1)
	}
}

func (c *tripCounter) cost(updateID int64, kind string) UpdateCost {
	at := func(p tripPhase) Trips {
		return Trips{Postgres: int(c.pg[p].Load()), Redis: int(c.redis[p].Load())}
	}
	return UpdateCost{UpdateID: updateID, Kind: kind, Intake: at(phaseIntake), Handle: at(phaseHandle), Finish: at(phaseFinish)}
}
