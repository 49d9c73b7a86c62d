package handlers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/store"
)

// Eraser removes the personal data of people who left.
type Eraser interface {
	PeopleToErase(ctx context.Context, leftBefore time.Time) ([]store.ErasablePerson, error)
	ErasePerson(ctx context.Context, centreID, personID int64, actorID *int64, now time.Time) error
}

// PrivacyPurgeArgs is the daily job erasing the personal data of residents
// who left more than RetainAfterLeaving ago and whose balance is settled
// (what the privacy notice promises; CNIL retention periods for the social
// sector).
type PrivacyPurgeArgs struct{}

// Kind names the job in River's table.
func (PrivacyPurgeArgs) Kind() string { return "privacy_purge" }

// PrivacyPurgeWorker runs PrivacyPurgeArgs.
type PrivacyPurgeWorker struct {
	river.WorkerDefaults[PrivacyPurgeArgs]
	h *People
}

// Work erases each person in his own transaction, so one failure does not
// hold back the others; the job is retried for what is left.
func (w *PrivacyPurgeWorker) Work(ctx context.Context, _ *river.Job[PrivacyPurgeArgs]) error {
	h := w.h
	now := h.Clock()
	people, err := h.Erase.PeopleToErase(ctx, now.Add(-h.RetainAfterLeaving))
	if err != nil {
		return err
	}
	for _, p := range people {
		if err := h.Erase.ErasePerson(ctx, p.CentreID, p.ID, nil, now); err != nil {
			return err
		}
	}
	if len(people) > 0 {
		h.Log.InfoContext(ctx, "personal data erased after departure", "count", len(people))
	}
	return nil
}

// privacyPurgeJob runs the purge every night at 03:30, Paris time.
func (h *People) privacyPurgeJob() *river.PeriodicJob {
	return river.NewPeriodicJob(Daily{Loc: h.Zone, Hour: 3, Minute: 30},
		func() (river.JobArgs, *river.InsertOpts) { return PrivacyPurgeArgs{}, nil },
		&river.PeriodicJobOpts{ID: "privacy_purge"})
}
