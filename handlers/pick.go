package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// The staff's resident picker, shared by every staff conversation about
// one resident (payments, the residents menu and the actions it leads to):
// a typed name or room gives one button per match, and the chosen
// resident is loaded again, from the staff member's centre, at each step.

// residentSearchMax is how many matches are shown as buttons; more ask for
// a longer name or the room number.
const residentSearchMax = 8

// pickResident answers a typed name or room with one button per matching
// resident. The candidates are kept in the conversation, so that only
// those buttons are accepted afterwards.
func (h *Base) pickResident(ctx context.Context, r *Request, search ResidentStore, step string, data map[string]string, statuses []string, pick CallbackAction[pickedID]) error {
	q := strings.Join(strings.Fields(locales.ASCIIDigits(locales.StripBidi(r.Text))), " ")
	if q == "" || utf8.RuneCountInString(q) > 80 {
		return Fail("residents.none_found", "Query", "…")
	}
	found, err := search.SearchResidents(ctx, r.Person.CentreID, q, statuses, residentSearchMax+1)
	if err != nil {
		return err
	}
	switch {
	case len(found) == 0:
		return Fail("residents.none_found", "Query", q)
	case len(found) > residentSearchMax:
		return Fail("residents.too_many")
	}
	ids := make([]string, len(found))
	buttons := make([]models.InlineKeyboardButton, len(found))
	for i, p := range found {
		ids[i] = strconv.FormatInt(p.ID, 10)
		buttons[i] = models.InlineKeyboardButton{Text: "👤 " + p.DisplayName + " · " + residentRoom(p), CallbackData: pick.Data(pickedID{p.ID})}
	}
	data["ids"] = strings.Join(ids, ",")
	if err := h.setStep(ctx, r, step, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("residents.pick"), inlineRows(buttons, 1))
	return err
}

// pickedID is a resident's button of the picker: "<feature>:p:<id>".
type pickedID struct{ Person int64 }

func encPicked(v pickedID) []string { return []string{itoa(v.Person)} }

func decPicked(f []string) (pickedID, bool) {
	if len(f) != 1 {
		return pickedID{}, false
	}
	id, ok := idField(f[0])
	return pickedID{id}, ok
}

// pickedResident checks a resident's button of pick against the
// candidates shown, and loads the resident from the staff member's own
// centre.
func (h *Base) pickedResident(ctx context.Context, r *Request, data map[string]string, pick CallbackAction[pickedID], statuses []string) (store.Person, error) {
	v, err := pick.Parse(r.CallbackData)
	if err != nil {
		return store.Person{}, err
	}
	id := itoa(v.Person)
	if !slices.Contains(strings.Split(data["ids"], ","), id) {
		return store.Person{}, ErrStaleButton
	}
	data["pid"] = id
	return h.conversationResident(ctx, r, data, statuses)
}

// conversationResident loads the resident chosen earlier in the
// conversation; if he is gone or his status changed meanwhile, the
// conversation's buttons are stale.
func (h *Base) conversationResident(ctx context.Context, r *Request, data map[string]string, statuses []string) (store.Person, error) {
	id, err := strconv.ParseInt(data["pid"], 10, 64)
	if err != nil {
		return store.Person{}, ErrStaleButton
	}
	p, err := h.Lookup.PersonByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, ErrStaleButton
	}
	if err != nil {
		return store.Person{}, err
	}
	if p.Role != store.RoleResident || !slices.Contains(statuses, p.Status) {
		return store.Person{}, Fail("residents.status_changed", "Name", p.DisplayName)
	}
	return p, nil
}

// residentRoom is the room to show, a dash when none is known.
func residentRoom(p store.Person) string {
	if p.Room == "" {
		return "—"
	}
	return p.Room
}
