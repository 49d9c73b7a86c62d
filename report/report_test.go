package report_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/report"
	"github.com/aurore/cairbot/report/reporttest"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

var paris, _ = time.LoadLocation("Europe/Paris")

func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, paris)
	if err != nil {
		panic(err)
	}
	return d
}

// TestBuild checks every figure of the three reports of October 2026
// against the history reporttest.Seed writes, worked out by hand (see the
// comments), and that each chart is a PNG of the announced size.
func TestBuild(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.EnsureCentre(ctx, "test-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	// Another centre's figures never show.
	other, err := st.EnsureCentre(ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	if err := reporttest.Seed(ctx, st.Pool(), c.ID); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.Seed(ctx, st.Pool(), other.ID); err != nil {
		t.Fatal(err)
	}
	october := report.Period{From: day("2026-10-01"), To: day("2026-10-31")}
	cases := []struct {
		kind report.Kind
		name string
		want []string
	}{
		{report.Attendance, "cours-de-francais_2026-10-01_2026-10-31", []string{
			"Présence par groupe et par semaine",
			"Semaine du;Groupe;Niveau;Séances;Présents;Absents;Excusés;Taux de présence (%)",
			// week of 05/10: A1 Ahmad present, Bilal absent; Alpha Chérif present
			"05/10/2026;A1 matin;A1;1;1;1;0;50,0",
			"05/10/2026;Alpha;alpha;1;1;0;0;100,0",
			// week of 12/10: A1 Ahmad present, Bilal excused; Alpha Chérif absent
			"12/10/2026;A1 matin;A1;1;1;0;1;50,0",
			"12/10/2026;Alpha;alpha;1;0;1;0;0,0",
			"",
			"Heures par résident (seuil : moins de 50 % des heures attendues jusqu'ici)",
			"Résident;Chambre;Groupes;Heures prescrites;Heures faites (période);Heures attendues (période);Heures faites (total);Heures attendues (total);Part des heures prescrites (%);Sous le seuil",
			// 2 × 3 h in October, 3 × 3 h since September; 540 min of 200 h = 4,5 %
			"Ahmad K.;101;A1 matin;200;6,00;6,00;9,00;9,00;4,5;non",
			// absent 05/10 (3 h expected), excused 12/10 (not expected); 0 of 6 h in all
			"Bilal S.;102;A1 matin;100;0,00;3,00;0,00;6,00;0,0;oui",
			// 2 h of 4 h: exactly 50 %, not under; 120 min of 600 h = 0,3 %
			"Chérif D.;103;Alpha;600;2,00;4,00;2,00;4,00;0,3;non",
			"",
			"Résidents sous le seuil",
			"Résident;Chambre;Heures faites (total);Heures attendues (total);Part des heures attendues (%)",
			"Bilal S.;102;0,00;6,00;0,0",
		}},
		{report.Contributions, "participations_2026-10-01_2026-10-31", []string{
			"Résident;Chambre;Statut;Solde au début (€);Dû (€);Payé (€);Solde à la fin (€);Arriéré 0-30 j (€);Arriéré 31-60 j (€);Arriéré 61-90 j (€);Arriéré > 90 j (€)",
			// 3 × 150 − 150 before October; +150 −50 in it = 400 owed: the
			// charges of 01/10 (30 days), 01/09 (60 days) and 100 of 01/08 (91 days)
			"Ahmad K.;101;présent;300,00;150,00;50,00;400,00;150,00;150,00;0,00;100,00",
			// 100 charged (the mistaken 50 and its correction cancel out), 120 paid
			"Bilal S.;102;présent;0,00;100,00;120,00;-20,00;0,00;0,00;0,00;0,00",
			// 80 charged on 15/09 (46 days), paid only in November
			"Chérif D.;103;présent;80,00;0,00;0,00;80,00;0,00;80,00;0,00;0,00",
			"Total;;;380,00;250,00;170,00;460,00;150,00;230,00;0,00;100,00",
		}},
		{report.Chores, "menage_2026-10-01_2026-10-31", []string{
			"Semaine du;Zone;Tours;Faits;Non faits;À faire;Échangés",
			// 01/10 is in the week of 28/09; 30/09 is before October
			"28/09/2026;Douches;1;1;0;0;0",
			// 05/10 done, 06/10 missed, 07/10 done after an approved swap
			"05/10/2026;Cuisine 1er;3;2;1;0;1",
			"05/10/2026;Douches;1;1;0;0;0",
			// 12/10 not marked, 13/10 missed (its swap was refused)
			"12/10/2026;Cuisine 1er;2;0;1;1;0",
			"Total;Douches;2;2;0;0;0",
			"Total;Cuisine 1er;5;2;2;1;1",
			"Total;Toutes les zones;7;4;2;1;1",
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			out, err := report.Build(ctx, st, c.ID, tc.kind, october, paris)
			if err != nil {
				t.Fatal(err)
			}
			if out.CSVName != tc.name+".csv" || out.PNGName != tc.name+".png" {
				t.Errorf("names = %q %q", out.CSVName, out.PNGName)
			}
			want := "\uFEFF" + strings.Join(tc.want, "\r\n") + "\r\n"
			if string(out.CSV) != want {
				t.Errorf("CSV:\n%s\nwant:\n%s", out.CSV, want)
			}
			img, err := png.Decode(bytes.NewReader(out.PNG))
			if err != nil {
				t.Fatalf("PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 600 {
				t.Errorf("PNG size = %v, want 1000×600", b)
			}
		})
	}
}

// TestBuildEmpty: a period with nothing in it still gives the headers, the
// totals and a chart.
func TestBuildEmpty(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.EnsureCentre(ctx, "test-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	out, err := report.Build(ctx, st, c.ID, report.Chores, report.Period{From: day("2026-10-01"), To: day("2026-10-31")}, paris)
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFSemaine du;Zone;Tours;Faits;Non faits;À faire;Échangés\r\nTotal;Toutes les zones;0;0;0;0;0\r\n"
	if string(out.CSV) != want {
		t.Errorf("CSV = %q", out.CSV)
	}
	if _, err := png.Decode(bytes.NewReader(out.PNG)); err != nil {
		t.Errorf("PNG: %v", err)
	}
}

func TestPeriods(t *testing.T) {
	now := time.Date(2027, 3, 28, 1, 30, 0, 0, paris) // the night the clocks change
	if p := report.ThisMonth(now, paris); !p.From.Equal(day("2027-03-01")) || !p.To.Equal(day("2027-03-28")) {
		t.Errorf("this month = %v – %v", p.From, p.To)
	}
	if p := report.LastMonth(now, paris); !p.From.Equal(day("2027-02-01")) || !p.To.Equal(day("2027-02-28")) {
		t.Errorf("last month = %v – %v", p.From, p.To)
	}
	jan := time.Date(2027, 1, 5, 10, 0, 0, 0, paris)
	if p := report.LastMonth(jan, paris); !p.From.Equal(day("2026-12-01")) || !p.To.Equal(day("2026-12-31")) {
		t.Errorf("last month in January = %v – %v", p.From, p.To)
	}
	for _, tc := range []struct {
		from, to string
		err      error
		days     int
	}{
		{"2026-10-01", "2026-10-31", nil, 31},
		{"2026-10-01", "2026-10-01", nil, 1},
		{"2026-03-29", "2026-03-29", nil, 1},
		{"2026-10-31", "2026-10-01", report.ErrPeriodOrder, 0},
		{"2026-01-01", "2026-12-31", nil, 365},
		{"2026-01-01", "2027-01-02", report.ErrPeriodTooLong, 0},
	} {
		p, err := report.NewPeriod(day(tc.from), day(tc.to))
		if !errors.Is(err, tc.err) {
			t.Errorf("%s – %s: err = %v, want %v", tc.from, tc.to, err, tc.err)
		}
		if tc.err == nil && p.Days() != tc.days {
			t.Errorf("%s – %s: %d days, want %d", tc.from, tc.to, p.Days(), tc.days)
		}
	}
}
