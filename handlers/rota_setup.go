package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/rota"
	"github.com/aurore/cairbot/store"
)

// Rota set-up by staff on Telegram (what `cairbot import chores` also
// does): the 🧹 action of the 🏠 Residents menu puts the chosen resident on
// the cleaning rota or takes him off, and /areas lists the centre's areas,
// stops or restarts one, and adds a new one. Translated labels of an area
// stay a CSV feature.
//
// Callback data (checked against the staff member's centre and the open
// conversation; anything else is a stale button):
//
//	resident:rm:<resident>:1|0    put on | take off the rota (residents conversation)
//	ars:a:<area>                  show an area
//	ars:t:<area>:0|1              stop using | use again
//	ars:n                         new area: ask its name
//	ars:d:<1..7>                  new area: toggle a weekday
//	ars:dok                       new area: days chosen
//	ars:ok | ars:no               new area: save | cancel

// RotaSetup is what the rota set-up needs from storage.
type RotaSetup interface {
	OnChoreRota(ctx context.Context, centreID, personID int64) (bool, error)
	SetChoreMember(ctx context.Context, centreID, actorID, personID int64, on bool, now time.Time) error
	ChoreAreas(ctx context.Context, centreID int64) ([]store.ChoreArea, error)
	ChoreArea(ctx context.Context, centreID, areaID int64) (store.ChoreArea, error)
	SetChoreAreaActive(ctx context.Context, centreID, actorID, areaID int64, active bool) (store.ChoreArea, error)
	CreateChoreArea(ctx context.Context, centreID, actorID int64, a store.ChoreArea) (store.ChoreArea, error)
}

const (
	residentActRota = "rota"
	stepRotaMember  = "resident.rota"

	stepAreaName    = "areas.name"
	stepAreaDays    = "areas.days"
	stepAreaStart   = "areas.start"
	stepAreaEnd     = "areas.end"
	stepAreaConfirm = "areas.confirm"
)

// ---- The 🧹 action of /residents ----

// rotaMemberShow says whether the chosen resident is on the rota, with the
// button to change it.
func (h *Rota) rotaMemberShow(ctx context.Context, r *Request, data map[string]string, p store.Person) error {
	on, err := h.RotaSetup.OnChoreRota(ctx, r.Person.CentreID, p.ID)
	if err != nil {
		return err
	}
	text, button := "rotasetup.member_off", models.InlineKeyboardButton{
		Text: r.Loc.T("rotasetup.button_put_on"), CallbackData: rotaMemberAction.Data(rotaMemberArg{p.ID, true})}
	data["on"] = "0"
	if on {
		text, button = "rotasetup.member_on", models.InlineKeyboardButton{
			Text: r.Loc.T("rotasetup.button_take_off"), CallbackData: rotaMemberAction.Data(rotaMemberArg{p.ID, false})}
		data["on"] = "1"
	}
	if err := h.setStep(ctx, r, stepRotaMember, data); err != nil {
		return err
	}
	kb := inlineRows([]models.InlineKeyboardButton{button,
		{Text: r.Loc.T("button.cancel"), CallbackData: residentNoAction.Data(noFields{})}}, 1)
	_, err = h.reply(ctx, r, r.Loc.T(text, "Name", p.DisplayName, "Room", residentRoom(p)), kb)
	return err
}

// rotaMemberAction puts the resident on the rota or takes him off it:
// "resident:rm:<resident base 36>:1|0"; "resident:no" (residents.go)
// cancels.
var rotaMemberAction = newAction("resident:rm", encRotaMember, decRotaMember, rotaMemberArg{42, true}, rotaMemberArg{42, false})

type rotaMemberArg struct {
	Person int64
	On     bool
}

func encRotaMember(v rotaMemberArg) []string {
	on := "0"
	if v.On {
		on = "1"
	}
	return []string{strconv.FormatInt(v.Person, 36), on}
}

func decRotaMember(f []string) (rotaMemberArg, bool) {
	if len(f) != 2 || (f[1] != "0" && f[1] != "1") {
		return rotaMemberArg{}, false
	}
	person, ok := parseClassID36(f[0])
	return rotaMemberArg{person, f[1] == "1"}, ok
}

// ResidentRotaMember takes the rota button and asks to confirm.
func (h *Residents) ResidentRotaMember(ctx context.Context, r *Request) error {
	v, err := rotaMemberAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	data, statuses, err := residentConversation(r)
	if err != nil {
		return err
	}
	if data["act"] != residentActRota || r.step() != stepRotaMember {
		return ErrStaleButton
	}
	return h.RotaMembers.rotaMemberButton(ctx, r, data, statuses, v)
}

// rotaMemberButton asks to confirm the change a rota button asks for.
func (h *Rota) rotaMemberButton(ctx context.Context, r *Request, data map[string]string, statuses []string, v rotaMemberArg) error {
	do := encRotaMember(v)[1]
	pid, err := strconv.ParseInt(data["pid"], 10, 64)
	if err != nil || v.Person != pid || do == data["on"] {
		return ErrStaleButton
	}
	p, err := h.conversationResident(ctx, r, data, statuses)
	if err != nil {
		return err
	}
	data["do"] = do
	if err := h.setStep(ctx, r, stepResidentConfirm, data); err != nil {
		return err
	}
	text := "rotasetup.confirm_off"
	if v.On {
		text = "rotasetup.confirm_on"
	}
	_, err = h.reply(ctx, r, r.Loc.T(text, "Name", p.DisplayName, "Room", residentRoom(p)), confirmActions(r.Loc, residentOKAction, residentNoAction))
	return err
}

// rotaMemberSave applies the confirmed change, audited in the store.
func (h *Rota) rotaMemberSave(ctx context.Context, r *Request, data map[string]string, statuses []string) error {
	p, err := h.conversationResident(ctx, r, data, statuses)
	if err != nil {
		return err
	}
	if data["do"] != "0" && data["do"] != "1" {
		return ErrStaleButton
	}
	on := data["do"] == "1"
	err = h.RotaSetup.SetChoreMember(ctx, r.Person.CentreID, r.Person.ID, p.ID, on, r.Now)
	already, saved := "rotasetup.already_off", "rotasetup.saved_off"
	if on {
		already, saved = "rotasetup.already_on", "rotasetup.saved_on"
	}
	switch {
	case errors.Is(err, store.ErrChoreUnchanged):
		if err := h.endConversation(ctx, r); err != nil {
			return err
		}
		return Fail(already, "Name", p.DisplayName)
	case errors.Is(err, store.ErrNotFound):
		return ErrStaleButton
	case err != nil:
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.T(saved, "Name", p.DisplayName, "Room", residentRoom(p)))
}

// ---- /areas ----

// areaName is an area's name in a language: its label there, else its name.
func areaName(a store.ChoreArea, lang string) string {
	if l := a.Labels[lang]; l != "" {
		return l
	}
	return a.Name
}

// areaRefMonday is a Monday used to name weekdays and write times of day.
var areaRefMonday = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// areaDays writes weekdays (1 = Monday) as a list in the reader's language.
func (h *Rota) areaDays(loc *locales.Localizer, days []int) string {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = loc.F.Weekday(rota.At(areaRefMonday.AddDate(0, 0, d-1), 12*60, h.Zone))
	}
	sep := ", "
	if loc.Tag == "ar" || loc.Tag == "fa-AF" || loc.Tag == "ps" || loc.Tag == "ur" {
		sep = "، "
	}
	return strings.Join(names, sep)
}

// areaClock writes minutes after midnight as a time of day.
func (h *Rota) areaClock(loc *locales.Localizer, minutes int) string {
	return loc.F.Time(rota.At(areaRefMonday, minutes, h.Zone))
}

func (h *Rota) areaVars(loc *locales.Localizer, a store.ChoreArea) []any {
	return []any{"Name", areaName(a, loc.Tag), "Days", h.areaDays(loc, a.Days),
		"Start", h.areaClock(loc, a.Start), "End", h.areaClock(loc, a.End)}
}

func (h *Rota) areaLine(loc *locales.Localizer, a store.ChoreArea) string {
	if a.Active {
		return loc.T("rotasetup.area_line_on", h.areaVars(loc, a)...)
	}
	return loc.T("rotasetup.area_line_off", h.areaVars(loc, a)...)
}

// Areas lists the centre's areas with one button per area and ➕.
func (h *Rota) Areas(ctx context.Context, r *Request) error {
	areas, err := h.RotaSetup.ChoreAreas(ctx, r.Person.CentreID)
	if err != nil {
		return err
	}
	lines := []string{r.Loc.T("rotasetup.areas_title")}
	var buttons []models.InlineKeyboardButton
	for _, a := range areas {
		lines = append(lines, h.areaLine(r.Loc, a))
		if len(buttons) < 90 {
			buttons = append(buttons, models.InlineKeyboardButton{Text: "🧹 " + areaName(a, r.Loc.Tag),
				CallbackData: areaShowAction.Data(areaRef{a.ID})})
		}
	}
	if len(areas) == 0 {
		lines = append(lines, r.Loc.T("rotasetup.areas_none"))
	} else {
		lines = append(lines, "", r.Loc.T("rotasetup.areas_hint"))
	}
	kb := inlineRows(buttons, 2)
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: r.Loc.T("rotasetup.button_new"), CallbackData: areaNewAction.Data(areaNone{})}})
	_, err = h.reply(ctx, r, strings.Join(lines, "\n"), kb)
	return err
}

// The buttons of /areas and of a new area: one action each, routed by its
// prefix in bot/routes.go (their data is described at the top of this
// file). An area is one of the staff member's centre; the new area's
// buttons act only at the step of the conversation that drew them.
type (
	areaRef    struct{ Area int64 }
	areaToggle struct {
		Area int64
		On   bool
	}
	areaDay  struct{ Day int }
	areaNone struct{}
)

var (
	areaShowAction   = newAction("ars:a", encAreaRef, decAreaRef, areaRef{1234})                // show an area
	areaToggleAction = newAction("ars:t", encAreaToggle, decAreaToggle, areaToggle{1234, true}) // stop using | use again
	areaNewAction    = newAction("ars:n", encAreaNone, decAreaNone, areaNone{})                 // new area: ask its name
	areaDayAction    = newAction("ars:d", encAreaDay, decAreaDay, areaDay{3})                   // new area: toggle a weekday
	areaDaysOKAction = newAction("ars:dok", encAreaNone, decAreaNone, areaNone{})               // new area: days chosen
	areaSaveAction   = newAction("ars:ok", encAreaNone, decAreaNone, areaNone{})                // new area: save
	areaCancelAction = newAction("ars:no", encAreaNone, decAreaNone, areaNone{})                // new area: cancel
)

func encAreaRef(v areaRef) []string { return []string{strconv.FormatInt(v.Area, 36)} }

func decAreaRef(f []string) (areaRef, bool) {
	if len(f) != 1 {
		return areaRef{}, false
	}
	id, ok := parseClassID36(f[0])
	return areaRef{id}, ok
}

func encAreaToggle(v areaToggle) []string {
	on := "0"
	if v.On {
		on = "1"
	}
	return []string{strconv.FormatInt(v.Area, 36), on}
}

func decAreaToggle(f []string) (areaToggle, bool) {
	if len(f) != 2 || (f[1] != "0" && f[1] != "1") {
		return areaToggle{}, false
	}
	id, ok := parseClassID36(f[0])
	return areaToggle{id, f[1] == "1"}, ok
}

func encAreaDay(v areaDay) []string { return []string{strconv.Itoa(v.Day)} }

func decAreaDay(f []string) (areaDay, bool) {
	if len(f) != 1 {
		return areaDay{}, false
	}
	d, err := strconv.Atoi(f[0])
	return areaDay{d}, err == nil && d >= 1 && d <= 7 && strconv.Itoa(d) == f[0]
}

func encAreaNone(areaNone) []string { return nil }

func decAreaNone(f []string) (areaNone, bool) { return areaNone{}, len(f) == 0 }

// AreaShow shows an area with a button to stop or restart it.
func (h *Rota) AreaShow(ctx context.Context, r *Request) error {
	v, err := areaShowAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	a, err := h.ownArea(ctx, r, v.Area)
	if err != nil {
		return err
	}
	button := models.InlineKeyboardButton{Text: r.Loc.T("rotasetup.button_stop"), CallbackData: areaToggleAction.Data(areaToggle{a.ID, false})}
	if !a.Active {
		button = models.InlineKeyboardButton{Text: r.Loc.T("rotasetup.button_use"), CallbackData: areaToggleAction.Data(areaToggle{a.ID, true})}
	}
	_, err = h.reply(ctx, r, h.areaLine(r.Loc, a), inlineRows([]models.InlineKeyboardButton{button}, 1))
	return err
}

// AreaToggle stops using an area, or uses it again.
func (h *Rota) AreaToggle(ctx context.Context, r *Request) error {
	v, err := areaToggleAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	a, err := h.ownArea(ctx, r, v.Area)
	if err != nil {
		return err
	}
	on := v.On
	a, err = h.RotaSetup.SetChoreAreaActive(ctx, r.Person.CentreID, r.Person.ID, a.ID, on)
	if errors.Is(err, store.ErrChoreUnchanged) || errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	msg := "rotasetup.area_stopped"
	if on {
		msg = "rotasetup.area_used"
	}
	_, err = h.reply(ctx, r, r.Loc.T(msg, "Name", areaName(a, r.Loc.Tag)), nil)
	return err
}

// AreaNew asks the new area's name.
func (h *Rota) AreaNew(ctx context.Context, r *Request) error {
	if _, err := areaNewAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if err := h.setStep(ctx, r, stepAreaName, map[string]string{}); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("rotasetup.ask_name"), nil)
	return err
}

// AreaDay chooses a weekday of the new area, or unchooses it.
func (h *Rota) AreaDay(ctx context.Context, r *Request) error {
	v, err := areaDayAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	if r.step() != stepAreaDays {
		return ErrStaleButton
	}
	d := v.Day
	data := copyData(r.Conv)
	days := areaDayList(data["days"])
	if i := slices.Index(days, d); i >= 0 {
		days = slices.Delete(days, i, i+1)
	} else {
		days = append(days, d)
		slices.Sort(days)
	}
	data["days"] = areaDayString(days)
	if err := h.setStep(ctx, r, stepAreaDays, data); err != nil {
		return err
	}
	return h.editMessage(ctx, r, r.Loc.T("rotasetup.ask_days", "Name", data["name"]), h.areaDayButtons(r.Loc, days))
}

// AreaDaysChosen asks the new area's start once its days are chosen.
func (h *Rota) AreaDaysChosen(ctx context.Context, r *Request) error {
	if _, err := areaDaysOKAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepAreaDays {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	if len(areaDayList(data["days"])) == 0 {
		return Fail("rotasetup.no_days")
	}
	if err := h.setStep(ctx, r, stepAreaStart, data); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("rotasetup.ask_start", "Example", h.areaClock(r.Loc, 18*60)), nil)
	return err
}

// AreaCancel gives up the new area.
func (h *Rota) AreaCancel(ctx context.Context, r *Request) error {
	if _, err := areaCancelAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepAreaConfirm {
		return ErrStaleButton
	}
	return h.cancel(ctx, r)
}

// AreaSave creates the new area.
func (h *Rota) AreaSave(ctx context.Context, r *Request) error {
	if _, err := areaSaveAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepAreaConfirm {
		return ErrStaleButton
	}
	a, err := areaDraft(copyData(r.Conv))
	if err != nil {
		return err
	}
	a, err = h.RotaSetup.CreateChoreArea(ctx, r.Person.CentreID, r.Person.ID, a)
	if err != nil {
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.T("rotasetup.area_created", "Name", a.Name))
}

// ownArea loads an area of the staff member's centre named by a button.
func (h *Rota) ownArea(ctx context.Context, r *Request, id int64) (store.ChoreArea, error) {
	a, err := h.RotaSetup.ChoreArea(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ChoreArea{}, ErrStaleButton
	}
	return a, err
}

// AreasStep takes what staff types for a new area: its name, then the
// start and end of its time window.
func (h *Rota) AreasStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch r.step() {
	case stepAreaName:
		name, ok := CleanName(r.Text)
		if !ok {
			return Fail("invite.bad_name")
		}
		data["name"], data["days"] = name, ""
		if err := h.setStep(ctx, r, stepAreaDays, data); err != nil {
			return err
		}
		_, err := h.reply(ctx, r, r.Loc.T("rotasetup.ask_days", "Name", name), h.areaDayButtons(r.Loc, nil))
		return err
	case stepAreaStart:
		start, ok := locales.ParseClock(r.Text)
		if !ok {
			return Fail("timetable.bad_time")
		}
		data["start"] = strconv.Itoa(start)
		if err := h.setStep(ctx, r, stepAreaEnd, data); err != nil {
			return err
		}
		_, err := h.reply(ctx, r, r.Loc.T("rotasetup.ask_end", "Example", h.areaClock(r.Loc, 20*60)), nil)
		return err
	case stepAreaEnd:
		end, ok := locales.ParseClock(r.Text)
		if !ok {
			return Fail("timetable.bad_time")
		}
		start, err := strconv.Atoi(data["start"])
		if err != nil {
			return h.cancel(ctx, r)
		}
		if end <= start {
			return Fail("announce.bad_time_order", "From", h.areaClock(r.Loc, start))
		}
		data["end"] = strconv.Itoa(end)
		a, err := areaDraft(data)
		if err != nil {
			return h.cancel(ctx, r)
		}
		if err := h.setStep(ctx, r, stepAreaConfirm, data); err != nil {
			return err
		}
		_, err = h.reply(ctx, r, r.Loc.T("rotasetup.confirm_area", h.areaVars(r.Loc, a)...), inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("button.confirm"), CallbackData: areaSaveAction.Data(areaNone{})},
			{Text: r.Loc.T("button.cancel"), CallbackData: areaCancelAction.Data(areaNone{})},
		}, 2))
		return err
	}
	return Fail("error.not_understood")
}

// areaDraft reads the new area kept in the conversation, checked again.
func areaDraft(data map[string]string) (store.ChoreArea, error) {
	start, err1 := strconv.Atoi(data["start"])
	end, err2 := strconv.Atoi(data["end"])
	days := areaDayList(data["days"])
	name, ok := CleanName(data["name"])
	if err1 != nil || err2 != nil || !ok || len(days) == 0 || start < 0 || end <= start || end > 24*60-1 {
		return store.ChoreArea{}, ErrStaleButton
	}
	return store.ChoreArea{Name: name, Days: days, Start: start, End: end, Active: true}, nil
}

// areaDayButtons are the seven weekdays, ☑️ when chosen, then ✅.
func (h *Rota) areaDayButtons(loc *locales.Localizer, days []int) *models.InlineKeyboardMarkup {
	buttons := make([]models.InlineKeyboardButton, 7)
	for d := 1; d <= 7; d++ {
		mark := "⬜ "
		if slices.Contains(days, d) {
			mark = "☑️ "
		}
		buttons[d-1] = models.InlineKeyboardButton{
			Text:         mark + loc.F.Weekday(rota.At(areaRefMonday.AddDate(0, 0, d-1), 12*60, h.Zone)),
			CallbackData: areaDayAction.Data(areaDay{d})}
	}
	kb := inlineRows(buttons, 2)
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: loc.T("rotasetup.button_days_done"), CallbackData: areaDaysOKAction.Data(areaNone{})}})
	return kb
}

func areaDayList(s string) []int {
	var days []int
	for _, f := range strings.Split(s, ",") {
		if d, err := strconv.Atoi(f); err == nil && d >= 1 && d <= 7 && !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return days
}

func areaDayString(days []int) string {
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ",")
}
