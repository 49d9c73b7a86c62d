package handlers

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Announcements is the staff's /announce, its broadcast and progress
// report, and the residents' /news.
type Announcements struct {
	Base
	Announcements AnnouncementStore
	DefaultLang   string
	// Jobs inserts the send jobs of announcements queued before the outbox.
	Jobs Jobs
	// Turns gives the progress job the staff chat's turns: its edits and
	// report wait for them, and what they show is counted once they came.
	Turns ChatTurns
}

// The /announce conversation: staff choose the audience with buttons, then
// a ready message (a template with typed parameters, rendered later in each
// reader's language) or their own text (sent as written, with optional
// versions per language), see a preview with the number of recipients and
// the rule that an announcement never names a person, a balance or an
// absence, and confirm. The preview message then becomes the progress
// message (see broadcast.go).
//
// Every button carries the draft's random key: a button from another or an
// older draft, or forged, changes nothing (ErrStaleButton).
const (
	stepAnnAudience = "announce.audience"
	stepAnnFloor    = "announce.floor"
	stepAnnLanguage = "announce.language"
	stepAnnClass    = "announce.class"
	stepAnnKind     = "announce.kind"
	stepAnnParam    = "announce.param"
	stepAnnText     = "announce.text"
	stepAnnPreview  = "announce.preview"
	stepAnnVLang    = "announce.vlang"
	stepAnnVersion  = "announce.version"
)

// AnnouncementStore is what announcements need from storage.
type AnnouncementStore interface {
	Broadcasts
	CountAudience(ctx context.Context, centreID, authorID int64, a store.Audience) (int, error)
	AudienceFloors(ctx context.Context, centreID, authorID int64) ([]store.AudienceGroup, error)
	AudienceLanguages(ctx context.Context, centreID, authorID int64) ([]store.AudienceGroup, error)
	AudienceClasses(ctx context.Context, centreID, authorID int64) ([]store.AudienceGroup, error)
	CreateAnnouncement(ctx context.Context, na store.NewAnnouncement, now time.Time) (store.Announcement, error)
	Announcement(ctx context.Context, centreID, id int64) (store.Announcement, error)
	AnnouncementOutboxID(ctx context.Context, announcementID, personID int64) (int64, error)
	NewsFor(ctx context.Context, centreID, personID int64, limit int) ([]store.NewsItem, error)
}

// Template parameters. Each is a value typed or chosen by staff and
// validated: a day, a time, a place. None can hold a name, an amount or an
// absence.
const (
	paramDate  = "date"  // "2026-12-03"
	paramTime  = "time"  // "14:30"
	paramFrom  = "from"  // "09:00"
	paramTo    = "to"    // "12:00", after from
	paramPlace = "place" // a known place id (announce.place.<id>); a typed place is kept under place_text
)

// placeText holds a place typed by staff, shown as typed.
const placeText = "place_text"

// announceTemplate is a ready message: its text is the message Text and
// its button the message Name, in every language. Params are asked in
// order; the date always comes first.
type announceTemplate struct {
	ID     string
	Name   string
	Text   string
	Params []string
}

var announceTemplates = []announceTemplate{
	{"water_cut", "announce.name.water_cut", "announce.tpl.water_cut", []string{paramDate, paramFrom, paramTo}},
	{"power_cut", "announce.name.power_cut", "announce.tpl.power_cut", []string{paramDate, paramFrom, paramTo}},
	{"fire_drill", "announce.name.fire_drill", "announce.tpl.fire_drill", []string{paramDate, paramTime}},
	{"class_cancelled", "announce.name.class_cancelled", "announce.tpl.class_cancelled", []string{paramDate, paramTime}},
	{"mail", "announce.name.mail", "announce.tpl.mail", []string{paramDate}},
	{"meeting", "announce.name.meeting", "announce.tpl.meeting", []string{paramDate, paramTime, paramPlace}},
	{"heat_wave", "announce.name.heat_wave", "announce.tpl.heat_wave", []string{paramDate}},
	{"pest_control", "announce.name.pest_control", "announce.tpl.pest_control", []string{paramDate, paramTime}},
}

// announcePlaces are the centre's common places, translated
// (announcePlaceMessages), offered as buttons for the place parameter.
var announcePlaces = []string{"common_room", "dining_room", "courtyard", "classroom", "front_desk"}

var announcePlaceMessages = map[string]string{
	"common_room": "announce.place.common_room",
	"dining_room": "announce.place.dining_room",
	"courtyard":   "announce.place.courtyard",
	"classroom":   "announce.place.classroom",
	"front_desk":  "announce.place.front_desk",
}

func templateByID(id string) (announceTemplate, bool) {
	for _, t := range announceTemplates {
		if t.ID == id {
			return t, true
		}
	}
	return announceTemplate{}, false
}

// templateVar is the name of a parameter inside the message templates.
var templateVar = map[string]string{paramDate: "Date", paramTime: "Time", paramFrom: "From", paramTo: "To", paramPlace: "Place"}

// renderTemplate renders a template in loc's language: the day with its
// weekday and times in the reader's own CLDR format, on the centre's clock.
func renderTemplate(loc *locales.Localizer, id string, params map[string]string) (string, bool) {
	t, ok := templateByID(id)
	if !ok {
		return "", false
	}
	day, err := time.ParseInLocation("2006-01-02", params[paramDate], loc.F.Location())
	if err != nil {
		return "", false
	}
	kv := make([]any, 0, 2*len(t.Params))
	for _, p := range t.Params {
		var v string
		switch p {
		case paramDate:
			v = loc.F.Date(day)
		case paramTime, paramFrom, paramTo:
			// Stored as typed-and-checked "15:04", never anything else.
			at, err := time.Parse("15:04", params[p])
			if err != nil {
				return "", false
			}
			v = loc.F.Time(time.Date(day.Year(), day.Month(), day.Day(), at.Hour(), at.Minute(), 0, 0, loc.F.Location()))
		case paramPlace:
			if id := params[paramPlace]; slices.Contains(announcePlaces, id) {
				v = loc.T(announcePlaceMessages[id])
			} else if v = params[placeText]; v == "" {
				return "", false
			}
		}
		kv = append(kv, templateVar[p], v)
	}
	return loc.T(t.Text, kv...), true
}

// AnnounceStart begins a new announcement: who should receive it?
func (h *Announcements) AnnounceStart(ctx context.Context, r *Request) error {
	data := map[string]string{"d": newDraftKey()}
	classes, err := h.Announcements.AudienceClasses(ctx, r.Person.CentreID, r.Person.ID)
	if err != nil {
		return err
	}
	if err := h.setStep(ctx, r, stepAnnAudience, data); err != nil {
		return err
	}
	d := data["d"]
	buttons := []models.InlineKeyboardButton{
		{Text: r.Loc.T("announce.btn_all"), CallbackData: annAudienceAction.Data(annValue{"all", d})},
		{Text: r.Loc.T("announce.btn_floor"), CallbackData: annAudienceAction.Data(annValue{"floor", d})},
		{Text: r.Loc.T("announce.btn_language"), CallbackData: annAudienceAction.Data(annValue{"language", d})},
	}
	if len(classes) > 0 {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("announce.btn_class"), CallbackData: annAudienceAction.Data(annValue{"class", d})})
	}
	buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("announce.btn_staff"), CallbackData: annAudienceAction.Data(annValue{"staff", d})})
	_, err = h.reply(ctx, r, r.Loc.T("announce.ask_audience"), inlineRows(buttons, 2))
	return err
}

// The buttons of the conversation: one action each, routed by its prefix
// in bot/routes.go. Every one carries the open draft's key, so a button of
// an earlier draft, or of another step, is stale.
type (
	annDraft struct{ Draft string }
	annValue struct{ Value, Draft string }
)

var (
	annCancelAction   = newAction("ann:cancel", encAnnDraft, decAnnDraft, annDraft{"k3y9Dr4f"})               // drop the draft
	annAudienceAction = newAction("ann:aud", encAnnValue, decAnnValue, annValue{"floor", "k3y9Dr4f"})         // everyone, a floor, a language, a class, staff
	annFloorAction    = newAction("ann:floor", encAnnValue, decAnnValue, annValue{"2", "k3y9Dr4f"})           // which floor
	annLanguageAction = newAction("ann:lang", encAnnValue, decAnnValue, annValue{"fa-AF", "k3y9Dr4f"})        // which language
	annClassAction    = newAction("ann:class", encAnnValue, decAnnValue, annValue{"12", "k3y9Dr4f"})          // which class group
	annTemplateAction = newAction("ann:tpl", encAnnValue, decAnnValue, annValue{"water_cut", "k3y9Dr4f"})     // a template
	annFreeAction     = newAction("ann:free", encAnnDraft, decAnnDraft, annDraft{"k3y9Dr4f"})                 // free text
	annDateAction     = newAction("ann:date", encAnnValue, decAnnValue, annValue{"20261207", "k3y9Dr4f"})     // a template's date
	annPlaceAction    = newAction("ann:place", encAnnValue, decAnnValue, annValue{"common_room", "k3y9Dr4f"}) // a template's place
	annSendAction     = newAction("ann:send", encAnnDraft, decAnnDraft, annDraft{"k3y9Dr4f"})                 // send it
	annAddAction      = newAction("ann:addv", encAnnDraft, decAnnDraft, annDraft{"k3y9Dr4f"})                 // add a language version
	annVersionAction  = newAction("ann:vlang", encAnnValue, decAnnValue, annValue{"ar", "k3y9Dr4f"})          // the version's language
)

func encAnnDraft(v annDraft) []string { return []string{v.Draft} }

func decAnnDraft(f []string) (annDraft, bool) {
	return annDraft{firstOf(f)}, len(f) == 1 && f[0] != ""
}

func encAnnValue(v annValue) []string { return []string{v.Value, v.Draft} }

func decAnnValue(f []string) (annValue, bool) {
	if len(f) != 2 || f[1] == "" {
		return annValue{}, false
	}
	return annValue{f[0], f[1]}, true
}

func firstOf(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// openDraft is the conversation's data when the button belongs to the
// open draft and its step (any step when step is "").
func (h *Announcements) openDraft(r *Request, draft, step string) (map[string]string, error) {
	if r.Conv == nil || !strings.HasPrefix(r.step(), "announce.") || (step != "" && r.step() != step) {
		return nil, ErrStaleButton
	}
	data := copyData(r.Conv)
	if data["d"] == "" || draft != data["d"] {
		return nil, ErrStaleButton
	}
	return data, nil
}

// onDraft decodes a button without value and acts on the open draft.
func (h *Announcements) onDraft(r *Request, a CallbackAction[annDraft], step string) (map[string]string, error) {
	v, err := a.Parse(r.CallbackData)
	if err != nil {
		return nil, err
	}
	return h.openDraft(r, v.Draft, step)
}

// onValue decodes a button with a value and acts on the open draft.
func (h *Announcements) onValue(r *Request, a CallbackAction[annValue], step string) (map[string]string, string, error) {
	v, err := a.Parse(r.CallbackData)
	if err != nil {
		return nil, "", err
	}
	data, err := h.openDraft(r, v.Draft, step)
	return data, v.Value, err
}

// AnnounceCancel drops the draft, at any step.
func (h *Announcements) AnnounceCancel(ctx context.Context, r *Request) error {
	if _, err := h.onDraft(r, annCancelAction, ""); err != nil {
		return err
	}
	return h.cancel(ctx, r)
}

// AnnounceAudience takes the first choice of audience.
func (h *Announcements) AnnounceAudience(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annAudienceAction, stepAnnAudience)
	if err != nil {
		return err
	}
	return h.audienceChosen(ctx, r, data, value)
}

// AnnounceFloor takes the floor chosen.
func (h *Announcements) AnnounceFloor(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annFloorAction, stepAnnFloor)
	if err != nil {
		return err
	}
	groups, err := h.Announcements.AudienceFloors(ctx, r.Person.CentreID, r.Person.ID)
	if err != nil {
		return err
	}
	return h.groupChosen(ctx, r, data, store.AudienceFloor, value, groups)
}

// AnnounceLanguage takes the language chosen.
func (h *Announcements) AnnounceLanguage(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annLanguageAction, stepAnnLanguage)
	if err != nil {
		return err
	}
	groups, err := h.Announcements.AudienceLanguages(ctx, r.Person.CentreID, r.Person.ID)
	if err != nil {
		return err
	}
	return h.groupChosen(ctx, r, data, store.AudienceLanguage, value, groups)
}

// AnnounceClass takes the class group chosen.
func (h *Announcements) AnnounceClass(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annClassAction, stepAnnClass)
	if err != nil {
		return err
	}
	groups, err := h.Announcements.AudienceClasses(ctx, r.Person.CentreID, r.Person.ID)
	if err != nil {
		return err
	}
	return h.groupChosen(ctx, r, data, store.AudienceClass, value, groups)
}

// AnnounceTemplate starts a template: its first parameter.
func (h *Announcements) AnnounceTemplate(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annTemplateAction, stepAnnKind)
	if err != nil {
		return err
	}
	if _, ok := templateByID(value); !ok {
		return ErrStaleButton
	}
	data["tpl"], data["pi"] = value, "0"
	return h.askParam(ctx, r, data)
}

// AnnounceFree asks for a free text.
func (h *Announcements) AnnounceFree(ctx context.Context, r *Request) error {
	data, err := h.onDraft(r, annFreeAction, stepAnnKind)
	if err != nil {
		return err
	}
	data["free"] = "1"
	if err := h.setStep(ctx, r, stepAnnText, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("announce.ask_text"), nil)
	return err
}

// AnnounceDate takes a template's date from its button.
func (h *Announcements) AnnounceDate(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annDateAction, stepAnnParam)
	if err != nil {
		return err
	}
	if currentParam(data) != paramDate {
		return ErrStaleButton
	}
	day, err := time.ParseInLocation("20060102", value, r.Loc.F.Location())
	if err != nil {
		return ErrStaleButton
	}
	if msg := checkDay(day, r.Now, r.Loc.F.Location()); msg != "" {
		return Fail(msg)
	}
	return h.paramAnswered(ctx, r, data, paramDate, day.Format("2006-01-02"))
}

// AnnouncePlace takes a template's place from its button.
func (h *Announcements) AnnouncePlace(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annPlaceAction, stepAnnParam)
	if err != nil {
		return err
	}
	if currentParam(data) != paramPlace || !slices.Contains(announcePlaces, value) {
		return ErrStaleButton
	}
	return h.paramAnswered(ctx, r, data, paramPlace, value)
}

// AnnounceSend sends the announcement previewed.
func (h *Announcements) AnnounceSend(ctx context.Context, r *Request) error {
	data, err := h.onDraft(r, annSendAction, stepAnnPreview)
	if err != nil {
		return err
	}
	return h.sendAnnouncement(ctx, r, data)
}

// AnnounceAddVersion asks the language of another version of a free text.
func (h *Announcements) AnnounceAddVersion(ctx context.Context, r *Request) error {
	data, err := h.onDraft(r, annAddAction, stepAnnPreview)
	if err != nil {
		return err
	}
	if data["free"] != "1" {
		return ErrStaleButton
	}
	if err := h.setStep(ctx, r, stepAnnVLang, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("announce.ask_version_language"), versionButtons(data))
	return err
}

// AnnounceVersionLanguage asks the version in the language chosen.
func (h *Announcements) AnnounceVersionLanguage(ctx context.Context, r *Request) error {
	data, value, err := h.onValue(r, annVersionAction, stepAnnVLang)
	if err != nil {
		return err
	}
	lang, ok := locales.Lookup(value)
	if !ok {
		return ErrStaleButton
	}
	data["vl"] = lang.Tag
	if err := h.setStep(ctx, r, stepAnnVersion, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T("announce.ask_version", "Language", lang.Native), nil)
	return err
}

// AnnounceStep takes what staff type: a parameter, the text, a version.
func (h *Announcements) AnnounceStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch r.step() {
	case stepAnnParam:
		p := currentParam(data)
		typed := strings.TrimSpace(locales.StripBidi(r.Text))
		switch p {
		case paramDate:
			day, msg := parseDay(typed, r.Now, r.Loc.F.Location())
			if msg != "" {
				return Fail(msg)
			}
			return h.paramAnswered(ctx, r, data, p, day.Format("2006-01-02"))
		case paramTime, paramFrom, paramTo:
			minutes, ok := locales.ParseClock(typed)
			if !ok {
				return Fail("announce.bad_time")
			}
			hh, mm := minutes/60, minutes%60
			clock := pad2(hh) + ":" + pad2(mm)
			day, _ := time.ParseInLocation("2006-01-02", data["p."+paramDate], r.Loc.F.Location())
			at := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, day.Location())
			if p == paramTo && clock <= data["p."+paramFrom] {
				fm, _ := locales.ParseClock(data["p."+paramFrom])
				from := time.Date(day.Year(), day.Month(), day.Day(), fm/60, fm%60, 0, 0, day.Location())
				return Fail("announce.bad_time_order", "From", r.Loc.F.Time(from))
			}
			// A cut may have begun already; what is announced must still
			// be ahead.
			if p != paramFrom && !at.After(r.Now) {
				return Fail("announce.time_past")
			}
			return h.paramAnswered(ctx, r, data, p, clock)
		case paramPlace:
			place, ok := cleanLine(r.Text, 60)
			if !ok {
				return Fail("announce.bad_place")
			}
			delete(data, "p."+paramPlace)
			data["p."+placeText] = place
			return h.paramAnswered(ctx, r, data, paramPlace, "")
		}
	case stepAnnText:
		text, ok := cleanText(r.Text)
		if !ok {
			return Fail("announce.bad_text", "Max", r.Loc.F.Number(store.MaxAnnouncementText))
		}
		data["text"] = text
		return h.preview(ctx, r, data)
	case stepAnnVersion:
		text, ok := cleanText(r.Text)
		if !ok {
			return Fail("announce.bad_text", "Max", r.Loc.F.Number(store.MaxAnnouncementText))
		}
		if _, ok := locales.Lookup(data["vl"]); !ok {
			return ErrStaleButton
		}
		data["v."+data["vl"]] = text
		delete(data, "vl")
		return h.preview(ctx, r, data)
	}
	// Waiting for a button: typing does not move on.
	return Fail("error.not_understood")
}

// audienceChosen takes the first choice: everyone and staff are complete,
// a floor, a language or a class asks which one.
func (h *Announcements) audienceChosen(ctx context.Context, r *Request, data map[string]string, kind string) error {
	centre, me, d := r.Person.CentreID, r.Person.ID, data["d"]
	var groups []store.AudienceGroup
	var err error
	var step, prompt string
	var action CallbackAction[annValue]
	var label func(g store.AudienceGroup) string
	switch store.AudienceKind(kind) {
	case store.AudienceAll, store.AudienceStaff:
		return h.audienceSet(ctx, r, data, store.Audience{Kind: store.AudienceKind(kind)})
	case store.AudienceFloor:
		groups, err = h.Announcements.AudienceFloors(ctx, centre, me)
		step, prompt, action = stepAnnFloor, "announce.ask_floor", annFloorAction
		label = func(g store.AudienceGroup) string {
			f, _ := strconv.ParseInt(g.Value, 10, 64)
			return r.Loc.T("announce.btn_floor_n", "Floor", r.Loc.F.Number(f), "Count", r.Loc.F.Number(int64(g.Count)))
		}
	case store.AudienceLanguage:
		groups, err = h.Announcements.AudienceLanguages(ctx, centre, me)
		step, prompt, action = stepAnnLanguage, "announce.ask_language", annLanguageAction
		label = func(g store.AudienceGroup) string {
			l, _ := locales.Lookup(g.Value)
			return "🌐 " + l.Native + " (" + r.Loc.F.Number(int64(g.Count)) + ")"
		}
	case store.AudienceClass:
		groups, err = h.Announcements.AudienceClasses(ctx, centre, me)
		step, prompt, action = stepAnnClass, "announce.ask_class", annClassAction
		label = func(g store.AudienceGroup) string {
			return r.Loc.T("announce.btn_class_n", "Class", g.Label, "Count", r.Loc.F.Number(int64(g.Count)))
		}
	default:
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	var buttons []models.InlineKeyboardButton
	for _, g := range groups {
		if kind == string(store.AudienceLanguage) {
			if _, ok := locales.Lookup(g.Value); !ok {
				continue
			}
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: label(g), CallbackData: action.Data(annValue{g.Value, d})})
	}
	if len(buttons) == 0 {
		return Fail("announce.no_recipients")
	}
	if err := h.setStep(ctx, r, step, data); err != nil {
		return err
	}
	_, err = h.reply(ctx, r, r.Loc.T(prompt), inlineRows(buttons, 2))
	return err
}

// groupChosen checks that the chosen floor, language or class is one of
// those offered now.
func (h *Announcements) groupChosen(ctx context.Context, r *Request, data map[string]string, kind store.AudienceKind, value string, groups []store.AudienceGroup) error {
	i := slices.IndexFunc(groups, func(g store.AudienceGroup) bool { return g.Value == value })
	if i < 0 {
		return ErrStaleButton
	}
	if kind == store.AudienceClass {
		data["audl"] = groups[i].Label
	}
	if kind == store.AudienceLanguage {
		if _, ok := locales.Lookup(value); !ok {
			return ErrStaleButton
		}
	}
	return h.audienceSet(ctx, r, data, store.Audience{Kind: kind, Value: value})
}

// audienceSet records the audience, if it reaches someone, and asks for
// the message.
func (h *Announcements) audienceSet(ctx context.Context, r *Request, data map[string]string, a store.Audience) error {
	n, err := h.Announcements.CountAudience(ctx, r.Person.CentreID, r.Person.ID, a)
	if err != nil {
		return err // ErrAudienceUnavailable: see errorMessages
	}
	if n == 0 {
		return Fail("announce.no_recipients")
	}
	data["aud"], data["audv"] = string(a.Kind), a.Value
	if err := h.setStep(ctx, r, stepAnnKind, data); err != nil {
		return err
	}
	d := data["d"]
	buttons := make([]models.InlineKeyboardButton, 0, len(announceTemplates)+1)
	for _, t := range announceTemplates {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T(t.Name), CallbackData: annTemplateAction.Data(annValue{t.ID, d})})
	}
	buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("announce.btn_free"), CallbackData: annFreeAction.Data(annDraft{d})})
	_, err = h.reply(ctx, r, r.Loc.T("announce.ask_kind"), inlineRows(buttons, 2))
	return err
}

// currentParam is the template parameter being asked, "" when none.
func currentParam(data map[string]string) string {
	t, ok := templateByID(data["tpl"])
	i, err := strconv.Atoi(data["pi"])
	if !ok || err != nil || i < 0 || i >= len(t.Params) {
		return ""
	}
	return t.Params[i]
}

// paramAnswered stores a parameter and asks the next one, or shows the
// preview after the last.
func (h *Announcements) paramAnswered(ctx context.Context, r *Request, data map[string]string, p, value string) error {
	if p == paramPlace && value != "" {
		delete(data, "p."+placeText)
	}
	if value != "" {
		data["p."+p] = value
	}
	i, _ := strconv.Atoi(data["pi"])
	data["pi"] = strconv.Itoa(i + 1)
	return h.askParam(ctx, r, data)
}

// askParam asks the current parameter: days and places as buttons (typing
// works too), times typed.
func (h *Announcements) askParam(ctx context.Context, r *Request, data map[string]string) error {
	p := currentParam(data)
	if p == "" {
		return h.preview(ctx, r, data)
	}
	if err := h.setStep(ctx, r, stepAnnParam, data); err != nil {
		return err
	}
	d := data["d"]
	var markup models.ReplyMarkup
	switch p {
	case paramDate:
		var buttons []models.InlineKeyboardButton
		loc := r.Loc.F.Location()
		now := r.Now.In(loc)
		for i := range 7 {
			day := time.Date(now.Year(), now.Month(), now.Day()+i, 12, 0, 0, 0, loc)
			buttons = append(buttons, models.InlineKeyboardButton{
				Text:         r.Loc.T("announce.btn_day", "Weekday", r.Loc.F.Weekday(day), "Date", r.Loc.F.DateShort(day)),
				CallbackData: annDateAction.Data(annValue{day.Format("20060102"), d}),
			})
		}
		markup = inlineRows(buttons, 2)
	case paramPlace:
		var buttons []models.InlineKeyboardButton
		for _, id := range announcePlaces {
			buttons = append(buttons, models.InlineKeyboardButton{
				Text: "📍 " + r.Loc.T(announcePlaceMessages[id]), CallbackData: annPlaceAction.Data(annValue{id, d}),
			})
		}
		markup = inlineRows(buttons, 2)
	}
	_, err := h.reply(ctx, r, r.Loc.T(announceAskMessage(p)), markup)
	return err
}

// draftAnnouncement is the announcement the conversation describes so far.
func draftAnnouncement(data map[string]string) store.Announcement {
	a := store.Announcement{
		Audience: store.Audience{Kind: store.AudienceKind(data["aud"]), Value: data["audv"]},
		Template: data["tpl"],
		Params:   map[string]string{},
	}
	if data["free"] == "1" {
		a.Template = ""
		a.Body = data["text"]
	}
	for k, v := range data {
		switch {
		case strings.HasPrefix(k, "p.") && a.Template != "":
			a.Params[strings.TrimPrefix(k, "p.")] = v
		case strings.HasPrefix(k, "v.") && a.Template == "":
			if a.Versions == nil {
				a.Versions = map[string]string{}
			}
			a.Versions[strings.TrimPrefix(k, "v.")] = v
		}
	}
	return a
}

// audienceLabel names an audience in the staff member's language; label
// is a class group's name.
func audienceLabel(loc *locales.Localizer, a store.Audience, label string) string {
	switch a.Kind {
	case store.AudienceFloor:
		f, _ := strconv.ParseInt(a.Value, 10, 64)
		return loc.T("announce.aud_floor", "Floor", loc.F.Number(f))
	case store.AudienceLanguage:
		l, _ := locales.Lookup(a.Value)
		return loc.T("announce.aud_language", "Language", l.Native)
	case store.AudienceClass:
		return loc.T("announce.aud_class", "Class", label)
	case store.AudienceStaff:
		return loc.T("announce.aud_staff")
	}
	return loc.T("announce.aud_all")
}

// previewText is the preview: audience and count, the message as the staff
// member's language renders it, the versions of a free text, and the rule.
func previewText(loc *locales.Localizer, a store.Announcement, audience string, count int) string {
	text, _ := RenderAnnouncement(loc, a)
	parts := []string{loc.N("announce.preview", count, "Audience", audience, "Message", text)}
	if a.Template == "" {
		var names []string
		for _, l := range locales.Languages {
			if _, ok := a.Versions[l.Tag]; ok {
				names = append(names, l.Native)
			}
		}
		if len(names) > 0 {
			parts = append(parts, loc.T("announce.versions", "Languages", strings.Join(names, ", ")))
		} else {
			parts = append(parts, loc.T("announce.no_versions"))
		}
	}
	parts = append(parts, loc.T("announce.rule"), loc.T("announce.confirm"))
	return strings.Join(parts, "\n\n")
}

// preview shows what will be sent, to how many people, and asks to
// confirm.
func (h *Announcements) preview(ctx context.Context, r *Request, data map[string]string) error {
	a := draftAnnouncement(data)
	n, err := h.Announcements.CountAudience(ctx, r.Person.CentreID, r.Person.ID, a.Audience)
	if err != nil {
		return err // ErrAudienceUnavailable: see errorMessages
	}
	if n == 0 {
		return Fail("announce.no_recipients")
	}
	if _, ok := RenderAnnouncement(r.Loc, a); !ok {
		return ErrStaleButton
	}
	if err := h.setStep(ctx, r, stepAnnPreview, data); err != nil {
		return err
	}
	d := data["d"]
	buttons := []models.InlineKeyboardButton{{Text: r.Loc.T("announce.btn_send"), CallbackData: annSendAction.Data(annDraft{d})}}
	if a.Template == "" {
		buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("announce.btn_add_version"), CallbackData: annAddAction.Data(annDraft{d})})
	}
	buttons = append(buttons, models.InlineKeyboardButton{Text: r.Loc.T("button.cancel"), CallbackData: annCancelAction.Data(annDraft{d})})
	_, err = h.reply(ctx, r, previewText(r.Loc, a, audienceLabel(r.Loc, a.Audience, data["audl"]), n), inlineRows(buttons, 1))
	return err
}

// versionButtons offers every language, the ones already written marked.
func versionButtons(data map[string]string) *models.InlineKeyboardMarkup {
	var buttons []models.InlineKeyboardButton
	for _, l := range locales.Languages {
		label := "🌐 " + l.Native
		if _, ok := data["v."+l.Tag]; ok {
			label = "✅ " + l.Native
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: label, CallbackData: annVersionAction.Data(annValue{l.Tag, data["d"]})})
	}
	return inlineRows(buttons, 2)
}

// sendAnnouncement creates the announcement with its outbox messages and
// its progress job.
func (h *Announcements) sendAnnouncement(ctx context.Context, r *Request, data map[string]string) error {
	a := draftAnnouncement(data)
	na := store.NewAnnouncement{
		CentreID: r.Person.CentreID, AuthorID: r.Person.ID, DraftKey: data["d"], Audience: a.Audience,
		Template: a.Template, Params: a.Params, Body: a.Body, Versions: a.Versions,
		ProgressChatID: r.ChatID, ProgressMessageID: r.MessageID,
	}
	if a.Template == "" {
		na.Params = nil
	}
	ann, err := h.Announcements.CreateAnnouncement(ctx, na, r.Now)
	if err != nil {
		return err // ErrNoRecipients, ErrAlreadySent…: see errorMessages
	}
	// The preview becomes the progress message on the progress job's first
	// run, within a moment: only that job edits it, so the edits never
	// overtake one another.
	h.Log.DebugContext(ctx, "announcement created", "announcement", ann.ID, "recipients", ann.Recipients)
	return h.endConversation(ctx, r)
}

// newsShown is how many announcements /news lists, newest first.
const newsShown = 5

// News shows a person the latest announcements he received, each rendered
// in his language now.
func (h *Announcements) News(ctx context.Context, r *Request) error {
	items, err := h.Announcements.NewsFor(ctx, r.Person.CentreID, r.Person.ID, newsShown)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return h.replyMenu(ctx, r, r.Loc.T("announce.news_empty"))
	}
	var b strings.Builder
	b.WriteString(r.Loc.T("announce.news_title"))
	for _, it := range items {
		text, ok := RenderAnnouncement(r.Loc, it.Announcement)
		if !ok {
			continue
		}
		item := r.Loc.T("announce.news_item", "Date", r.Loc.F.Date(it.SentAt), "Text", text)
		// Telegram's limit is 4096 characters: older items give way.
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(item)+2 > 4000 {
			break
		}
		b.WriteString("\n\n" + item)
	}
	return h.replyMenu(ctx, r, b.String())
}

// parseDay reads a day typed day first ("3/12", "03.12.2026", "3-12-26")
// or ISO ("2026-12-03"). Without a year it is the next such day from today.
// It returns the message id of the problem, "" when the day is good.
func parseDay(s string, now time.Time, loc *time.Location) (time.Time, string) {
	day, ok := locales.ParseNextDate(s, startOfDay(now.In(loc)))
	if !ok {
		return time.Time{}, "announce.bad_date"
	}
	if msg := checkDay(day, now, loc); msg != "" {
		return time.Time{}, msg
	}
	return day, ""
}

// checkDay accepts a day from today to one year ahead.
func checkDay(day, now time.Time, loc *time.Location) string {
	today := startOfDay(now.In(loc))
	day = startOfDay(day.In(loc))
	switch {
	case day.Before(today):
		return "announce.date_past"
	case day.After(today.AddDate(1, 0, 0)):
		return "announce.date_far"
	}
	return ""
}

func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// cleanLine is one line of 1 to max printable characters, spaces
// collapsed.
func cleanLine(s string, max int) (string, bool) {
	s = strings.Join(strings.Fields(locales.StripBidi(s)), " ")
	if s == "" || utf8.RuneCountInString(s) > max {
		return "", false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return "", false
		}
	}
	return s, true
}

// cleanText is a free text as written (line breaks kept, outer spaces
// trimmed), 1 to store.MaxAnnouncementText characters.
func cleanText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > store.MaxAnnouncementText {
		return "", false
	}
	return s, true
}

// draftAlphabet makes draft keys short enough for a button's 64 bytes.
const draftAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newDraftKey is a random key naming one announcement draft.
func newDraftKey() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = draftAlphabet[int(b[i])%len(draftAlphabet)]
	}
	return string(b[:])
}
