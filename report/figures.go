package report

import (
	"time"

	"github.com/aurore/cairbot/store"
)

// BelowPercent is the attendance threshold: a resident is flagged when the
// hours he attended are under this share of the hours he was expected at
// so far — every registered class of his groups, from his first one to the
// end of the period, excused absences left out.
const BelowPercent = 50

// belowThreshold applies BelowPercent to one resident.
func belowThreshold(r store.ClassResidentFigures) bool {
	return r.TotalExpected > 0 && r.TotalPresent*100 < r.TotalExpected*BelowPercent
}

func attendanceReport(f store.ClassFigures) (*csvTable, chartSpec) {
	t := &csvTable{}
	t.add("Présence par groupe et par semaine")
	t.add("Semaine du", "Groupe", "Niveau", "Séances", "Présents", "Absents", "Excusés", "Taux de présence (%)")
	var weeks []string
	groups := map[string]map[string]float64{}
	var groupOrder []string
	for _, w := range f.Weeks {
		marks := w.Present + w.Absent + w.Excused
		t.add(day(w.Week), w.GroupName, w.GroupLevel, itoa(w.Sessions), itoa(w.Present), itoa(w.Absent),
			itoa(w.Excused), percent(w.Present, marks))
		wk := w.Week.Format("02/01")
		if len(weeks) == 0 || weeks[len(weeks)-1] != wk {
			weeks = append(weeks, wk)
		}
		if groups[w.GroupName] == nil {
			groups[w.GroupName] = map[string]float64{}
			groupOrder = append(groupOrder, w.GroupName)
		}
		groups[w.GroupName][wk] = ratio(w.Present, marks)
	}
	t.add()
	t.add("Heures par résident (seuil : moins de " + itoa(BelowPercent) + " % des heures attendues jusqu'ici)")
	t.add("Résident", "Chambre", "Groupes", "Heures prescrites", "Heures faites (période)", "Heures attendues (période)",
		"Heures faites (total)", "Heures attendues (total)", "Part des heures prescrites (%)", "Sous le seuil")
	for _, r := range f.Residents {
		below := "non"
		if belowThreshold(r) {
			below = "oui"
		}
		t.add(r.Name, r.Room, r.Groups, itoa(r.PrescribedHours), hours(r.PeriodPresent), hours(r.PeriodExpected),
			hours(r.TotalPresent), hours(r.TotalExpected), percent(r.TotalPresent, r.PrescribedHours*60), below)
	}
	// The ones to talk to, on their own: OFII may cancel the contract of
	// someone who does not attend.
	t.add()
	t.add("Résidents sous le seuil")
	t.add("Résident", "Chambre", "Heures faites (total)", "Heures attendues (total)", "Part des heures attendues (%)")
	for _, r := range f.Residents {
		if belowThreshold(r) {
			t.add(r.Name, r.Room, hours(r.TotalPresent), hours(r.TotalExpected), percent(r.TotalPresent, r.TotalExpected))
		}
	}
	c := chartSpec{title: "Taux de présence par semaine et par groupe (%)", yLabel: "%", categories: weeks}
	for _, g := range groupOrder {
		s := series{name: g}
		for _, wk := range weeks {
			s.values = append(s.values, groups[g][wk])
		}
		c.series = append(c.series, s)
	}
	return t, c
}

// Account is one resident's contributions over a period, in cents.
type Account struct {
	PersonID int64
	Name     string
	Room     string
	Status   string
	// Opening is what he owed when the period began (< 0: in credit), Due
	// what was charged and Paid what he paid during it (corrections on the
	// side of the entry they reverse), Closing what he owed at its end.
	Opening, Due, Paid, Closing int64
	// Arrears splits a debt at the end by the age of the charges it comes
	// from: 0–30, 31–60, 61–90 and over 90 days before the last day.
	Arrears [4]int64
}

// Accounts sums ledger entries (by resident, oldest first) into accounts.
// A debt is aged first in, first out: payments settle the oldest charges,
// so what is owed comes from the latest ones. A debt no charge explains
// (it cannot arise from the ledger's rules) counts as 0–30 days.
func Accounts(entries []store.MoneyEntryFigure, p Period, loc *time.Location) []Account {
	start := time.Date(p.From.Year(), p.From.Month(), p.From.Day(), 0, 0, 0, 0, loc)
	end := time.Date(p.To.Year(), p.To.Month(), p.To.Day(), 0, 0, 0, 0, time.UTC)
	var out []Account
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j].PersonID == entries[i].PersonID {
			j++
		}
		out = append(out, account(entries[i:j], start, end, loc))
		i = j
	}
	return out
}

func account(entries []store.MoneyEntryFigure, start, lastDay time.Time, loc *time.Location) Account {
	e0 := entries[0]
	a := Account{PersonID: e0.PersonID, Name: e0.Name, Room: e0.Room, Status: e0.Status}
	type charge struct {
		id    int64
		cents int64
		day   time.Time
	}
	var charges []charge
	index := map[int64]int{}
	for _, e := range entries {
		switch {
		case e.At.Before(start):
			a.Opening += e.Cents
		case e.Kind == store.EntryCharge:
			a.Due += e.Cents
		default:
			a.Paid -= e.Cents
		}
		if e.Kind != store.EntryCharge {
			continue
		}
		if e.Reverses == nil {
			l := e.At.In(loc)
			index[e.EntryID] = len(charges)
			charges = append(charges, charge{id: e.EntryID, cents: e.Cents, day: time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)})
		} else if k, ok := index[*e.Reverses]; ok {
			charges[k].cents += e.Cents
		}
	}
	a.Closing = a.Opening + a.Due - a.Paid
	owed := a.Closing
	for k := len(charges) - 1; k >= 0 && owed > 0; k-- {
		amt := min(owed, charges[k].cents)
		if amt <= 0 {
			continue
		}
		age := int(lastDay.Sub(charges[k].day).Hours() / 24)
		a.Arrears[ageBucket(age)] += amt
		owed -= amt
	}
	if owed > 0 {
		a.Arrears[0] += owed
	}
	return a
}

func ageBucket(days int) int {
	switch {
	case days <= 30:
		return 0
	case days <= 60:
		return 1
	case days <= 90:
		return 2
	}
	return 3
}

var statusFR = map[string]string{"active": "présent", "away": "absent", "left": "parti"}

func contributionsReport(accounts []Account, p Period) (*csvTable, chartSpec) {
	t := &csvTable{}
	t.add("Résident", "Chambre", "Statut", "Solde au début (€)", "Dû (€)", "Payé (€)", "Solde à la fin (€)",
		"Arriéré 0-30 j (€)", "Arriéré 31-60 j (€)", "Arriéré 61-90 j (€)", "Arriéré > 90 j (€)")
	var total Account
	for _, a := range accounts {
		t.add(a.Name, a.Room, statusFR[a.Status], euros(a.Opening), euros(a.Due), euros(a.Paid), euros(a.Closing),
			euros(a.Arrears[0]), euros(a.Arrears[1]), euros(a.Arrears[2]), euros(a.Arrears[3]))
		total.Opening += a.Opening
		total.Due += a.Due
		total.Paid += a.Paid
		total.Closing += a.Closing
		for k := range a.Arrears {
			total.Arrears[k] += a.Arrears[k]
		}
	}
	t.add("Total", "", "", euros(total.Opening), euros(total.Due), euros(total.Paid), euros(total.Closing),
		euros(total.Arrears[0]), euros(total.Arrears[1]), euros(total.Arrears[2]), euros(total.Arrears[3]))
	s := series{name: "Arriérés (€)"}
	for _, c := range total.Arrears {
		s.values = append(s.values, float64(c)/100)
	}
	return t, chartSpec{
		title:      "Arriérés par ancienneté au " + day(p.To) + " (€)",
		yLabel:     "€",
		categories: []string{"0-30 j", "31-60 j", "61-90 j", "> 90 j"},
		series:     []series{s},
	}
}

func choresReport(rows []store.ChoreWeekFigures) (*csvTable, chartSpec) {
	t := &csvTable{}
	t.add("Semaine du", "Zone", "Tours", "Faits", "Non faits", "À faire", "Échangés")
	type sum struct{ turns, done, missed, pending, swapped int }
	byArea := map[string]*sum{}
	var areas, weeks []string
	byWeek := map[string]*sum{}
	var all sum
	for _, r := range rows {
		t.add(day(r.Week), r.AreaName, itoa(r.Turns), itoa(r.Done), itoa(r.Missed), itoa(r.Pending), itoa(r.Swapped))
		if byArea[r.AreaName] == nil {
			byArea[r.AreaName] = &sum{}
			areas = append(areas, r.AreaName)
		}
		wk := r.Week.Format("02/01")
		if byWeek[wk] == nil {
			byWeek[wk] = &sum{}
			weeks = append(weeks, wk)
		}
		for _, s := range []*sum{byArea[r.AreaName], byWeek[wk], &all} {
			s.turns += r.Turns
			s.done += r.Done
			s.missed += r.Missed
			s.pending += r.Pending
			s.swapped += r.Swapped
		}
	}
	for _, a := range areas {
		s := byArea[a]
		t.add("Total", a, itoa(s.turns), itoa(s.done), itoa(s.missed), itoa(s.pending), itoa(s.swapped))
	}
	t.add("Total", "Toutes les zones", itoa(all.turns), itoa(all.done), itoa(all.missed), itoa(all.pending), itoa(all.swapped))
	done, missed, pending := series{name: "Faits"}, series{name: "Non faits"}, series{name: "À faire"}
	for _, wk := range weeks {
		done.values = append(done.values, float64(byWeek[wk].done))
		missed.values = append(missed.values, float64(byWeek[wk].missed))
		pending.values = append(pending.values, float64(byWeek[wk].pending))
	}
	return t, chartSpec{
		title: "Tours de ménage par semaine", yLabel: "tours", categories: weeks,
		series: []series{done, missed, pending}, stacked: true,
	}
}
