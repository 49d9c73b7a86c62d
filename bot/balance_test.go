package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// balFirst moves the bot's clock to 09:00 in Paris on the 1st of a month,
// when the month's charges are posted: the first after the test begins of
// a month of 31 days after one of 30 (December after November), so that
// the amounts pro rata are those written in the tests.
func balFirst(h *harness) time.Time {
	h.t.Helper()
	p := paris(h.begin)
	for m := p.Month() + 1; ; m++ {
		first := time.Date(p.Year(), m, 1, 9, 0, 0, 0, storetest.Paris)
		if first.AddDate(0, 1, -1).Day() == 31 && first.AddDate(0, 0, -1).Day() == 30 {
			h.setClock(first)
			return first
		}
	}
}

// balReceipt is the first receipt number of at's year: "R-2026-000001".
func balReceipt(at time.Time) string { return balReceiptN(at, 1) }

// balReceiptN is the receipt number n of at's year: "R-2026-000002".
func balReceiptN(at time.Time, n int) string { return fmt.Sprintf("R-%d-%06d", paris(at).Year(), n) }

// balMonth is at's month as the statements' keys and jobs write it:
// "2026-12".
func balMonth(at time.Time) string { return paris(at).Format("2006-01") }

func balCentre(h *harness) store.Centre {
	h.t.Helper()
	c, err := h.st.CentreBySlug(context.Background(), h.cfg.Centre)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// balStore is a store on the harness's database that queues outbox jobs
// on the bot's job queue, as `cairbot payment add` does: what it queues the
// running bot sends.
func balStore(h *harness) *store.Store {
	h.t.Helper()
	st := store.New(h.pool)
	st.UseOutboxScheduler(bot.NewOutboxScheduler(h.app.Jobs()))
	return st
}

func balContribution(h *harness, p store.Person, basis string, cents int64) {
	h.t.Helper()
	err := h.st.SetContribution(context.Background(), store.Contribution{CentreID: p.CentreID, PersonID: p.ID, Basis: basis, Cents: cents}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
}

func balArrived(h *harness, p store.Person, day time.Time) {
	h.t.Helper()
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET arrived_on = $2 WHERE id = $1`,
		p.ID, storetest.Date(day)); err != nil {
		h.t.Fatal(err)
	}
}

// balRunCharges queues the monthly job (as the 1st-of-month schedule does)
// and waits until it has been worked. (The schedule itself may run it too
// at 09:00 on the 1st: it posts nothing more.)
func balRunCharges(h *harness) {
	h.t.Helper()
	res, err := h.app.Jobs().Insert(context.Background(), handlers.MonthlyChargesArgs{}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tg.WaitFor(h.t, 15*time.Second, "monthly charges worked", func() bool {
		return h.jobDone(res.Job.ID)
	})
}

// TestBalanceInFrenchAndDari: the monthly job posts the charges (the month
// of arrival pro rata), the resident gets his statement, a payment at the
// desk his receipt, and /balance shows due, paid, balance, last entries and
// next due date, written his language's way (CLDR money and dates, Dari
// right to left with isolated values and Persian digits).
func TestBalanceInFrenchAndDari(t *testing.T) {
	t.Parallel()
	// first is the 1st of the month charged (December, say), 09:00.
	tests := []struct {
		lang      string
		user      int64
		statement func(first time.Time) string
		receipt   func(first time.Time) string
		balance   func(first time.Time) string
	}{
		{
			lang: "fr",
			user: 31001,
			statement: func(first time.Time) string {
				return "📅 Votre participation de " + frMonths[paris(first).Month()-1] + " est de 45,00\u00a0€.\n" +
					"🔴 Il vous reste 67,50\u00a0€ à payer.\nPour voir le détail, envoyez /balance."
			},
			receipt: func(first time.Time) string {
				return "🧾 Reçu " + balReceipt(first) + "\nLe centre a reçu 50,00\u00a0€ de votre part le " + frDate(first) + ". Merci !\n" +
					"🔴 Il vous reste 17,50\u00a0€ à payer."
			},
			balance: func(first time.Time) string {
				day, month, before := numDate(first), frMonths[paris(first).Month()-1], frMonths[paris(first).AddDate(0, -1, 0).Month()-1]
				return "💶 Votre participation\nChaque mois : 45,00\u00a0€\nDû jusqu'ici : 67,50\u00a0€\nPayé jusqu'ici : 50,00\u00a0€\n" +
					"🔴 Il vous reste 17,50\u00a0€ à payer.\n\n🧾 Dernières opérations :\n" +
					day + " — paiement, reçu " + balReceipt(first) + " : 50,00\u00a0€\n" +
					day + " — participation de " + month + " : 45,00\u00a0€\n" +
					day + " — participation de " + before + " : 22,50\u00a0€\n\n" +
					"📅 Prochaine participation : 45,00\u00a0€, le " + frDate(first.AddDate(0, 1, 0)) + ".\n" +
					"Vous payez à l'accueil. Vous recevez un reçu ici à chaque fois."
			},
		},
		{
			lang: "fa-AF",
			user: 31002,
			statement: func(first time.Time) string {
				return "📅 سهم شما برای ماه \u2068" + faMonths[paris(first).Month()-1] + "\u2069: \u2068€\u00a0۴۵٫۰۰\u2069.\n" +
					"🔴 شما هنوز باید \u2068€\u00a0۶۷٫۵۰\u2069 بپردازید.\nبرای دیدن جزئیات، /balance را بفرستید."
			},
			receipt: func(first time.Time) string {
				return "🧾 رسید \u2068" + balReceipt(first) + "\u2069\n" +
					"مرکز مبلغ \u2068€\u00a0۵۰٫۰۰\u2069 را در تاریخ \u2068" + faDate(first) + "\u2069 از شما گرفت. تشکر!\n" +
					"🔴 شما هنوز باید \u2068€\u00a0۱۷٫۵۰\u2069 بپردازید."
			},
			balance: func(first time.Time) string {
				day, month, before := faDateShort(first), faMonths[paris(first).Month()-1], faMonths[paris(first).AddDate(0, -1, 0).Month()-1]
				return "💶 سهم ماهوار شما\nهر ماه: \u2068€\u00a0۴۵٫۰۰\u2069\nقابل پرداخت تا حالا: \u2068€\u00a0۶۷٫۵۰\u2069\n" +
					"پرداخت شده تا حالا: \u2068€\u00a0۵۰٫۰۰\u2069\n🔴 شما هنوز باید \u2068€\u00a0۱۷٫۵۰\u2069 بپردازید.\n\n" +
					"🧾 آخرین ثبت\u200cها:\n" +
					"\u2068" + day + "\u2069 — پرداخت، رسید \u2068" + balReceipt(first) + "\u2069: \u2068€\u00a0۵۰٫۰۰\u2069\n" +
					"\u2068" + day + "\u2069 — سهم ماه \u2068" + month + "\u2069: \u2068€\u00a0۴۵٫۰۰\u2069\n" +
					"\u2068" + day + "\u2069 — سهم ماه \u2068" + before + "\u2069: \u2068€\u00a0۲۲٫۵۰\u2069\n\n" +
					"📅 سهم بعدی: \u2068€\u00a0۴۵٫۰۰\u2069، در تاریخ \u2068" + faDate(first.AddDate(0, 1, 0)) + "\u2069.\n" +
					"پرداخت در دفتر مرکز انجام می\u200cشود. هر بار یک رسید همین\u200cجا می\u200cگیرید."
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			u := telegramtest.User{ID: tt.user, LanguageCode: tt.lang}
			p, n := h.signUp(u, store.RoleResident, "Ahmad K.", tt.lang)
			balContribution(h, p, store.BasisFixed, 4500)
			// Arrived on the 16th of the month before (November, of 30
			// days), registered after that month's run: this month's run
			// charges 15 of its 30 days too.
			first := balFirst(h)
			balArrived(h, p, first.AddDate(0, -1, 15))
			balRunCharges(h)
			if got, want := h.waitText(u, n+1).Text, tt.statement(first); got != want {
				t.Fatalf("statement = %q\nwant       %q", got, want)
			}
			h.clock.Advance(time.Hour)
			// Paid at the desk, recorded as `cairbot payment add` does.
			if _, err := balStore(h).RecordPayment(context.Background(), store.NewPayment{
				CentreID: p.CentreID, PersonID: p.ID, Cents: 5000, At: h.clock.Now().In(h.cfg.Location)}); err != nil {
				t.Fatal(err)
			}
			if got, want := h.waitText(u, n+2).Text, tt.receipt(first); got != want {
				t.Fatalf("receipt = %q\nwant     %q", got, want)
			}
			h.tg.SendText(u, h.loc(tt.lang).T("menu.balance"))
			got := h.waitText(u, n+3)
			balance := tt.balance(first)
			if got.Text != balance {
				t.Fatalf("/balance = %q\nwant      %q", got.Text, balance)
			}
			if len(got.ReplyKeyboard) == 0 {
				t.Fatal("/balance came without the main menu")
			}
			h.tg.SendText(u, "/balance")
			if again := h.waitText(u, n+4).Text; again != balance {
				t.Fatalf("/balance command = %q", again)
			}
		})
	}
}

// TestPaymentByStaffAndReceiptInArabic: staff find the resident by typing
// part of his name, pick him from buttons, type the amount (bad amounts are
// refused and change nothing), confirm; the resident at once gets his
// numbered receipt in Arabic.
func TestPaymentByStaffAndReceiptInArabic(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	staffU := telegramtest.User{ID: 32001, LanguageCode: "fr"}
	staff, n := h.signUp(staffU, store.RoleStaff, "Claire D.", "fr")
	omarU := telegramtest.User{ID: 32002, LanguageCode: "ar"}
	omar, m := h.signUp(omarU, store.RoleResident, "Omar Hassan", "ar")
	other, _ := h.addPerson(store.RoleResident, "Omar Farouk", "301", "so")
	balContribution(h, omar, store.BasisFixed, 4500)
	first := balFirst(h)
	if _, err := balStore(h).PostMonthlyCharges(ctx, h.clock.Now(), h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	m++
	h.waitText(omarU, m) // the month's statement

	h.tg.SendText(staffU, "🧾 Paiement")
	if got := h.waitText(staffU, n+1).Text; got != "💶 Nouveau paiement. Qui a payé ? Écrivez son nom ou son numéro de chambre." {
		t.Fatalf("payment → %q", got)
	}
	h.tg.SendText(staffU, "nobody")
	if got := h.waitText(staffU, n+2).Text; got != "🔍 Aucun résident trouvé pour « nobody ». Écrivez un autre nom ou un numéro de chambre." {
		t.Fatalf("unknown name → %q", got)
	}
	h.tg.SendText(staffU, "omar")
	pick := h.waitText(staffU, n+3)
	if pick.Text != "👇 Choisissez le résident :" || len(pick.InlineKeyboard) != 2 ||
		pick.InlineKeyboard[0][0].Text != "👤 Omar Farouk · 301" || pick.InlineKeyboard[1][0].Text != "👤 Omar Hassan · 214" {
		t.Fatalf("pick = %q %+v", pick.Text, pick.InlineKeyboard)
	}
	_ = other
	h.tg.PressButton(staffU, pick.ID, pick.InlineKeyboard[1][0].CallbackData)
	if got := h.waitText(staffU, n+4).Text; got != "💶 Combien Omar Hassan (chambre 214) a-t-il payé ? Écrivez le montant, par exemple 12,50\u00a0€" {
		t.Fatalf("ask amount = %q", got)
	}
	bad := []struct{ typed, want string }{
		{"douze", "❌ Je ne peux pas lire ce montant. Écrivez-le comme ceci : 12,50\u00a0€"},
		{"0", "❌ Le montant doit être plus grand que zéro. Écrivez-le à nouveau."},
		{"-12,50", "❌ Le montant ne peut pas être négatif. Écrivez-le sans le signe moins."},
		{"12 000", "❌ Ce montant est trop grand : 10\u202f000,00\u00a0€ au plus. Vérifiez-le et écrivez-le à nouveau."},
	}
	for i, b := range bad {
		h.tg.SendText(staffU, b.typed)
		if got := h.waitText(staffU, n+5+i).Text; got != b.want {
			t.Fatalf("%q → %q, want %q", b.typed, got, b.want)
		}
	}
	if c := h.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment'`); c != 0 {
		t.Fatalf("a bad amount wrote %d payments", c)
	}
	h.tg.SendText(staffU, "12,50 €")
	confirm := h.waitText(staffU, n+9)
	if confirm.Text != "Vérifiez :\nRésident : Omar Hassan (chambre 214)\nMontant : 12,50\u00a0€\nEnregistrer ce paiement ?" ||
		len(confirm.InlineKeyboard) != 1 || confirm.InlineKeyboard[0][0].CallbackData != "pay:ok" {
		t.Fatalf("confirm = %q %+v", confirm.Text, confirm.InlineKeyboard)
	}
	if c := h.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment'`); c != 0 {
		t.Fatal("payment written before confirmation")
	}
	h.tg.PressButton(staffU, confirm.ID, "pay:ok")
	done := h.waitText(staffU, n+10)
	if done.Text != "✅ Paiement enregistré : 12,50\u00a0€ de Omar Hassan (chambre 214).\nNuméro de reçu : "+balReceipt(first)+". Il reçoit maintenant le reçu dans sa langue." {
		t.Fatalf("done = %q", done.Text)
	}
	receipt := h.waitText(omarU, m+1).Text
	want := "🧾 إيصال \u2068" + balReceipt(first) + "\u2069\nاستلم المركز منك \u206812,50\u00a0€\u2069 يوم \u2068" + arDate(first) + "\u2069. شكرًا!\n" +
		"🔴 ما زال عليك دفع \u206832,50\u00a0€\u2069."
	if receipt != want {
		t.Fatalf("receipt = %q\nwant      %q", receipt, want)
	}
	// The confirm button pressed again is stale: one payment, one receipt.
	h.tg.PressButton(staffU, confirm.ID, "pay:ok")
	if got := h.waitText(staffU, n+11).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("second press → %q", got)
	}
	h.quiet(omarU, m+1)
	if c := h.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment' AND person_id = $1 AND cents = -1250
		AND receipt_no = $3 AND created_by = $2`, omar.ID, staff.ID, balReceipt(first)); c != 1 {
		t.Fatalf("payments = %d", c)
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'payment.record' AND actor_id = $1 AND subject_id = $2`, staff.ID, omar.ID); c != 1 {
		t.Fatalf("audit entries = %d", c)
	}
	if c := h.count(`SELECT count(*) FROM outbox WHERE kind = 'receipt' AND person_id = $1`, omar.ID); c != 1 {
		t.Fatalf("receipts queued = %d", c)
	}
	if c := h.count(`SELECT count(*) FROM outbox WHERE dedupe_key = $2 AND person_id = $1
		AND state = 'sent' AND telegram_message_id IS NOT NULL`, omar.ID, "receipt:"+balReceipt(first)); c != 1 {
		t.Fatal("receipt not marked sent")
	}
}

// TestResidentIsRefusedPaymentAndArrears: staff tools are refused to a
// resident whatever way he tries, and nothing is written.
func TestResidentIsRefusedPaymentAndArrears(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 33001, LanguageCode: "fa"}
	_, n := h.signUp(u, store.RoleResident, "Ahmad K.", "fa-AF")
	for i, text := range []string{"/payment", "/arrears", "🧾 پرداخت", "/leave"} {
		h.tg.SendText(u, text)
		if got := h.waitText(u, n+1+i).Text; got != "⛔ ببخشید، این فقط برای کارمندان مرکز است." {
			t.Fatalf("%q → %q", text, got)
		}
	}
	upd := h.tg.PressButton(u, h.waitText(u, n).ID, "pay:ok")
	h.tg.WaitFor(t, 5*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
	if text, _ := h.tg.CallbackAnswer(upd); text != "⛔ ببخشید، این فقط برای کارمندان مرکز است." {
		t.Fatalf("forged payment button → %q", text)
	}
	if c := h.count(`SELECT count(*) FROM ledger_entries`); c != 0 {
		t.Fatalf("ledger rows = %d", c)
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'payment.%'`); c != 0 {
		t.Fatalf("audit rows = %d", c)
	}
	// His own balance he may see.
	h.tg.SendText(u, "/balance")
	if got := h.waitText(u, n+5).Text; got == "⛔ ببخشید، این فقط برای کارمندان مرکز است." {
		t.Fatal("resident refused his own balance")
	}
}

// TestMonthlyChargesOnceWithTwoProcesses: the monthly job run three times,
// with a second bot process working jobs too, posts one charge per resident
// and month (pro rata for an arrival during the month), nothing for a
// resident without income, and sends each statement once.
func TestMonthlyChargesOnceWithTwoProcesses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.workerProcess()
	fixedU := telegramtest.User{ID: 34001, LanguageCode: "en"}
	fixed, nf := h.signUp(fixedU, store.RoleResident, "Sami A.", "en")
	balContribution(h, fixed, store.BasisFixed, 4500)
	noIncomeU := telegramtest.User{ID: 34002, LanguageCode: "so"}
	noIncome, nn := h.signUp(noIncomeU, store.RoleResident, "Abdi M.", "so")
	balContribution(h, noIncome, store.BasisResources, 0)
	arriving, _ := h.addPerson(store.RoleResident, "Rahim S.", "301", "ps")
	balContribution(h, arriving, store.BasisResources, 60000) // 15 % → 90 € a month
	first := balFirst(h)
	balArrived(h, arriving, first.AddDate(0, 0, 9)) // the 10th: 22 of the month's 31 days

	for range 3 {
		balRunCharges(h)
	}
	if c := h.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'charge'`); c != 2 {
		t.Fatalf("charges = %d, want 2", c)
	}
	month := storetest.Date(first)
	if c := h.count(`SELECT count(*) FROM ledger_entries WHERE person_id = $1 AND month = $2 AND cents = 4500`, fixed.ID, month); c != 1 {
		t.Fatal("fixed amount not charged once")
	}
	if c := h.count(`SELECT count(*) FROM ledger_entries WHERE person_id = $1 AND month = $2 AND cents = 6387`, arriving.ID, month); c != 1 {
		t.Fatal("arrival month not charged pro rata (9000 × 22 / 31 = 6387)")
	}
	want := "📅 Your contribution for " + paris(first).Format("January") + " is €45.00.\n🔴 You still have to pay €45.00.\nTo see the details, send /balance."
	if got := h.waitText(fixedU, nf+1).Text; got != want {
		t.Fatalf("statement = %q", got)
	}
	h.quiet(fixedU, nf+1)
	h.quiet(noIncomeU, nn)
	// One statement row each for those charged; Rahim has no Telegram yet
	// (he sees it at the desk or with /balance once signed up).
	h.tg.WaitFor(t, 10*time.Second, "statements finished", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE kind = 'statement' AND state IN ('pending', 'sending')`) == 0
	})
	if c := h.count(`SELECT count(*) FROM outbox WHERE kind = 'statement'`); c != 2 {
		t.Fatalf("statements queued = %d, want 2", c)
	}
	if c := h.count(`SELECT count(*) FROM outbox WHERE dedupe_key = $1 AND state = 'sent'`, fmt.Sprintf("statement:%d:%s", fixed.ID, balMonth(first))); c != 1 {
		t.Fatal("statement not marked sent")
	}
	if c := h.count(`SELECT count(*) FROM outbox WHERE dedupe_key = $1 AND state = 'unreachable' AND note = 'no_account'`,
		fmt.Sprintf("statement:%d:%s", arriving.ID, balMonth(first))); c != 1 {
		t.Fatal("statement to a resident without Telegram not marked unreachable")
	}
	// The calendar job is registered: the 1st at 09:00 Paris.
	if next := (handlers.Monthly{Loc: h.cfg.Location, Day: 1, Hour: 9}).Next(h.clock.Now()); !next.Equal(first.AddDate(0, 1, 0)) {
		t.Fatalf("next run %v", next)
	}
}

// TestArrearsList: staff see who owes money, largest debt first, including
// a resident who left without settling; nobody who has paid.
func TestArrearsList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	u := telegramtest.User{ID: 35001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleStaff, "Tom B.", "en")
	h.tg.SendText(u, "/arrears")
	if got := h.waitText(u, n+1).Text; got != "🟢 No resident owes money." {
		t.Fatalf("empty arrears → %q", got)
	}
	rahim, _ := h.addPerson(store.RoleResident, "Rahim S.", "301", "ps")
	abdi, _ := h.addPerson(store.RoleResident, "Abdi M.", "102", "so")
	yonas, _ := h.addPerson(store.RoleResident, "Yonas T.", "101", "ti")
	sami, _ := h.addPerson(store.RoleResident, "Sami A.", "108", "en")
	balContribution(h, rahim, store.BasisFixed, 3000)
	balContribution(h, abdi, store.BasisFixed, 4500)
	balContribution(h, yonas, store.BasisFixed, 4500)
	balContribution(h, sami, store.BasisFixed, 2000)
	balFirst(h)
	st := balStore(h)
	if _, err := st.PostMonthlyCharges(ctx, h.clock.Now(), h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordPayment(ctx, store.NewPayment{CentreID: yonas.CentreID, PersonID: yonas.ID, Cents: 4500, At: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.ChangeResident(ctx, store.ResidentChange{CentreID: sami.CentreID, PersonID: sami.ID, Kind: store.ChangeLeave, Date: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	h.tg.SendText(u, "/arrears")
	want := "🔴 3 residents owe money, €95.00 in all:\n• Abdi M., room 102: €45.00\n• Rahim S., room 301: €30.00\n• Sami A., room 108 (left): €20.00"
	if got := h.waitText(u, n+2).Text; got != want {
		t.Fatalf("arrears = %q\nwant     %q", got, want)
	}
}

// TestMoneyMessagesLeftInDoubtAreSentAgain: receipts and statements that a
// crash left 'sending' (claimed, maybe sent, outcome never written) are
// sent again when the bot comes back: a receipt or statement twice beats
// one lost.
func TestMoneyMessagesLeftInDoubtAreSentAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	frU := telegramtest.User{ID: 36001, LanguageCode: "fr"}
	fr, nf := h.signUp(frU, store.RoleResident, "Ahmad K.", "fr")
	arU := telegramtest.User{ID: 36002, LanguageCode: "ar"}
	ar, na := h.signUp(arU, store.RoleResident, "Omar H.", "ar")
	balContribution(h, fr, store.BasisFixed, 4500)
	balContribution(h, ar, store.BasisFixed, 4500)
	first := balFirst(h)

	// The bot is down while the month is charged and both pay: the rows
	// and their jobs wait in the database.
	h.stop()
	st := balStore(h)
	if _, err := st.PostMonthlyCharges(ctx, h.clock.Now(), h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []store.Person{fr, ar} {
		if _, err := st.RecordPayment(ctx, store.NewPayment{CentreID: p.CentreID, PersonID: p.ID, Cents: 1250,
			At: h.clock.Now().In(h.cfg.Location)}); err != nil {
			t.Fatal(err)
		}
	}
	// As a crash leaves them: claimed, and nothing written after.
	if _, err := h.pool.Exec(ctx, `UPDATE outbox SET state = 'sending', attempts = 1`); err != nil {
		t.Fatal(err)
	}
	h.start()

	tests := []struct {
		u    telegramtest.User
		n    int
		want []string // in any order
	}{
		{frU, nf, []string{
			"📅 Votre participation de " + frMonths[paris(first).Month()-1] + " est de 45,00\u00a0€.\n🔴 Il vous reste 32,50\u00a0€ à payer.\nPour voir le détail, envoyez /balance.",
			"🧾 Reçu " + balReceiptN(first, 1) + "\nLe centre a reçu 12,50\u00a0€ de votre part le " + frDate(first) + ". Merci !\n🔴 Il vous reste 32,50\u00a0€ à payer.",
		}},
		{arU, na, []string{
			"📅 مساهمتك لشهر \u2068" + arMonths[paris(first).Month()-1] + "\u2069 هي \u206845,00\u00a0€\u2069.\n🔴 ما زال عليك دفع \u206832,50\u00a0€\u2069.\nلرؤية التفاصيل، أرسل /balance.",
			"🧾 إيصال \u2068" + balReceiptN(first, 2) + "\u2069\nاستلم المركز منك \u206812,50\u00a0€\u2069 يوم \u2068" + arDate(first) + "\u2069. شكرًا!\n🔴 ما زال عليك دفع \u206832,50\u00a0€\u2069.",
		}},
	}
	for _, tt := range tests {
		msgs := h.tg.WaitMessages(t, tt.u.ID, tt.n+len(tt.want), 15*time.Second)
		got := texts(msgs[tt.n:])
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("chat %d got %q\nwant        %q", tt.u.ID, got, want)
		}
	}
	h.tg.WaitFor(t, 10*time.Second, "outcomes written", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE state = 'sent' AND attempts = 2`) == 4
	})
	h.quiet(frU, nf+2)
	h.quiet(arU, na+2)
}

// TestOldMoneyJobsBecomeOutboxRows: receipt and statement jobs queued
// before the outbox (still in river_job after the upgrade) become outbox
// rows under the same keys: what was never sent is sent once, what the
// old table recorded as sent (carried over by migration 00010) is not
// sent again, and a job queued twice sends once.
func TestOldMoneyJobsBecomeOutboxRows(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	frU := telegramtest.User{ID: 37001, LanguageCode: "fr"}
	fr, nf := h.signUp(frU, store.RoleResident, "Ahmad K.", "fr")
	arU := telegramtest.User{ID: 37002, LanguageCode: "ar"}
	ar, na := h.signUp(arU, store.RoleResident, "Omar H.", "ar")
	first := balFirst(h)
	now := h.clock.Now()
	month, before := balMonth(first), balMonth(first.AddDate(0, -1, 0))
	// Written by the old code: the month's charges, and a payment whose
	// receipt job had not run yet.
	if _, err := h.pool.Exec(ctx, `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, month, at)
		VALUES ($1, $2, 'charge', 4500, $5, $4), ($1, $3, 'charge', 4500, $5, $4)`,
		fr.CentreID, fr.ID, ar.ID, now, storetest.Date(first)); err != nil {
		t.Fatal(err)
	}
	var entryID int64
	if err := h.pool.QueryRow(ctx, `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, receipt_no, at)
		VALUES ($1, $2, 'payment', -1250, $4, $3) RETURNING id`, fr.CentreID, fr.ID, now, balReceipt(first)).Scan(&entryID); err != nil {
		t.Fatal(err)
	}
	// Carried over by the migration: Omar's statement of the month before
	// was sent.
	if _, err := h.pool.Exec(ctx, `INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, args, not_before, state,
			attempts, created_at, updated_at, sent_at)
		VALUES ($1, $2, 'statement', $3, jsonb_build_object('month', $5::text), $4, 'sent', 1, $4, $4, $4)`,
		ar.CentreID, ar.ID, fmt.Sprintf("statement:%d:%s", ar.ID, before), now.AddDate(0, -1, 0), before); err != nil {
		t.Fatal(err)
	}
	old := []river.JobArgs{
		handlers.ReceiptArgs{CentreID: fr.CentreID, EntryID: entryID},
		handlers.ReceiptArgs{CentreID: fr.CentreID, EntryID: entryID},
		handlers.StatementArgs{CentreID: ar.CentreID, PersonID: ar.ID, Month: month},
		handlers.StatementArgs{CentreID: ar.CentreID, PersonID: ar.ID, Month: month},
		handlers.StatementArgs{CentreID: ar.CentreID, PersonID: ar.ID, Month: before},
	}
	for _, args := range old {
		if _, err := h.app.Jobs().Insert(ctx, args, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.tg.WaitFor(t, 15*time.Second, "old jobs worked", func() bool {
		return len(h.jobList(river.NewJobListParams().Kinds("money_receipt", "money_statement").States(rivertype.JobStateCompleted))) == len(old)
	})
	if got, want := h.waitText(frU, nf+1).Text, "🧾 Reçu "+balReceipt(first)+"\nLe centre a reçu 12,50\u00a0€ de votre part le "+frDate(first)+". Merci !\n🔴 Il vous reste 32,50\u00a0€ à payer."; got != want {
		t.Fatalf("receipt = %q\nwant     %q", got, want)
	}
	if got, want := h.waitText(arU, na+1).Text, "📅 مساهمتك لشهر \u2068"+arMonths[paris(first).Month()-1]+"\u2069 هي \u206845,00\u00a0€\u2069.\n🔴 ما زال عليك دفع \u206845,00\u00a0€\u2069.\nلرؤية التفاصيل، أرسل /balance."; got != want {
		t.Fatalf("statement = %q\nwant       %q", got, want)
	}
	h.tg.WaitFor(t, 10*time.Second, "outcomes written", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE state = 'sent'`) == 3
	})
	if c := h.count(`SELECT count(*) FROM outbox`); c != 3 {
		t.Fatalf("outbox rows = %d, want 3", c)
	}
	h.quiet(frU, nf+1)
	h.quiet(arU, na+1)
}

// smallPool gives the bot a pool of only n connections on the harness's
// database, as a small deployment has.
func smallPool(n int32) harnessOption {
	return func(h *harness) {
		cfg := h.pool.Config()
		cfg.MaxConns, cfg.MinConns = n, 0
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(pool.Close)
		h.pool, h.st = pool, store.New(pool)
	}
}

// fastSend lifts the global sending budget, so a test of a few hundred
// messages is not paced to Telegram's 30 a second; each chat keeps a burst
// of 5 (its three messages go at once) and the harness's pace
// (ChatPerSecond).
func fastSend(h *harness) {
	h.cfg.GlobalRate = 1000
	h.cfg.ChatRate = 5
}

// TestMoneyBatchWithSmallPoolDoesNotFreeze: with a pool of 2 connections
// (River's 10 workers share them), 200 statements and 50 receipts due at
// once while residents ask for their balance: everyone gets his answer and
// every receipt and statement arrives exactly once. The old code froze
// here — each receipt job held a transaction (a connection) while waiting
// for the rate limiter and asking the pool for a second one.
func TestMoneyBatchWithSmallPoolDoesNotFreeze(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallPool(2), fastSend)
	ctx := context.Background()
	// The test's own connections, so that its checks never wait for the
	// bot's pool (and a freeze fails the test at its deadline instead of
	// hanging it).
	observer, err := pgxpool.New(ctx, h.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()
	count := func(query string, args ...any) int {
		t.Helper()
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var n int
		if err := observer.QueryRow(qctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const residents, payers, writers = 200, 50, 20
	centre := balCentre(h)
	rows, err := observer.Query(ctx, `INSERT INTO people (centre_id, role, display_name, room, language, telegram_id, onboarded_at)
		SELECT $1, 'resident', 'Resident ' || i, (100 + i)::text, CASE WHEN i % 2 = 0 THEN 'fr' ELSE 'ar' END, 80000 + i, now()
		FROM generate_series(1, $2::int) i ORDER BY i
		RETURNING id, telegram_id`, centre.ID, residents)
	if err != nil {
		t.Fatal(err)
	}
	type resident struct{ ID, Chat int64 }
	people, err := pgx.CollectRows(rows, pgx.RowToStructByPos[resident])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observer.Exec(ctx, `INSERT INTO contributions (person_id, centre_id, basis, cents)
		SELECT id, centre_id, 'fixed', 4500 FROM people WHERE centre_id = $1 AND role = 'resident'`, centre.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		h.tg.AddChat(p.Chat)
	}
	balFirst(h)

	// All at once: the month's charges (worked by the bot, 200
	// statements), 50 payments at the desk (as `cairbot payment add`
	// does, 50 receipts), and residents writing /balance.
	desk := store.New(observer)
	desk.UseOutboxScheduler(bot.NewOutboxScheduler(h.app.Jobs()))
	if _, err := h.app.Jobs().Insert(ctx, handlers.MonthlyChargesArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	receipts := make([]string, payers)
	errs := make(chan error, payers)
	for i := range payers {
		go func() {
			e, err := desk.RecordPayment(ctx, store.NewPayment{CentreID: centre.ID, PersonID: people[i].ID, Cents: 1250,
				At: h.clock.Now().In(h.cfg.Location)})
			receipts[i] = e.ReceiptNo
			errs <- err
		}()
	}
	// Half of those writing paid, half did not.
	writing := people[payers-writers/2 : payers+writers/2]
	for _, p := range writing {
		h.tg.SendText(telegramtest.User{ID: p.Chat}, "/balance")
	}
	for range payers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	want := func(i int) (statements, receiptsN, replies int) {
		statements = 1
		if i < payers {
			receiptsN = 1
		}
		if i >= payers-writers/2 && i < payers+writers/2 {
			replies = 1
		}
		return
	}
	deadline := time.Now().Add(3 * time.Minute)
	h.tg.WaitFor(t, time.Until(deadline), "every message delivered", func() bool {
		for i, p := range people {
			s, r, b := want(i)
			if len(h.tg.Messages(p.Chat)) < s+r+b {
				return false
			}
		}
		return true
	})
	h.tg.WaitFor(t, time.Until(deadline), "every outcome written", func() bool {
		return count(`SELECT count(*) FROM outbox WHERE state = 'sent'`) == residents+payers
	})
	if c := count(`SELECT count(*) FROM outbox`); c != residents+payers {
		t.Fatalf("outbox rows = %d, want %d", c, residents+payers)
	}
	for i, p := range people {
		var statements, receiptsGot, replies int
		for _, m := range h.tg.Messages(p.Chat) {
			switch {
			case strings.HasPrefix(m.Text, "📅"):
				statements++
			case strings.HasPrefix(m.Text, "🧾"):
				receiptsGot++
				if !strings.Contains(m.Text, receipts[i]) {
					t.Errorf("resident %d got receipt %q, want %s", i, m.Text, receipts[i])
				}
			case strings.HasPrefix(m.Text, "💶"):
				replies++
			default:
				t.Errorf("resident %d got %q", i, m.Text)
			}
		}
		if s, r, b := want(i); statements != s || receiptsGot != r || replies != b {
			t.Errorf("resident %d got %d statements, %d receipts, %d replies; want %d, %d, %d",
				i, statements, receiptsGot, replies, s, r, b)
		}
	}
}
