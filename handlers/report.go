package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/report"
	"github.com/aurore/cairbot/store"
)

// ReportStore is what /report reads and writes: the figures, and the audit
// trail of who asked for which.
type ReportStore interface {
	report.Source
	AuditReport(ctx context.Context, centreID int64, actorID *int64, kind string, from, to time.Time, via string) error
}

// FileSender sends a report's files, paced and retried like any reply.
type FileSender interface {
	SendDocument(ctx context.Context, p *tgbot.SendDocumentParams) (*models.Message, error)
	SendPhoto(ctx context.Context, p *tgbot.SendPhotoParams) (*models.Message, error)
}

// Reports is /report: staff pick a report and a period, and get it in their
// one-to-one chat as a CSV file and a chart. The route table lets only
// staff, coordinators and admins in; the check is repeated here because a
// report holds every resident's figures.
type Reports struct {
	h     Base
	store ReportStore
	files FileSender
}

// NewReports builds the /report feature over the shared handler helpers.
func NewReports(h Base, st ReportStore, files FileSender) *Reports {
	return &Reports{h: h, store: st, files: files}
}

// The buttons of /report: "rep:k:<kind>" picks a report, "rep:p:<kind>:<period>"
// its period.
const (
	reportCallback   = "rep"
	reportPickKind   = "k"
	reportPickPeriod = "p"
	reportStep       = "report.range"
)

// The periods offered as buttons.
const (
	periodThisMonth = "this"
	periodLastMonth = "last"
	periodRange     = "range"
)

// reportTitle is the message id naming each report.
var reportTitle = map[report.Kind]string{
	report.Attendance:    "report.kind_attendance",
	report.Contributions: "report.kind_contributions",
	report.Chores:        "report.kind_chores",
}

// Start shows the three reports as buttons.
func (rp *Reports) Start(ctx context.Context, r *Request) error {
	if err := rp.allowed(r); err != nil {
		return err
	}
	var buttons []models.InlineKeyboardButton
	for _, k := range report.Kinds {
		buttons = append(buttons, models.InlineKeyboardButton{
			Text: r.Loc.T(reportTitle[k]), CallbackData: reportKindAction.Data(reportKindArg{k}),
		})
	}
	_, err := rp.h.reply(ctx, r, r.Loc.T("report.choose"), inlineRows(buttons, 1))
	return err
}

// The report's buttons: one action each, routed by its prefix in
// bot/routes.go.
type (
	reportKindArg   struct{ Kind report.Kind }
	reportPeriodArg struct {
		Kind   report.Kind
		Period string // periodThisMonth, periodLastMonth or periodRange
	}
)

var (
	reportKindAction   = newAction(reportCallback+":"+reportPickKind, encReportKind, decReportKind, reportKindArg{report.Kinds[0]})                          // which report
	reportPeriodAction = newAction(reportCallback+":"+reportPickPeriod, encReportPeriod, decReportPeriod, reportPeriodArg{report.Kinds[0], periodLastMonth}) // which period
)

func encReportKind(v reportKindArg) []string { return []string{string(v.Kind)} }

func decReportKind(f []string) (reportKindArg, bool) {
	if len(f) != 1 {
		return reportKindArg{}, false
	}
	k, ok := report.ParseKind(f[0])
	return reportKindArg{k}, ok
}

func encReportPeriod(v reportPeriodArg) []string { return []string{string(v.Kind), v.Period} }

func decReportPeriod(f []string) (reportPeriodArg, bool) {
	if len(f) != 2 || !slices.Contains([]string{periodThisMonth, periodLastMonth, periodRange}, f[1]) {
		return reportPeriodArg{}, false
	}
	k, ok := report.ParseKind(f[0])
	return reportPeriodArg{k, f[1]}, ok
}

// KindButton takes the report chosen and offers the periods.
func (rp *Reports) KindButton(ctx context.Context, r *Request) error {
	if err := rp.allowed(r); err != nil {
		return err
	}
	v, err := reportKindAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	buttons := []models.InlineKeyboardButton{
		{Text: r.Loc.T("report.period_this_month"), CallbackData: reportPeriodAction.Data(reportPeriodArg{v.Kind, periodThisMonth})},
		{Text: r.Loc.T("report.period_last_month"), CallbackData: reportPeriodAction.Data(reportPeriodArg{v.Kind, periodLastMonth})},
		{Text: r.Loc.T("report.period_range"), CallbackData: reportPeriodAction.Data(reportPeriodArg{v.Kind, periodRange})},
	}
	_, err = rp.h.reply(ctx, r, r.Loc.T("report.choose_period", "Report", r.Loc.T(reportTitle[v.Kind])), inlineRows(buttons, 1))
	return err
}

// PeriodButton sends the report for the period chosen, or asks for two
// dates.
func (rp *Reports) PeriodButton(ctx context.Context, r *Request) error {
	if err := rp.allowed(r); err != nil {
		return err
	}
	v, err := reportPeriodAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	now := rp.h.Clock()
	switch v.Period {
	case periodThisMonth:
		return rp.send(ctx, r, v.Kind, report.ThisMonth(now, rp.loc()))
	case periodLastMonth:
		return rp.send(ctx, r, v.Kind, report.LastMonth(now, rp.loc()))
	}
	if err := rp.h.setStep(ctx, r, reportStep, map[string]string{"kind": string(v.Kind)}); err != nil {
		return err
	}
	_, err = rp.h.reply(ctx, r, r.Loc.T("report.ask_range", "Example", rp.example(r)), nil)
	return err
}

// Step reads the two dates typed for a report. A wrong answer is explained
// and the question stays open: nothing is sent until two good dates come.
func (rp *Reports) Step(ctx context.Context, r *Request) error {
	if err := rp.allowed(r); err != nil {
		return err
	}
	kind, ok := report.ParseKind(r.Conv.Data["kind"])
	if !ok || r.Conv.Step != reportStep {
		return rp.h.endConversation(ctx, r)
	}
	from, to, ok := parseDateRange(r.Text, rp.loc(), rp.h.Clock().In(rp.loc()).Year())
	if !ok {
		return Fail("report.bad_range", "Example", rp.example(r))
	}
	p, err := report.NewPeriod(from, to)
	switch {
	case errors.Is(err, report.ErrPeriodOrder):
		return Fail("report.range_order", "From", r.Loc.F.DateShort(from), "To", r.Loc.F.DateShort(to))
	case errors.Is(err, report.ErrPeriodTooLong):
		return Fail("report.range_too_long", "Days", report.MaxDays)
	case err != nil:
		return err
	}
	return rp.send(ctx, r, kind, p)
}

// send builds the report, records the request (before anything leaves),
// and sends the CSV then the chart to the one-to-one chat the request came
// from.
func (rp *Reports) send(ctx context.Context, r *Request, kind report.Kind, p report.Period) error {
	out, err := report.Build(ctx, rp.store, r.Person.CentreID, kind, p, rp.loc())
	if err != nil {
		return err
	}
	actor := r.Person.ID
	if err := rp.store.AuditReport(ctx, r.Person.CentreID, &actor, string(kind), p.From, p.To, "telegram"); err != nil {
		return err
	}
	caption := r.Loc.T("report.caption", "Report", r.Loc.T(reportTitle[kind]),
		"From", r.Loc.F.DateShort(p.From), "To", r.Loc.F.DateShort(p.To))
	if _, err := rp.files.SendDocument(ctx, &tgbot.SendDocumentParams{
		ChatID: r.ChatID, Caption: caption,
		Document: &models.InputFileUpload{Filename: out.CSVName, Data: bytes.NewReader(out.CSV)},
	}); err != nil {
		return fmt.Errorf("handlers: report document: %w", err)
	}
	if _, err := rp.files.SendPhoto(ctx, &tgbot.SendPhotoParams{
		ChatID: r.ChatID, Caption: caption,
		Photo: &models.InputFileUpload{Filename: out.PNGName, Data: bytes.NewReader(out.PNG)},
	}); err != nil {
		return fmt.Errorf("handlers: report chart: %w", err)
	}
	// Only now: when Telegram is down the update comes again and must find
	// the typed dates' question still open. A button of an older /report
	// leaves any other conversation alone.
	if r.step() == reportStep {
		return rp.h.endConversation(ctx, r)
	}
	return nil
}

// allowed keeps reports to staff and above, in a one-to-one chat: a
// report names every resident with his hours and his debts.
func (rp *Reports) allowed(r *Request) error {
	if r.Person == nil || !r.Person.Role.AtLeast(store.RoleStaff) || !r.Private {
		return ErrForbidden
	}
	return nil
}

func (rp *Reports) loc() *time.Location {
	if rp.h.Zone != nil {
		return rp.h.Zone
	}
	return time.UTC
}

// example is a range to copy: last month, day first, as locales.ParseDate
// reads in every language (the Dari and Pashto short dates put the year
// first, which it does not read).
func (rp *Reports) example(*Request) string {
	p := report.LastMonth(rp.h.Clock(), rp.loc())
	return p.From.Format("02/01/2006") + " " + p.To.Format("02/01/2006")
}

// parseDateRange reads two dates typed in one message: "1/11/2026
// 30/11/2026", "01.11.2026 - 30.11.2026", "1/11 au 30/11", each date read
// by locales.ParseDate. Words and dashes between them are skipped; dates
// written with spaces ("1 11 2026") are found by trying every split.
func parseDateRange(text string, loc *time.Location, year int) (from, to time.Time, ok bool) {
	var tokens []string
	for _, f := range strings.FieldsFunc(locales.ASCIIDigits(locales.StripBidi(text)), func(c rune) bool {
		return unicode.IsSpace(c) || c == ',' || c == ';' || c == '–' || c == '—'
	}) {
		if strings.IndexFunc(f, unicode.IsDigit) >= 0 {
			tokens = append(tokens, f)
		}
	}
	for i := 1; i < len(tokens); i++ {
		a, _, okA := locales.ParseDate(strings.Join(tokens[:i], " "), loc, year)
		b, _, okB := locales.ParseDate(strings.Join(tokens[i:], " "), loc, year)
		if okA && okB {
			return a, b, true
		}
	}
	return time.Time{}, time.Time{}, false
}
