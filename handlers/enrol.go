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

	pid := classID36(p.ID)
	var rows [][]models.InlineKeyboardButton
	var shown, left []string
	for _, g := range groups[:min(len(groups), enrolMaxGroups)] {
		mark := "📚 "
		if in[g.ID] {
			mark = "✅ "
		}
		shown = append(shown, classID36(g.ID))
		rows = append(rows, []models.InlineKeyboardButton{{Text: mark + enrolGroupLabel(g),
			CallbackData: cb("resident", "g", pid, classID36(g.ID))}})
	}
	for _, e := range mine {
		left = append(left, classID36(e.Group.ID))
		rows = append(rows, []models.InlineKeyboardButton{{Text: "➖ " + enrolGroupLabel(e.Group),
			CallbackData: cb("resident", "x", pid, classID36(e.Group.ID))}})
	}
	rows = append(rows, []models.InlineKeyboardButton{{Text: r.Loc.T("button.cancel"), CallbackData: cb("resident", "no")}})
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

// enrolButton takes the buttons of the class-group steps:
// resident:g|x:<resident>:<group> (join or change hours, leave) and
// resident:h:<resident>:<group>:<hours>.
func (h *Classes) enrolButton(ctx context.Context, r *Request, data map[string]string, statuses []string) error {
	if r.CallbackData == "resident:no" {
		return h.cancel(ctx, r)
	}
	parts := strings.Split(r.CallbackData, ":")
	pid, err := strconv.ParseInt(data["pid"], 10, 64)
	if err != nil || pid <= 0 || len(parts) < 4 || parts[2] != classID36(pid) {
		return ErrStaleButton
	}
	verb, group := parts[1], parts[3]
	switch {
	case r.step() == stepEnrolGroup && len(parts) == 4 && verb == "g" && enrolListed(data["gids"], group):
		p, g, hours, err := h.enrolTarget(ctx, r, data, statuses, group)
		if err != nil {
			return err
		}
		data["g"] = group
		return h.enrolAskHours(ctx, r, data, p, g, hours)
	case r.step() == stepEnrolGroup && len(parts) == 4 && verb == "x" && enrolListed(data["mine"], group):
		data["g"], data["do"] = group, enrolOut
		return h.enrolConfirm(ctx, r, data, statuses)
	case r.step() == stepEnrolHours && len(parts) == 5 && verb == "h" && group == data["g"]:
		hours, err := strconv.Atoi(parts[4])
		if err != nil || !slices.Contains(store.PrescribedHours, hours) || strconv.Itoa(hours) != parts[4] {
			return ErrStaleButton
		}
		data["hours"], data["do"] = parts[4], enrolIn
		return h.enrolConfirm(ctx, r, data, statuses)
	}
	return ErrStaleButton
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
	pid, gid := classID36(p.ID), classID36(g.ID)
	var buttons []models.InlineKeyboardButton
	for _, n := range store.PrescribedHours {
		if n == current {
			continue
		}
		buttons = append(buttons, models.InlineKeyboardButton{
			Text:         r.Loc.T("enrol.hours_button", "Hours", r.Loc.F.Number(int64(n))),
			CallbackData: cb("resident", "h", pid, gid, strconv.Itoa(n)),
		})
	}
	kb := inlineRows(buttons, 2)
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: r.Loc.T("button.cancel"), CallbackData: cb("resident", "no")}})
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
	_, err = h.reply(ctx, r, r.Loc.T(id, kv...), confirmButtons(r.Loc, "resident"))
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
