package handlers

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Jobs inserts durable jobs (River, in PostgreSQL) outside any transaction.
// A job caused by data the store writes is queued by the store itself, in
// the same transaction (store.OutboxScheduler), so handlers never hold a
// transaction.
type Jobs interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Features are the product's handler types, one per feature. bot/app.go
// builds them, bot/routes.go routes updates to them, and the job queue
// runs their workers.
type Features struct {
	People        *People
	Week          *Week
	Chores        *Chores
	Rota          *Rota
	Money         *Money
	Residents     *Residents
	Classes       *Classes
	Attendance    *Attendance
	Appointments  *Appointments
	Announcements *Announcements
	Reports       *Reports
	Delivery      *Delivery
}

// RegisterWorkers adds every feature's job workers. One line per feature.
func (f Features) RegisterWorkers(w *river.Workers) {
	// Everything the bot sends on its own leaves through the outbox.
	river.AddWorker(w, &OutboxWorker{h: f.Delivery, kinds: f.outboxKinds()})
	river.AddWorker(w, &PrivacyPurgeWorker{h: f.People})
	// chores
	river.AddWorker(w, &ChoresWeeklyWorker{h: f.Chores})
	// Shims: turn chores jobs queued before the outbox into outbox rows;
	// remove once no chore_reminder or chore_message job remains.
	river.AddWorker(w, &ChoreReminderWorker{h: f.Chores})
	river.AddWorker(w, &ChoreMessageWorker{h: f.Chores})
	// balance and payments
	river.AddWorker(w, &MonthlyChargesWorker{h: f.Money})
	river.AddWorker(w, &StatementWorker{h: f.Money})
	river.AddWorker(w, &ReceiptWorker{h: f.Money})
	// classes and attendance: the planner, then the shims turning jobs of
	// the old code into outbox rows (classes.go)
	river.AddWorker(w, &ClassPlanWorker{h: f.Classes})
	river.AddWorker(w, &ClassReminderWorker{h: f.Classes})
	river.AddWorker(w, &ClassNoticeWorker{h: f.Classes})
	river.AddWorker(w, &AbsenceAlertWorker{h: f.Attendance})
	// class groups (staff): the shim of the old notice job
	river.AddWorker(w, &EnrolNoticeWorker{h: f.Classes})
	// appointments and interviews: shims turning reminder jobs queued
	// before the outbox into outbox rows
	river.AddWorker(w, &AppointmentReminderWorker{h: f.Appointments})
	river.AddWorker(w, &AppointmentNoAnswerWorker{h: f.Appointments})
	// announcements (AnnounceWorker only turns jobs queued before the
	// outbox into outbox sends; it goes once none remains)
	river.AddWorker(w, &AnnounceWorker{h: f.Announcements})
	river.AddWorker(w, &AnnounceProgressWorker{h: f.Announcements})
}

// PeriodicJobs lists the jobs run on a calendar (by the elected leader only,
// so two bot processes never both run them). One line per feature.
func (f Features) PeriodicJobs() []*river.PeriodicJob {
	var jobs []*river.PeriodicJob
	// privacy: nightly erasure of people who left long enough ago.
	jobs = append(jobs, f.People.privacyPurgeJob())
	// chores: Monday 08:00 Paris, the week's rota and each resident's turns.
	jobs = append(jobs, f.Chores.choresWeeklyJob())
	// balance and payments: the 1st of each month at 09:00 Paris, the
	// month's charges, then each resident's statement.
	jobs = append(jobs, f.Money.monthlyChargesJob())
	// classes and attendance
	// The planner queues each class's reminders in the outbox (keyed per
	// class, time and resident), hourly so that a class added or re-timed
	// today is planned in time.
	jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return ClassPlanArgs{}, nil },
		&river.PeriodicJobOpts{ID: "class_plan", RunOnStart: true}))
	// appointments and interviews
	// announcements
	return jobs
}

// Weekly is a River schedule: every week on Day at Hour:Minute local time
// (Europe/Paris), computed in the location so that the clock changes of
// late March and late October keep the wall-clock time.
type Weekly struct {
	Loc          *time.Location
	Day          time.Weekday
	Hour, Minute int
}

// Next returns the first matching time strictly after current.
func (w Weekly) Next(current time.Time) time.Time {
	t := current.In(w.Loc)
	d := time.Date(t.Year(), t.Month(), t.Day(), w.Hour, w.Minute, 0, 0, w.Loc)
	for d.Weekday() != w.Day || !d.After(current) {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, w.Hour, w.Minute, 0, 0, w.Loc)
	}
	return d
}

// Monthly is a River schedule: every month on Day (1–28) at Hour:Minute
// local time.
type Monthly struct {
	Loc          *time.Location
	Day          int
	Hour, Minute int
}

// Next returns the first matching time strictly after current.
func (m Monthly) Next(current time.Time) time.Time {
	t := current.In(m.Loc)
	d := time.Date(t.Year(), t.Month(), m.Day, m.Hour, m.Minute, 0, 0, m.Loc)
	if !d.After(current) {
		d = time.Date(t.Year(), t.Month()+1, m.Day, m.Hour, m.Minute, 0, 0, m.Loc)
	}
	return d
}

// Daily is a River schedule: every day at Hour:Minute local time.
type Daily struct {
	Loc          *time.Location
	Hour, Minute int
}

// Next returns the first matching time strictly after current.
func (d Daily) Next(current time.Time) time.Time {
	t := current.In(d.Loc)
	n := time.Date(t.Year(), t.Month(), t.Day(), d.Hour, d.Minute, 0, 0, d.Loc)
	if !n.After(current) {
		n = time.Date(t.Year(), t.Month(), t.Day()+1, d.Hour, d.Minute, 0, 0, d.Loc)
	}
	return n
}
