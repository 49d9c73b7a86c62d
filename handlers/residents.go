package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Residents is the staff's everyday changes to residents (/residents):
// arrival, departure, away, back, room, contribution, and the actions
// that belong to other features (class groups, the cleaning rota), which
// it hands to them.
type Residents struct {
	Base
	Residents ResidentStore
	Money     MoneyStore
	// Groups enrols a resident in class groups (enrol.go), RotaMembers
	// puts him on the cleaning rota (rota_setup.go).
	Groups      *Classes
	RotaMembers *Rota
}

// ResidentStore is what the staff's everyday changes need from storage.
type ResidentStore interface {
	SearchResidents(ctx context.Context, centreID int64, query string, statuses []string, limit int) ([]store.Person, error)
	ChangeResident(ctx context.Context, c store.ResidentChange) (store.Person, error)
}

// The everyday changes staff make: arrival, departure, away, back, room,
// and the monthly contribution.
const (
	residentActAmount = "amount"

	stepResidentWho     = "resident.who"
	stepResidentPick    = "resident.pick"
	stepResidentDate    = "resident.date"
	stepResidentRoom    = "resident.room"
	stepResidentBasis   = "resident.basis"
	stepResidentAmount  = "resident.amount"
	stepResidentConfirm = "resident.confirm"
)

// residentActs in menu order, with the statuses a resident must have for
// each and the button label's message id.
var residentActs = []struct {
	act      string
	statuses []string
	label    string
}{
	{store.ChangeArrive, store.ChangeStatuses[store.ChangeArrive], "residents.act_arrive"},
	{store.ChangeLeave, store.ChangeStatuses[store.ChangeLeave], "residents.act_leave"},
	{store.ChangeAway, store.ChangeStatuses[store.ChangeAway], "residents.act_away"},
	{store.ChangeBack, store.ChangeStatuses[store.ChangeBack], "residents.act_back"},
	{store.ChangeRoom, store.ChangeStatuses[store.ChangeRoom], "residents.act_room"},
	{residentActAmount, []string{store.StatusActive, store.StatusAway}, "residents.act_amount"},
	// class groups (staff): handlers/enrol.go
	{residentActClass, []string{store.StatusActive, store.StatusAway}, "enrol.act"},
	// cleaning rota (staff): handlers/rota_setup.go
	{residentActRota, []string{store.StatusActive, store.StatusAway}, "rotasetup.act"},
}

func residentActStatuses(act string) ([]string, bool) {
	for _, a := range residentActs {
		if a.act == act {
			return a.statuses, true
		}
	}
	return nil, false
}

// ResidentsMenu shows staff the everyday changes as buttons.
func (h *Residents) ResidentsMenu(ctx context.Context, r *Request) error {
	buttons := make([]models.InlineKeyboardButton, len(residentActs))
	for i, a := range residentActs {
		buttons[i] = models.InlineKeyboardButton{Text: r.Loc.T(a.label), CallbackData: residentActAction.Data(residentActArg{a.act})}
	}
	_, err := h.reply(ctx, r, r.Loc.T("residents.menu"), inlineRows(buttons, 2))
	return err
}

// ResidentArrive, ResidentLeave, ResidentAway, ResidentBack, ResidentRoom
// and ResidentAmount are the commands that go straight to one change.
func (h *Residents) ResidentArrive(ctx context.Context, r *Request) error {
	return h.residentAct(ctx, r, store.ChangeArrive)
}

// ResidentLeave starts recording a departure (/leave).
func (h *Residents) ResidentLeave(ctx context.Context, r *Request) error {
	return h.residentAct(ctx, r, store.ChangeLeave)
}

// ResidentAway starts recording an absence (/away).
func (h *Residents) ResidentAway(ctx context.Context, r *Request) error {
	return h.residentAct(ctx, r, store.ChangeAway)
}

// ResidentBack starts recording a return (/back).
func (h *Residents) ResidentBack(ctx context.Context, r *Request) error {
	return h.residentAct(ctx, r, store.ChangeBack)
}

// ResidentRoom starts a room change (/room).
func (h *Residents) ResidentRoom(ctx context.Context, r *Request) error {
	return h.residentAct(ctx, r, store.ChangeRoom)
}

// ResidentAmount starts setting a monthly contribution (/contribution).
func (h *Residents) ResidentAmount(ctx context.Context, r *Request) error {
	return h.residentAct(ctx, r, residentActAmount)
}

func (h *Residents) residentAct(ctx context.Context, r *Request, act string) error {
	if err := h.setStep(ctx, r, stepResidentWho, map[string]string{"act": act}); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("residents.ask_who"), &models.ReplyKeyboardRemove{RemoveKeyboard: true})
	return err
}

// ResidentStep takes what staff types in the conversation: a name or
// room, a date, a room number or an amount.
func (h *Residents) ResidentStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	statuses, ok := residentActStatuses(data["act"])
	if !ok {
		return h.cancel(ctx, r)
	}
	switch r.step() {
	case stepResidentWho, stepResidentPick:
		return h.pickResident(ctx, r, h.Residents, stepResidentPick, data, statuses, residentPickAction)
	case stepResidentDate:
		day, err := h.residentDay(r, data["act"], r.Text)
		if err != nil {
			return err
		}
		return h.residentConfirm(ctx, r, data, day)
	case stepResidentRoom:
		room := strings.ToUpper(strings.TrimSpace(locales.ASCIIDigits(locales.StripBidi(r.Text))))
		if !roomRe.MatchString(room) {
			return Fail("invite.bad_room")
		}
		data["room"] = room
		return h.residentConfirm(ctx, r, data, "")
	case stepResidentAmount:
		cents, err := ParseAmount(r.Text)
		if err != nil {
			return amountError(r.Loc, err)
		}
		data["cents"] = strconv.FormatInt(cents, 10)
		return h.residentConfirm(ctx, r, data, "")
	}
	return Fail("error.not_understood")
}

// The buttons of the conversation: one action each, routed by its prefix
// in bot/routes.go. A button that does not fit the open conversation
// changes nothing. The class-group (enrol.go) and rota (rota_setup.go)
// steps have their own actions; "resident:no" cancels at any of them.
var (
	residentActAction   = newAction("resident:a", encResidentAct, decResidentAct, residentActArg{store.ChangeArrive}, residentActArg{residentActRota}) // the change
	residentPickAction  = newAction("resident:p", encPicked, decPicked, pickedID{42})                                                                  // the resident
	residentTodayAction = newAction("resident:today", encNoFields, decNoFields, noFields{})                                                            // the date is today
	residentBasisAction = newAction("resident:b", encResidentBasis, decResidentBasis, residentBasisArg{store.BasisFixed}, residentBasisArg{residentBasisNone})
	residentOKAction    = newAction("resident:ok", encNoFields, decNoFields, noFields{}) // save the change
	residentNoAction    = newAction("resident:no", encNoFields, decNoFields, noFields{}) // cancel
)

// residentActArg is a change of the menu: "resident:a:<act>", one of
// residentActs.
type residentActArg struct{ Act string }

func encResidentAct(v residentActArg) []string { return []string{v.Act} }

func decResidentAct(f []string) (residentActArg, bool) {
	if len(f) != 1 {
		return residentActArg{}, false
	}
	_, ok := residentActStatuses(f[0])
	return residentActArg{f[0]}, ok
}

// residentBasisNone is the basis button of "no contribution".
const residentBasisNone = "none"

// residentBasisArg is how the contribution is set: "resident:b:<basis>".
type residentBasisArg struct{ Basis string }

func encResidentBasis(v residentBasisArg) []string { return []string{v.Basis} }

func decResidentBasis(f []string) (residentBasisArg, bool) {
	if len(f) != 1 {
		return residentBasisArg{}, false
	}
	switch f[0] {
	case store.BasisFixed, store.BasisResources, residentBasisNone:
		return residentBasisArg{f[0]}, true
	}
	return residentBasisArg{}, false
}

// residentConversation is the open change's data and the statuses its
// resident may have; without a change open, any button is stale.
func residentConversation(r *Request) (map[string]string, []string, error) {
	data := copyData(r.Conv)
	statuses, ok := residentActStatuses(data["act"])
	if !ok {
		return nil, nil, ErrStaleButton
	}
	return data, statuses, nil
}

// ResidentActButton starts the change chosen in the menu.
func (h *Residents) ResidentActButton(ctx context.Context, r *Request) error {
	v, err := residentActAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	return h.residentAct(ctx, r, v.Act)
}

// ResidentPick takes the resident's button of the picker.
func (h *Residents) ResidentPick(ctx context.Context, r *Request) error {
	data, statuses, err := residentConversation(r)
	if err != nil {
		return err
	}
	if r.step() != stepResidentPick {
		return ErrStaleButton
	}
	p, err := h.pickedResident(ctx, r, data, residentPickAction, statuses)
	if err != nil {
		return err
	}
	delete(data, "ids")
	return h.residentNext(ctx, r, data, p)
}

// ResidentToday takes "today" as the date of an arrival or a departure.
func (h *Residents) ResidentToday(ctx context.Context, r *Request) error {
	if _, err := residentTodayAction.Parse(r.CallbackData); err != nil {
		return err
	}
	data, _, err := residentConversation(r)
	if err != nil {
		return err
	}
	if r.step() != stepResidentDate {
		return ErrStaleButton
	}
	return h.residentConfirm(ctx, r, data, r.Now.In(h.zoneOrUTC()).Format(time.DateOnly))
}

// ResidentBasisButton takes how the contribution is set.
func (h *Residents) ResidentBasisButton(ctx context.Context, r *Request) error {
	v, err := residentBasisAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	data, _, err := residentConversation(r)
	if err != nil {
		return err
	}
	if r.step() != stepResidentBasis {
		return ErrStaleButton
	}
	return h.residentBasis(ctx, r, data, v.Basis)
}

// ResidentSave saves the confirmed change.
func (h *Residents) ResidentSave(ctx context.Context, r *Request) error {
	if _, err := residentOKAction.Parse(r.CallbackData); err != nil {
		return err
	}
	data, statuses, err := residentConversation(r)
	if err != nil {
		return err
	}
	if r.step() != stepResidentConfirm {
		return ErrStaleButton
	}
	return h.residentSave(ctx, r, data, statuses)
}

// ResidentCancel drops the change at its confirmation, or at the
// class-group and rota steps, which have a cancel button of their own.
func (h *Residents) ResidentCancel(ctx context.Context, r *Request) error {
	if _, err := residentNoAction.Parse(r.CallbackData); err != nil {
		return err
	}
	data, _, err := residentConversation(r)
	if err != nil {
		return err
	}
	switch step := r.step(); {
	case data["act"] == residentActClass && (step == stepEnrolGroup || step == stepEnrolHours),
		data["act"] == residentActRota && step == stepRotaMember,
		step == stepResidentConfirm:
		return h.cancel(ctx, r)
	}
	return ErrStaleButton
}

// residentNext asks what the change needs once the resident is chosen.
func (h *Residents) residentNext(ctx context.Context, r *Request, data map[string]string, p store.Person) error {
	name, room := p.DisplayName, residentRoom(p)
	switch data["act"] {
	case store.ChangeArrive, store.ChangeLeave:
		if err := h.setStep(ctx, r, stepResidentDate, data); err != nil {
			return err
		}
		kb := inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("residents.today"), CallbackData: residentTodayAction.Data(noFields{})},
		}, 1)
		_, err := h.reply(ctx, r, r.Loc.T(residentAskDateMessage(data["act"]), "Name", name, "Room", room,
			"Example", r.Loc.F.DateShort(r.Now)), kb)
		return err
	case store.ChangeRoom:
		if err := h.setStep(ctx, r, stepResidentRoom, data); err != nil {
			return err
		}
		_, err := h.reply(ctx, r, r.Loc.T("residents.ask_room", "Name", name, "Room", room), nil)
		return err
	case residentActAmount:
		if err := h.setStep(ctx, r, stepResidentBasis, data); err != nil {
			return err
		}
		kb := inlineRows([]models.InlineKeyboardButton{
			{Text: r.Loc.T("residents.basis_fixed"), CallbackData: residentBasisAction.Data(residentBasisArg{store.BasisFixed})},
			{Text: r.Loc.T("residents.basis_resources"), CallbackData: residentBasisAction.Data(residentBasisArg{store.BasisResources})},
			{Text: r.Loc.T("residents.basis_none"), CallbackData: residentBasisAction.Data(residentBasisArg{residentBasisNone})},
		}, 1)
		_, err := h.reply(ctx, r, r.Loc.T("residents.ask_basis", "Name", name, "Room", room), kb)
		return err
	case residentActClass:
		return h.Groups.enrolGroups(ctx, r, data, p)
	case residentActRota:
		return h.RotaMembers.rotaMemberShow(ctx, r, data, p)
	}
	return h.residentConfirm(ctx, r, data, "")
}

// residentBasis takes how the contribution is set.
func (h *Residents) residentBasis(ctx context.Context, r *Request, data map[string]string, basis string) error {
	switch basis {
	case residentBasisNone:
		data["basis"], data["cents"] = store.BasisResources, "0"
		return h.residentConfirm(ctx, r, data, "")
	case store.BasisFixed, store.BasisResources:
		data["basis"] = basis
	default:
		return ErrStaleButton
	}
	if err := h.setStep(ctx, r, stepResidentAmount, data); err != nil {
		return err
	}
	text := r.Loc.T("residents.ask_fixed", "Example", r.Loc.F.Money(4500))
	if basis == store.BasisResources {
		ms, err := h.Money.MoneySettings(ctx, r.Person.CentreID)
		if err != nil {
			return err
		}
		text = r.Loc.T("residents.ask_resources", "Rate", r.Loc.F.Number(int64(ms.RateBP/100)),
			"MinLeft", r.Loc.F.Number(int64(ms.MinLeftBP/100)), "Example", r.Loc.F.Money(60000))
	}
	_, err := h.reply(ctx, r, text, nil)
	return err
}

// residentConfirm shows the change in a whole sentence with ✅/❌.
func (h *Residents) residentConfirm(ctx context.Context, r *Request, data map[string]string, day string) error {
	statuses, _ := residentActStatuses(data["act"])
	p, err := h.conversationResident(ctx, r, data, statuses)
	if err != nil {
		return err
	}
	kv := []any{"Name", p.DisplayName, "Room", residentRoom(p)}
	var id string
	switch act := data["act"]; act {
	case store.ChangeArrive, store.ChangeLeave:
		data["date"] = day
		d, err := time.ParseInLocation(time.DateOnly, day, h.zoneOrUTC())
		if err != nil {
			return ErrStaleButton
		}
		id, kv = residentConfirmMessage(act), append(kv, "Date", r.Loc.F.Date(d.Add(12*time.Hour)))
	case store.ChangeAway, store.ChangeBack:
		id = residentConfirmMessage(act)
	case store.ChangeRoom:
		id, kv = "residents.confirm_room", append(kv, "NewRoom", data["room"])
	case residentActAmount:
		cents, _ := strconv.ParseInt(data["cents"], 10, 64)
		switch {
		case data["basis"] == store.BasisFixed:
			id, kv = "residents.confirm_fixed", append(kv, "Amount", r.Loc.F.Money(cents))
		case cents == 0:
			id = "residents.confirm_no_income"
		default:
			ms, err := h.Money.MoneySettings(ctx, r.Person.CentreID)
			if err != nil {
				return err
			}
			monthly := ms.Monthly(store.Contribution{Basis: store.BasisResources, Cents: cents})
			id, kv = "residents.confirm_resources", append(kv, "Income", r.Loc.F.Money(cents), "Amount", r.Loc.F.Money(monthly))
		}
	}
	if err := h.setStep(ctx, r, stepResidentConfirm, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T(id, kv...), confirmActions(r.Loc, residentOKAction, residentNoAction))
	return err
}

// residentSave applies the confirmed change, audited in the store.
func (h *Residents) residentSave(ctx context.Context, r *Request, data map[string]string, statuses []string) error {
	if data["act"] == residentActClass {
		return h.Groups.enrolSave(ctx, r, data, statuses)
	}
	if data["act"] == residentActRota {
		return h.RotaMembers.rotaMemberSave(ctx, r, data, statuses)
	}
	p, err := h.conversationResident(ctx, r, data, statuses)
	if err != nil {
		return err
	}
	act := data["act"]
	if act == residentActAmount {
		cents, err := strconv.ParseInt(data["cents"], 10, 64)
		if err != nil {
			return ErrStaleButton
		}
		err = h.Money.SetContribution(ctx, store.Contribution{CentreID: p.CentreID, PersonID: p.ID,
			Basis: data["basis"], Cents: cents}, &r.Person.ID)
		if err != nil {
			return err
		}
	} else {
		c := store.ResidentChange{CentreID: r.Person.CentreID, PersonID: p.ID, ActorID: &r.Person.ID, Kind: act}
		if act == store.ChangeArrive || act == store.ChangeLeave {
			if c.Date, err = time.Parse(time.DateOnly, data["date"]); err != nil {
				return ErrStaleButton
			}
		}
		if act == store.ChangeRoom {
			c.Room, c.Floor = data["room"], FloorOfRoom(data["room"])
		}
		_, err = h.Residents.ChangeResident(ctx, c)
		switch {
		case errors.Is(err, store.ErrWrongStatus):
			return Fail("residents.status_changed", "Name", p.DisplayName)
		case errors.Is(err, store.ErrNotFound):
			return ErrStaleButton
		case err != nil:
			return err
		}
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	return h.replyMenu(ctx, r, r.Loc.T("residents.saved"))
}

// How far from today an arrival or departure may be typed: a year back for
// late paperwork, two months ahead for an announced arrival. A departure
// is recorded once it happened.
const (
	residentPastDays   = 366
	residentFutureDays = 62
)

// residentDay reads a typed date and checks it fits the change.
func (h *Residents) residentDay(r *Request, act, text string) (string, error) {
	loc := h.zoneOrUTC()
	example := r.Loc.F.DateShort(r.Now)
	d, _, ok := locales.ParseDate(text, loc, r.Now.In(loc).Year())
	if !ok {
		return "", Fail("residents.bad_date", "Example", example)
	}
	now := r.Now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	switch {
	case act == store.ChangeLeave && d.After(today):
		return "", Fail("residents.date_future")
	case d.Before(today.AddDate(0, 0, -residentPastDays)), d.After(today.AddDate(0, 0, residentFutureDays)):
		return "", Fail("residents.bad_date", "Example", example)
	}
	return d.Format(time.DateOnly), nil
}
