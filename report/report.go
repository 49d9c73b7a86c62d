// Package report builds the figures the team hands the préfecture and OFII
// — French classes attendance, contributions, chores — as a CSV file that
// French spreadsheet software opens as it is (UTF-8 with BOM, ";" between
// fields, decimal comma) and a PNG chart. The bot's /report and
// `cairbot report` both call Build; the store reads the data.
//
// Column names and chart labels are in French whatever the reader's
// language: the files are the centre's documents for French authorities,
// and the chart library draws Latin, Cyrillic or Greek text but does not
// shape Arabic script.
package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aurore/cairbot/store"
)

// Kind is one of the three reports.
type Kind string

// The reports, named as on the command line.
const (
	Attendance    Kind = "attendance"
	Contributions Kind = "contributions"
	Chores        Kind = "chores"
)

// Kinds lists the reports in the order they are offered.
var Kinds = []Kind{Attendance, Contributions, Chores}

// ParseKind reads a report's name.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Errors of a period that cannot be reported on.
var (
	ErrPeriodOrder   = errors.New("report: the first day is after the last day")
	ErrPeriodTooLong = errors.New("report: a report covers at most 366 days")
)

// MaxDays is the longest period of one report: a year, so that a typed
// slip ("2062") does not read the whole history for nothing.
const MaxDays = 366

// Period is a run of whole days on the centre's clock, both included.
type Period struct {
	From, To time.Time // midnight of the first and the last day
}

// NewPeriod checks a period typed by someone.
func NewPeriod(from, to time.Time) (Period, error) {
	p := Period{From: from, To: to}
	if to.Before(from) {
		return p, ErrPeriodOrder
	}
	if p.Days() > MaxDays {
		return p, ErrPeriodTooLong
	}
	return p, nil
}

// Days is how many days the period holds.
func (p Period) Days() int {
	a := time.Date(p.From.Year(), p.From.Month(), p.From.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(p.To.Year(), p.To.Month(), p.To.Day(), 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours()/24) + 1
}

// ThisMonth runs from the 1st of now's month to today: the days after
// today have nothing to count yet, and the arrears are aged as of today.
func ThisMonth(now time.Time, loc *time.Location) Period {
	now = now.In(loc)
	return Period{
		From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc),
		To:   time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc),
	}
}

// LastMonth is the whole month before now's.
func LastMonth(now time.Time, loc *time.Location) Period {
	now = now.In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	return Period{From: first.AddDate(0, -1, 0), To: first.AddDate(0, 0, -1)}
}

// Source is where the figures come from (*store.Store).
type Source interface {
	ClassFigures(ctx context.Context, centreID int64, from, to time.Time, loc *time.Location) (store.ClassFigures, error)
	MoneyFigures(ctx context.Context, centreID int64, from, to time.Time, loc *time.Location) ([]store.MoneyEntryFigure, error)
	ChoreFigures(ctx context.Context, centreID int64, from, to time.Time) ([]store.ChoreWeekFigures, error)
}

// Output is a report as files.
type Output struct {
	CSVName string
	CSV     []byte
	PNGName string
	PNG     []byte
}

// Chart size in pixels.
const (
	ChartWidth  = 1000
	ChartHeight = 600
)

// Build reads the figures of one report and period and renders both files.
func Build(ctx context.Context, src Source, centreID int64, kind Kind, p Period, loc *time.Location) (Output, error) {
	var (
		table *csvTable
		chart chartSpec
	)
	switch kind {
	case Attendance:
		f, err := src.ClassFigures(ctx, centreID, p.From, p.To, loc)
		if err != nil {
			return Output{}, err
		}
		table, chart = attendanceReport(f)
	case Contributions:
		entries, err := src.MoneyFigures(ctx, centreID, p.From, p.To, loc)
		if err != nil {
			return Output{}, err
		}
		table, chart = contributionsReport(Accounts(entries, p, loc), p)
	case Chores:
		f, err := src.ChoreFigures(ctx, centreID, p.From, p.To)
		if err != nil {
			return Output{}, err
		}
		table, chart = choresReport(f)
	default:
		return Output{}, fmt.Errorf("report: unknown report %q", kind)
	}
	png, err := chart.render(p)
	if err != nil {
		return Output{}, err
	}
	base := fmt.Sprintf("%s_%s_%s", fileStem[kind], p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	return Output{CSVName: base + ".csv", CSV: table.bytes(), PNGName: base + ".png", PNG: png}, nil
}

// fileStem names each report's files, in French like their content.
var fileStem = map[Kind]string{
	Attendance:    "cours-de-francais",
	Contributions: "participations",
	Chores:        "menage",
}
