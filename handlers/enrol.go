package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Class groups, the 📚 action of the staff's 🏠 Residents menu: put the
// chosen resident in one of the centre's French class groups with the
// hours OFII prescribed, change his hours in a group he is in, or take him
// out of a group. He is told in his language.
//
// The conversation is the residents one (act "class"): after the resident
// is picked, resident.group offers the groups, resident.hours the hours,
// then resident.confirm. Group and hours buttons carry the resident's id
// and are checked against the conversation ("pid", the groups shown in
// "gids", his groups in "mine", the group chosen in "g"), so a forged or
// old button changes nothing.

// Enrolments is what changing a resident's class groups needs from storage.
type Enrolments interface {
	ClassGroups(ctx context.Context, centreID int64) ([]store.ClassGroup, error)
	ResidentEnrolments(ctx context.Context, centreID, personID int64) ([]store.ClassEnrolment, error)
	EnrolResident(ctx context.Context, centreID, actorID, personID, groupID int64, hours int, now time.Time) (store.ClassEnrolment, error)
	UnenrolResident(ctx context.Context, centreID, actorID, personID, groupID int64, now time.Time) (store.ClassEnrolment, error)
}

const (
	residentActClass = "class"

	stepEnrolGroup = "resident.group"
	stepEnrolHours = "resident.hours"

	// enrolMaxGroups bounds the group buttons (Telegram allows 100 in all).
	enrolMaxGroups = 40
)

// What the staff chose to do ("do" in the conversation).
const (
	enrolIn  = store.EnrolIn
	enrolOut = store.EnrolOut
)

// enrolGroups shows the resident's groups and one button per group of the
// centre: 📚 to join it, ✅ for his own (to change his hours), and ➖ to
// leave one of his.
func (h *Classes) enrolGroups(ctx context.Context, r *Request, data map[string]string, p store.Person) error {
	groups, err := h.Enrolments.ClassGroups(ctx, r.Person.CentreID)
	if err != nil {
		return err
	}
	if len(groups) == 0 {
		if err := h.endConversation(ctx, r); err != nil {
			return err
		}
		return Fail("enrol.no_groups")
	}
	mine, err := h.Enrolments.ResidentEnrolments(ctx, r.Person.CentreID, p.ID)
	if err != nil {
		return err
	}
	in := map[int64]bool{}
	lines := []string{r.Loc.T("enrol.title", "Name", p.DisplayName, "Room", residentRoom(p))}
	for _, e := range mine {
		in[e.Group.ID] = true
		lines = append(lines, r.Loc.T("enrol.line", "Group", e.Group.Name, "Level", e.Group.Level,
			"Hours", r.Loc.F.Number(int64(e.Hours))))
	}
	if len(mine) == 0 {
		lines = append(lines, r.Loc.T("enrol.line_none"))
	}
	lines = append(lines, "", r.Loc.T("enrol.ask_group"))

	var rows [][]models.InlineKeyboardButton
	var shown, left []string
	for _, g := range groups[:min(len(groups), enrolMaxGroups)] {
		mark := "📚 "
		if in[g.ID] {
			mark = "✅ "
		}
		shown = append(shown, classID36(g.ID))
		rows = append(rows, []models.InlineKeyboardButton{{Text: mark + enrolGroupLabel(g),
			CallbackData: enrolGroupAction.Data(enrolGroupArg{p.ID, g.ID})}})
	}
	for _, e := range mine {
		left = append(left, classID36(e.Group.ID))
		rows = append(rows, []models.InlineKeyboardButton{{Text: "➖ " + enrolGroupLabel(e.Group),
			CallbackData: enrolLeaveAction.Data(enrolGroupArg{p.ID, e.Group.ID})}})
	}
	rows = append(rows, []models.InlineKeyboardButton{{Text: r.Loc.T("button.cancel"), CallbackData: residentNoAction.Data(noFields{})}})
	data["gids"], data["mine"] = strings.Join(shown, ","), strings.Join(left, ",")
	delete(data, "g")
	delete(data, "hours")
	delete(data, "do")
	if err := h.setStep(ctx, r, stepEnrolGroup, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, strings.Join(lines, "\n"), &models.InlineKeyboardMarkup{InlineKeyboard: rows})
	return err
}

// enrolGroupLabel is a group on a button: its level and its own name,
// nothing to translate.
func enrolGroupLabel(g store.ClassGroup) string { return g.Level + " · " + g.Name }

// The buttons of the class-group steps, routed by their prefix in
// bot/routes.go; "resident:no" (residents.go) cancels.
var (
	enrolGroupAction = newAction("resident:g", encEnrolGroup, decEnrolGroup, enrolGroupArg{42, 7})      // join a group, or change the hours in it
	enrolLeaveAction = newAction("resident:x", encEnrolGroup, decEnrolGroup, enrolGroupArg{42, 7})      // leave a group
	enrolHoursAction = newAction("resident:h", encEnrolHours, decEnrolHours, enrolHoursArg{42, 7, 200}) // the prescribed hours
)

// enrolGroupArg is a resident and a group, both written base 36:
// "resident:g|x:<resident>:<group>".
type enrolGroupArg struct{ Person, Group int64 }

func encEnrolGroup(v enrolGroupArg) []string {
	return []string{classID36(v.Person), classID36(v.Group)}
}

func decEnrolGroup(f []string) (enrolGroupArg, bool) {
	if len(f) != 2 {
		return enrolGroupArg{}, false
	}
	person, ok1 := parseClassID36(f[0])
	group, ok2 := parseClassID36(f[1])
	return enrolGroupArg{person, group}, ok1 && ok2
}

// enrolHoursArg is "resident:h:<resident>:<group>:<hours>", the hours one
// of those OFII prescribes.
type enrolHoursArg struct {
	Person, Group int64
	Hours         int
}

func encEnrolHours(v enrolHoursArg) []string {
	return []string{classID36(v.Person), classID36(v.Group), strconv.Itoa(v.Hours)}
}

func decEnrolHours(f []string) (enrolHoursArg, bool) {
	if len(f) != 3 {
		return enrolHoursArg{}, false
	}
	g, ok := decEnrolGroup(f[:2])
	hours, err := strconv.Atoi(f[2])
	ok = ok && err == nil && slices.Contains(store.PrescribedHours, hours) && strconv.Itoa(hours) == f[2]
	return enrolHoursArg{g.Person, g.Group, hours}, ok
}

// enrolConversation is the open class-group change at step, for the
// resident a button names.
func enrolConversation(r *Request, step string, person int64) (map[string]string, []string, error) {
	data, statuses, err := residentConversation(r)
	if err != nil {
		return nil, nil, err
	}
	pid, err := strconv.ParseInt(data["pid"], 10, 64)
	if data["act"] != residentActClass || r.step() != step || err != nil || pid <= 0 || pid != person {
		return nil, nil, ErrStaleButton
	}
	return data, statuses, nil
}

// enrolPick reads a group button of the enrolment step: its data, the
// conversation at that step for the same resident, and a group from the
// list the step showed (listKey: "gids" to join, "mine" to leave). Anything
// else is a stale button.
func enrolPick(r *Request, action CallbackAction[enrolGroupArg], listKey string) (data map[string]string, statuses []string, group string, err error) {
	v, err := action.Parse(r.CallbackData)
	if err != nil {
		return nil, nil, "", err
	}
	data, statuses, err = enrolConversation(r, stepEnrolGroup, v.Person)
	if err != nil {
		return nil, nil, "", err
	}
	group = classID36(v.Group)
	if !enrolListed(data[listKey], group) {
		return nil, nil, "", ErrStaleButton
	}
	return data, statuses, group, nil
}

// ResidentGroup takes a group to join, or to change the hours in.
func (h *Residents) ResidentGroup(ctx context.Context, r *Request) error {
	data, statuses, group, err := enrolPick(r, enrolGroupAction, "gids")
	if err != nil {
		return err
	}
	p, g, hours, err := h.Groups.enrolTarget(ctx, r, data, statuses, group)
	if err != nil {
		return err
	}
	data["g"] = group
	return h.Groups.enrolAskHours(ctx, r, data, p, g, hours)
}

// ResidentLeaveGroup takes a group to leave.
func (h *Residents) ResidentLeaveGroup(ctx context.Context, r *Request) error {
	data, statuses, group, err := enrolPick(r, enrolLeaveAction, "mine")
	if err != nil {
		return err
	}
	data["g"], data["do"] = group, enrolOut
	return h.Groups.enrolConfirm(ctx, r, data, statuses)
}

// ResidentHours takes the hours in the group chosen.
func (h *Residents) ResidentHours(ctx context.Context, r *Request) error {
	v, err := enrolHoursAction.Parse(r.CallbackData)
	if err != nil {
		return err
	}
	data, statuses, err := enrolConversation(r, stepEnrolHours, v.Person)
	if err != nil {
		return err
	}
	if classID36(v.Group) != data["g"] {
		return ErrStaleButton
	}
	data["hours"], data["do"] = strconv.Itoa(v.Hours), enrolIn
	return h.Groups.enrolConfirm(ctx, r, data, statuses)
}

// enrolListed reports whether a group id (base 36) is in a list kept in
// the conversation.
func enrolListed(list, id string) bool {
	return id != "" && slices.Contains(strings.Split(list, ","), id)
}

// enrolTarget loads what the conversation is about, fresh: the resident,
// the group (one of his centre's) and his hours in it (0: not in it).
func (h *Classes) enrolTarget(ctx context.Context, r *Request, data map[string]string, statuses []string,
	group string) (store.Person, store.ClassGroup, int, error) {
	p, err := h.conversationResident(ctx, r, data, statuses)
	if err != nil {
		return p, store.ClassGroup{}, 0, err
	}
	id, ok := parseClassID36(group)
	if !ok {
		return p, store.ClassGroup{}, 0, ErrStaleButton
	}
	mine, err := h.Enrolments.ResidentEnrolments(ctx, r.Person.CentreID, p.ID)
	if err != nil {
		return p, store.ClassGroup{}, 0, err
	}
	for _, e := range mine {
		if e.Group.ID == id {
			return p, e.Group, e.Hours, nil
		}
	}
	groups, err := h.Enrolments.ClassGroups(ctx, r.Person.CentreID)
	if err != nil {
		return p, store.ClassGroup{}, 0, err
	}
	for _, g := range groups {
		if g.ID == id {
			return p, g, 0, nil
		}
	}
	return p, store.ClassGroup{}, 0, ErrStaleButton
}

// enrolAskHours offers the hours OFII prescribes, those he has already
// left out.
func (h *Classes) enrolAskHours(ctx context.Context, r *Request, data map[string]string, p store.Person, g store.ClassGroup, current int) error {
	var buttons []models.InlineKeyboardButton
	for _, n := range store.PrescribedHours {
		if n == current {
			continue
		}
		buttons = append(buttons, models.InlineKeyboardButton{
			Text:         r.Loc.T("enrol.hours_button", "Hours", r.Loc.F.Number(int64(n))),
			CallbackData: enrolHoursAction.Data(enrolHoursArg{p.ID, g.ID, n}),
		})
	}
	kb := inlineRows(buttons, 2)
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: r.Loc.T("button.cancel"), CallbackData: residentNoAction.Data(noFields{})}})
	text := r.Loc.T("enrol.ask_hours", "Name", p.DisplayName, "Group", g.Name, "Level", g.Level)
	if current != 0 {
		text = r.Loc.T("enrol.ask_hours_change", "Name", p.DisplayName, "Group", g.Name,
			"Hours", r.Loc.F.Number(int64(current)))
	}
	if err := h.setStep(ctx, r, stepEnrolHours, data); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, text, kb)
	return err
}

// enrolConfirm shows the change in a whole sentence with ✅/❌.
func (h *Classes) enrolConfirm(ctx context.Context, r *Request, data map[string]string, statuses []string) error {
	p, g, current, err := h.enrolTarget(ctx, r, data, statuses, data["g"])
	if err != nil {
		return err
	}
	kv := []any{"Name", p.DisplayName, "Room", residentRoom(p), "Group", g.Name}
	var id string
	switch data["do"] {
	case enrolOut:
		if current == 0 {
			return Fail("enrol.not_in", "Name", p.DisplayName, "Group", g.Name)
		}
		id = "enrol.confirm_out"
	case enrolIn:
		hours, err := strconv.Atoi(data["hours"])
		if err != nil {
			return ErrStaleButton
		}
		switch {
		case hours == current:
			return Fail("enrol.unchanged", "Name", p.DisplayName, "Group", g.Name, "Hours", r.Loc.F.Number(int64(hours)))
		case current == 0:
			id, kv = "enrol.confirm_in", append(kv, "Level", g.Level, "Hours", r.Loc.F.Number(int64(hours)))
		default:
			id, kv = "enrol.confirm_hours", append(kv, "Hours", r.Loc.F.Number(int64(hours)),
				"From", r.Loc.F.Number(int64(current)))
		}
	default:
		return ErrStaleButton
	}
	if err := h.setStep(ctx, r, stepResidentConfirm, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T(id, kv...), confirmActions(r.Loc, residentOKAction, residentNoAction))
	return err
}

// enrolSave applies the confirmed change; the store writes it, its audit
// entry and the resident's notice in one transaction.
func (h *Classes) enrolSave(ctx context.Context, r *Request, data map[string]string, statuses []string) error {
	p, g, _, err := h.enrolTarget(ctx, r, data, statuses, data["g"])
	if err != nil {
		return err
	}
	hours, _ := strconv.Atoi(data["hours"])
	switch data["do"] {
	case enrolIn:
		_, err = h.Enrolments.EnrolResident(ctx, r.Person.CentreID, r.Person.ID, p.ID, g.ID, hours, r.Now)
	case enrolOut:
		_, err = h.Enrolments.UnenrolResident(ctx, r.Person.CentreID, r.Person.ID, p.ID, g.ID, r.Now)
	default:
		return ErrStaleButton
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrStaleButton
	case errors.Is(err, store.ErrWrongStatus):
		return Fail("residents.status_changed", "Name", p.DisplayName)
	case errors.Is(err, store.ErrClassUnchanged):
		// Someone made the same change meanwhile: nothing is left to do.
		if err := h.endConversation(ctx, r); err != nil {
			return err
		}
		return Fail("enrol.unchanged", "Name", p.DisplayName, "Group", g.Name, "Hours", r.Loc.F.Number(int64(hours)))
	case errors.Is(err, store.ErrNotEnrolled):
		if err := h.endConversation(ctx, r); err != nil {
			return err
		}
		return Fail("enrol.not_in", "Name", p.DisplayName, "Group", g.Name)
	case err != nil:
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	done := "enrol.done_told"
	if p.TelegramID == nil {
		done = "enrol.done_untold"
	}
	return h.replyMenu(ctx, r, r.Loc.T(done, "Name", p.DisplayName))
}

// renderEnrolNotice tells a resident he joined a class group, that his
// hours in it changed, or that he left it, with the hours in his digits.
func (h *Classes) renderEnrolNotice(_ context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	a := m.Args
	n, err := strconv.Atoi(a["hours"])
	if err != nil {
		return Outgoing{}, fmt.Errorf("handlers: enrol notice args: %w", err)
	}
	hours := loc.F.Number(int64(n))
	group := store.ParseLabelsArg(a["group_labels"]).In(loc.Tag, a["group"])
	var text string
	switch a["change"] {
	case store.EnrolIn:
		text = loc.T("enrol.notice_in", "Group", group, "Level", a["level"], "Hours", hours)
	case store.EnrolHours:
		text = loc.T("enrol.notice_hours", "Group", group, "Hours", hours)
	case store.EnrolOut:
		text = loc.T("enrol.notice_out", "Group", group)
	default:
		return Outgoing{}, fmt.Errorf("handlers: enrol notice %q", a["change"])
	}
	return Outgoing{Text: text}, nil
}

// EnrolNoticeArgs was a resident's class-group notice (a job of the old
// code; see the shims in classes.go).
type EnrolNoticeArgs struct {
	CentreID int64  `json:"centre_id"`
	PersonID int64  `json:"person_id"`
	Change   string `json:"change"` // "in", "hours" or "out"
	Group    string `json:"group"`
	Level    string `json:"level"`
	Hours    int    `json:"hours"`
}

// Kind names the job in River's table.
func (EnrolNoticeArgs) Kind() string { return "class_enrol_notice" }

// EnrolNoticeWorker is the shim of EnrolNoticeArgs.
type EnrolNoticeWorker struct {
	river.WorkerDefaults[EnrolNoticeArgs]
	h *Classes
}

// Work queues the notice as an outbox row, keyed by the job's id as the old
// code recorded it.
func (w *EnrolNoticeWorker) Work(ctx context.Context, job *river.Job[EnrolNoticeArgs]) error {
	a := job.Args
	_, err := w.h.ClassStore.Enqueue(ctx, w.h.Clock(), store.OutboxMessage{CentreID: a.CentreID, PersonID: a.PersonID,
		Kind: store.KindEnrolNotice, Key: "notice:enrol:job:" + strconv.FormatInt(job.ID, 10), MsgID: store.EnrolNoticeMessage(a.Change),
		Args: map[string]string{"change": a.Change, "group": a.Group, "level": a.Level, "hours": strconv.Itoa(a.Hours)}})
	return err
}
