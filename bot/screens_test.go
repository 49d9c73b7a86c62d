package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// The main screens, written out whole in French, Dari, Arabic and
// Tigrinya: the expected texts below are literals, not built through the
// catalog the bot uses, so that a wrong message id, a missing variable or
// a broken translation fails here. The clock is fixed (screensStart), so
// the dates and times are literals too.

// screensStart is where these tests begin whatever TEST_NOW says: Friday
// 27 November 2026, 10:00 in Paris. Every date written below follows from
// it.
var screensStart = time.Date(2026, 11, 27, 10, 0, 0, 0, storetest.Paris)

// atScreensStart begins the test at screensStart.
func atScreensStart(h *harness) { h.begin, h.clock = screensStart, newClock(screensStart) }

// screensLangs are the language families the literal screens cover: a
// Latin one, two right to left (Dari with Persian digits, Arabic with
// Latin ones) and one in its own script (Ge'ez).
var screensLangs = []struct {
	tag, tgCode string // the bot's language, the Telegram client's
	name        string // the resident's name
}{
	{"fr", "fr", "Jean B."},
	{"fa-AF", "fa", "Ahmad K."},
	{"ar", "ar", "Omar H."},
	{"ti", "ti", "Yonas T."},
}

// screensKeyboard writes a reply keyboard one row a line, buttons between bars.
func screensKeyboard(rows [][]string) string {
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = strings.Join(r, " | ")
	}
	return strings.Join(lines, "\n")
}

// screensButtons writes the labels of a message's inline buttons, one row a line.
func screensButtons(m telegramtest.SentMessage) string {
	rows := make([][]string, len(m.InlineKeyboard))
	for i, r := range m.InlineKeyboard {
		for _, b := range r {
			rows[i] = append(rows[i], b.Text)
		}
	}
	return screensKeyboard(rows)
}

// screenIs compares one screen to its literal and, when it differs, prints
// what came quoted as Go would write it, to compare with the .toml file.
func screenIs(t *testing.T, lang, screen, got string, want map[string]map[string]string) {
	t.Helper()
	w, ok := want[lang][screen]
	if !ok || got != w {
		t.Errorf("%s %s =\n%q\nwant\n%q", lang, screen, got, w)
	}
}

// screensSignUp: what /start with an invite, the language pick, the menus
// of each role, the role refusal, a stale button and /cancel say.
var screensSignUp = map[string]map[string]string{
	"fr": {
		"welcome":         "👋 Bienvenue, Jean B.\u00a0!",
		"language.picked": "✅ Votre langue\u00a0: Français.",
		"privacy": "🔒 Vos données\n" +
			"Ce bot est géré par votre centre. Il garde seulement\u00a0: votre nom, votre chambre, votre langue et votre compte Telegram.\n" +
			"Il ne vous demande jamais votre pays, vos papiers, votre santé ou votre histoire.\n" +
			"Seule l'équipe du centre peut voir vos informations.\n" +
			"Vous pouvez voir ce que nous gardons avec /mydata. Pour les corriger ou les effacer, demandez à l'accueil.",
		"menu": "👇 Choisissez avec les boutons ci-dessous.",
		"menu.resident": "🗓️ Ma semaine | 🧹 Ménage\n" +
			"💶 Participation | 📚 Cours français\n" +
			"📅 Rendez-vous | 📢 Nouvelles\n" +
			"❓ Aide | 🌐 Langue\n" +
			"🔒 Mes données",
		"refused":        "⛔ Désolé, ceci est réservé à l'équipe du centre.",
		"stale":          "Ce bouton n'est plus valable.",
		"cancel.nothing": "Il n'y a rien à arrêter.",
		"menu.staff": "✉️ Nouveau venu | 📋 Plan ménage\n" +
			"🧾 Paiement | 🏠 Résidents\n" +
			"📋 Présences | 📅 Rendez-vous\n" +
			"📣 Annonce | 📊 Rapports\n" +
			"❓ Aide | 🌐 Langue",
		"invite":      "✉️ Nouveau résident. Quel est son nom\u00a0? (comme sur la liste des chambres)",
		"cancel.done": "🛑 Arrêté. Rien d'autre n'a été changé.",
		"cancel.menu": "✉️ Nouveau venu | 📋 Plan ménage\n" +
			"🧾 Paiement | 🏠 Résidents\n" +
			"📋 Présences | 📅 Rendez-vous\n" +
			"📣 Annonce | 📊 Rapports\n" +
			"❓ Aide | 🌐 Langue",
		"menu.coordinator": "✉️ Nouveau venu | 📋 Plan ménage\n" +
			"🧾 Paiement | 🏠 Résidents\n" +
			"📋 Présences | 📅 Rendez-vous\n" +
			"🗓️ Nouveau RDV | 📣 Annonce\n" +
			"📊 Rapports | ❓ Aide\n" +
			"🌐 Langue",
	},
	"fa-AF": {
		"welcome":         "👋 خوش آمدید، \u2068Ahmad K.\u2069!",
		"language.picked": "✅ زبان شما حالا \u2068دری\u2069 است.",
		"privacy": "🔒 دربارهٔ معلومات شما\n" +
			"این ربات را مرکز شما اداره می\u200cکند. ربات فقط این\u200cها را نگه می\u200cدارد: نام شما، اتاق شما، زبان شما و حساب Telegram شما.\n" +
			"ربات هرگز دربارهٔ کشور، اسناد، صحت یا سرگذشت شما سؤال نمی\u200cکند.\n" +
			"فقط کارمندان مرکز معلومات شما را دیده می\u200cتوانند.\n" +
			"با /mydata دیده می\u200cتوانید که ما چه چیزهایی را نگه می\u200cداریم. برای اصلاح یا پاک کردن آن، از دفتر مرکز بپرسید.",
		"menu": "👇 با تکمه\u200cهای پایین انتخاب کنید.",
		"menu.resident": "🗓️ هفتهٔ من | 🧹 صفایی\n" +
			"💶 سهم ماهوار من | 📚 صنف فرانسوی\n" +
			"📅 ملاقات\u200cها | 📢 خبرها\n" +
			"❓ کمک | 🌐 زبان\n" +
			"🔒 معلومات من",
		"refused":        "⛔ ببخشید، این فقط برای کارمندان مرکز است.",
		"stale":          "این تکمه دیگر اعتبار ندارد.",
		"cancel.nothing": "چیزی برای متوقف کردن نیست.",
		"menu.staff": "✉️ باشندهٔ نو | 📋 جدول صفایی\n" +
			"🧾 پرداخت | 🏠 باشنده\u200cها\n" +
			"📋 حاضری | 📅 ملاقات\u200cها\n" +
			"📣 اعلان | 📊 گزارش\u200cها\n" +
			"❓ کمک | 🌐 زبان",
		"invite":      "✉️ باشندهٔ نو. نام او چیست؟ (مانند فهرست اتاق\u200cها)",
		"cancel.done": "🛑 متوقف شد. چیز دیگری تغییر نکرد.",
		"cancel.menu": "✉️ باشندهٔ نو | 📋 جدول صفایی\n" +
			"🧾 پرداخت | 🏠 باشنده\u200cها\n" +
			"📋 حاضری | 📅 ملاقات\u200cها\n" +
			"📣 اعلان | 📊 گزارش\u200cها\n" +
			"❓ کمک | 🌐 زبان",
		"menu.coordinator": "✉️ باشندهٔ نو | 📋 جدول صفایی\n" +
			"🧾 پرداخت | 🏠 باشنده\u200cها\n" +
			"📋 حاضری | 📅 ملاقات\u200cها\n" +
			"🗓️ ملاقات نو | 📣 اعلان\n" +
			"📊 گزارش\u200cها | ❓ کمک\n" +
			"🌐 زبان",
	},
	"ar": {
		"welcome":         "👋 أهلًا وسهلًا، \u2068Omar H.\u2069!",
		"language.picked": "✅ لغتك الآن هي \u2068العربية\u2069.",
		"privacy": "🔒 عن بياناتك\n" +
			"هذا البوت يديره مركزك. وهو يحفظ فقط: اسمك، وغرفتك، ولغتك، وحسابك في Telegram.\n" +
			"لا يسألك أبدًا عن بلدك أو أوراقك أو صحتك أو قصتك.\n" +
			"موظفو المركز فقط يستطيعون رؤية بياناتك.\n" +
			"يمكنك أن ترى ما نحفظه عن طريق /mydata. لتصحيح بياناتك أو حذفها، اسأل في مكتب الاستقبال.",
		"menu": "👇 اختر بالأزرار في الأسفل.",
		"menu.resident": "🗓️ أسبوعي | 🧹 التنظيف\n" +
			"💶 مساهمتي | 📚 دروس الفرنسية\n" +
			"📅 المواعيد | 📢 الأخبار\n" +
			"❓ مساعدة | 🌐 اللغة\n" +
			"🔒 بياناتي",
		"refused":        "⛔ عذرًا، هذا لموظفي المركز فقط.",
		"stale":          "هذا الزر لم يعد صالحًا.",
		"cancel.nothing": "لا يوجد شيء لإيقافه.",
		"menu.staff": "✉️ مقيم جديد | 📋 جدول التنظيف\n" +
			"🧾 دفعة | 🏠 المقيمون\n" +
			"📋 الحضور | 📅 المواعيد\n" +
			"📣 إعلان | 📊 التقارير\n" +
			"❓ مساعدة | 🌐 اللغة",
		"invite":      "✉️ مقيم جديد. ما اسمه؟ (كما في قائمة الغرف)",
		"cancel.done": "🛑 تم الإيقاف. لم يتغير شيء آخر.",
		"cancel.menu": "✉️ مقيم جديد | 📋 جدول التنظيف\n" +
			"🧾 دفعة | 🏠 المقيمون\n" +
			"📋 الحضور | 📅 المواعيد\n" +
			"📣 إعلان | 📊 التقارير\n" +
			"❓ مساعدة | 🌐 اللغة",
		"menu.coordinator": "✉️ مقيم جديد | 📋 جدول التنظيف\n" +
			"🧾 دفعة | 🏠 المقيمون\n" +
			"📋 الحضور | 📅 المواعيد\n" +
			"🗓️ موعد جديد | 📣 إعلان\n" +
			"📊 التقارير | ❓ مساعدة\n" +
			"🌐 اللغة",
	},
	"ti": {
		"welcome":         "👋 እንቋዕ ብደሓን መጻእኩም፣ Yonas T.!",
		"language.picked": "✅ ቋንቋኹም ሕጂ ትግርኛ እዩ።",
		"privacy": "🔒 ብዛዕባ ሓበሬታኹም\n" +
			"እዚ ቦት ብማእከልኩም እዩ ዝመሓደር። ዝሕዞ ጥራይ እዚ እዩ: ስምኩም፣ ክፍልኹም፣ ቋንቋኹም ከምኡ'ውን ናይ Telegram ሕሳብኩም።\n" +
			"ብዛዕባ ሃገርኩም፣ ወረቓቕትኹም፣ ጥዕናኹም ወይ ታሪኽኩም ፈጺሙ ኣይሓትትን።\n" +
			"ሓበሬታኹም ክርእዩ ዝኽእሉ ሰራሕተኛታት ማእከል ጥራይ እዮም።\n" +
			"እንታይ ከም እንሕዝ ብ /mydata ክትርእዩ ትኽእሉ ኢኹም። ንምእራሙ ወይ ንምድምሳሱ፣ ኣብ ቤት ጽሕፈት ማእከል ሕተቱ።",
		"menu": "👇 ብታሕቲ ዘለዉ መጠወቕታት ምረጹ።",
		"menu.resident": "🗓️ ሰሙነይ | 🧹 ምጽራይ\n" +
			"💶 ወርሓዊ ክፍሊተይ | 📚 ትምህርቲ ፈረንሳይኛ\n" +
			"📅 ቆጸራታት | 📢 ዜና\n" +
			"❓ ሓገዝ | 🌐 ቋንቋ\n" +
			"🔒 ሓበሬታይ",
		"refused":        "⛔ ይቕሬታ፣ እዚ ንሰራሕተኛታት ማእከል ጥራይ እዩ።",
		"stale":          "እዚ መጠወቒ ሕጂ ኣይሰርሕን እዩ።",
		"cancel.nothing": "ዝቋረጽ ነገር የለን።",
		"menu.staff": "✉️ ሓድሽ ነባሪ | 📋 መደብ ምጽራይ\n" +
			"🧾 ክፍሊት | 🏠 ነበርቲ\n" +
			"📋 ምህላው | 📅 ቆጸራታት\n" +
			"📣 ምልክታ | 📊 ጸብጻባት\n" +
			"❓ ሓገዝ | 🌐 ቋንቋ",
		"invite":      "✉️ ሓድሽ ነባሪ። ስሙ እንታይ እዩ? (ከምቲ ኣብ ዝርዝር ክፍልታት ዘሎ)",
		"cancel.done": "🛑 ተቋሪጹ። ካልእ ዝተቐየረ ነገር የለን።",
		"cancel.menu": "✉️ ሓድሽ ነባሪ | 📋 መደብ ምጽራይ\n" +
			"🧾 ክፍሊት | 🏠 ነበርቲ\n" +
			"📋 ምህላው | 📅 ቆጸራታት\n" +
			"📣 ምልክታ | 📊 ጸብጻባት\n" +
			"❓ ሓገዝ | 🌐 ቋንቋ",
		"menu.coordinator": "✉️ ሓድሽ ነባሪ | 📋 መደብ ምጽራይ\n" +
			"🧾 ክፍሊት | 🏠 ነበርቲ\n" +
			"📋 ምህላው | 📅 ቆጸራታት\n" +
			"🗓️ ሓድሽ ቆጸራ | 📣 ምልክታ\n" +
			"📊 ጸብጻባት | ❓ ሓገዝ\n" +
			"🌐 ቋንቋ",
	},
}

// TestSignUpMenusAndRefusalsWrittenOut: a resident, a staff member and a
// coordinator of each language sign up; the welcome, the language picker,
// the privacy notice and the main menu of each role, then the role
// refusal, the stale-button answer and /cancel, are compared whole to
// their literal texts.
func TestSignUpMenusAndRefusalsWrittenOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, atScreensStart)
	for i, l := range screensLangs {
		is := func(screen, got string) { t.Helper(); screenIs(t, l.tag, screen, got, screensSignUp) }
		res := telegramtest.User{ID: 61001 + int64(i), LanguageCode: l.tgCode}
		_, n := h.signUp(res, store.RoleResident, l.name, l.tag)
		msgs := h.tg.Messages(res.ID)
		is("welcome", msgs[0].Text)
		is("language.picked", msgs[1].Text)
		is("privacy", msgs[2].Text)
		is("menu", msgs[3].Text)
		is("menu.resident", screensKeyboard(msgs[3].ReplyKeyboard))

		// A staff command, a button the bot no longer knows, /cancel with
		// nothing to cancel.
		h.tg.SendText(res, "/rota")
		is("refused", h.waitText(res, n+1).Text)
		h.tg.PressButton(res, msgs[3].ID, "chd:999999")
		is("stale", h.waitText(res, n+2).Text)
		h.tg.SendText(res, "/cancel")
		is("cancel.nothing", h.waitText(res, n+3).Text)
		h.quiet(res, n+3)

		staff := telegramtest.User{ID: 62001 + int64(i), LanguageCode: l.tgCode}
		_, n = h.signUp(staff, store.RoleStaff, "Claire D.", l.tag)
		is("menu.staff", screensKeyboard(h.tg.Messages(staff.ID)[3].ReplyKeyboard))
		h.tg.SendText(staff, "/invite")
		is("invite", h.waitText(staff, n+1).Text)
		h.tg.SendText(staff, "/cancel")
		cancelled := h.waitText(staff, n+2)
		is("cancel.done", cancelled.Text)
		is("cancel.menu", screensKeyboard(cancelled.ReplyKeyboard))
		h.quiet(staff, n+2)

		coord := telegramtest.User{ID: 63001 + int64(i), LanguageCode: l.tgCode}
		_, n = h.signUp(coord, store.RoleCoordinator, "Marie D.", l.tag)
		is("menu.coordinator", screensKeyboard(h.tg.Messages(coord.ID)[3].ReplyKeyboard))
		h.quiet(coord, n)
	}
}

// screensWeek: what a resident gets and sees over one week of the centre:
// the Monday rota message, his statement and a receipt, an interview
// notice, an announcement, /balance, My week, /chores, /classes,
// /appointments, /news, then a class reminder and an interview reminder.
var screensWeek = map[string]map[string]string{
	"fr": {
		"rota.monday": "🧹 Vos tours de ménage cette semaine :\n" +
			"⏳ Cuisine 2e étage : vendredi 4 décembre 2026, 18:00–20:00",
		"statement": "📅 Votre participation de décembre est de 45,00\u00a0€.\n" +
			"🔴 Il vous reste 67,50\u00a0€ à payer.\n" +
			"Pour voir le détail, envoyez /balance.",
		"receipt": "🧾 Reçu R-2026-000001\n" +
			"Le centre a reçu 50,00\u00a0€ de votre part le mardi 1 décembre 2026. Merci !\n" +
			"🔴 Il vous reste 17,50\u00a0€ à payer.",
		"interview.notice": "📅 Vous avez un nouveau rendez-vous pour votre logement :\n" +
			"📌 Entretien d'évaluation SIAO\n" +
			"🕒 Quand : jeudi 3 décembre 2026 à 14:30\n" +
			"📍 Où : SIAO 75, 12 rue X\n" +
			"📄 Apportez ces papiers :\n" +
			"• Titre de séjour\n" +
			"\n" +
			"Est-ce que vous venez ? Répondez avec un bouton.",
		"balance": "💶 Votre participation\n" +
			"Chaque mois : 45,00\u00a0€\n" +
			"Dû jusqu'ici : 67,50\u00a0€\n" +
			"Payé jusqu'ici : 50,00\u00a0€\n" +
			"🔴 Il vous reste 17,50\u00a0€ à payer.\n" +
			"\n" +
			"🧾 Dernières opérations :\n" +
			"01/12/2026 — paiement, reçu R-2026-000001 : 50,00\u00a0€\n" +
			"01/12/2026 — participation de décembre : 45,00\u00a0€\n" +
			"01/12/2026 — participation de novembre : 22,50\u00a0€\n" +
			"\n" +
			"📅 Prochaine participation : 45,00\u00a0€, le vendredi 1 janvier 2027.\n" +
			"Vous payez à l'accueil. Vous recevez un reçu ici à chaque fois.",
		"myweek": "🗓️ Vos 7 prochains jours\n" +
			"\n" +
			"• mercredi 2 décembre 2026, 10:00–12:00 : A1 matin, salle 1, professeur Marie Dupont\n" +
			"📅 jeudi 3 décembre 2026, 14:30 : Entretien d'évaluation SIAO — SIAO 75, 12 rue X\n" +
			"⏳ Cuisine 2e étage : vendredi 4 décembre 2026, 18:00–20:00",
		"chores": "🧹 Vos tours de ménage\n" +
			"\n" +
			"Cette semaine :\n" +
			"⏳ Cuisine 2e étage : vendredi 4 décembre 2026, 18:00–20:00\n" +
			"\n" +
			"La semaine prochaine :\n" +
			"⏳ Cuisine 2e étage : vendredi 11 décembre 2026, 18:00–20:00",
		"classes": "📚 Vos cours de français\n" +
			"\n" +
			"Cette semaine :\n" +
			"• mercredi 2 décembre 2026, 10:00–12:00 : A1 matin, salle 1, professeur Marie Dupont\n" +
			"\n" +
			"La semaine prochaine :\n" +
			"• mercredi 9 décembre 2026, 10:00–12:00 : A1 matin, salle 1, professeur Marie Dupont\n" +
			"\n" +
			"⏱ Heures de français faites : 0 sur 200.",
		"appointments": "📅 Vos prochains rendez-vous :\n" +
			"\n" +
			"📌 Entretien d'évaluation SIAO\n" +
			"🕒 Quand : jeudi 3 décembre 2026 à 14:30\n" +
			"📍 Où : SIAO 75, 12 rue X\n" +
			"📄 Apportez ces papiers :\n" +
			"• Titre de séjour\n" +
			"\n" +
			"Est-ce que vous venez ? Répondez avec un bouton.",
		"news": "📢 Dernières annonces :\n" +
			"\n" +
			"🗓️ mardi 1 décembre 2026\n" +
			"Ce soir, repas partagé dans la salle commune à 19 h.",
		"class.reminder": "⏰ Cours de français à 10:00 (mercredi 2 décembre 2026) : A1 matin, salle 1. Aller en cours est obligatoire.",
		"interview.reminder": "⏰ Rappel : vous avez un rendez-vous.\n" +
			"📌 Entretien d'évaluation SIAO\n" +
			"🕒 Quand : jeudi 3 décembre 2026 à 14:30\n" +
			"📍 Où : SIAO 75, 12 rue X\n" +
			"📄 Apportez ces papiers :\n" +
			"• Titre de séjour\n" +
			"\n" +
			"Est-ce que vous venez ? Répondez avec un bouton.",
		"interview.notice.buttons": "✅ Je serai là\n" +
			"🙋 J'ai besoin d'aide\n" +
			"❌ Je ne peux pas venir",
		"balance.buttons": "",
		"myweek.buttons":  "",
		// The two Swap buttons read alike: chores.button.swap names the
		// weekday only, and this week's and next week's turns are both on a
		// Friday. What it says today, pinned; a date belongs in the label.
		"chores.buttons": "🔄 Échanger : Cuisine 2e étage, vendredi\n" +
			"🔄 Échanger : Cuisine 2e étage, vendredi",
		"classes.buttons": "",
		"appointments.buttons": "✅ Je serai là\n" +
			"🙋 J'ai besoin d'aide\n" +
			"❌ Je ne peux pas venir",
		"news.buttons": "",
		"interview.reminder.buttons": "✅ Je serai là\n" +
			"🙋 J'ai besoin d'aide\n" +
			"❌ Je ne peux pas venir",
	},
	"fa-AF": {
		"rota.monday": "🧹 نوبت\u200cهای صفایی شما در این هفته:\n" +
			"⏳ \u2068حویلی\u2069: \u2068شنبه ۵ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069",
		"statement": "📅 سهم شما برای ماه \u2068دسمبر\u2069: \u2068€\u00a0۴۵٫۰۰\u2069.\n" +
			"🔴 شما هنوز باید \u2068€\u00a0۶۷٫۵۰\u2069 بپردازید.\n" +
			"برای دیدن جزئیات، /balance را بفرستید.",
		"receipt": "🧾 رسید \u2068R-2026-000002\u2069\n" +
			"مرکز مبلغ \u2068€\u00a0۵۰٫۰۰\u2069 را در تاریخ \u2068سه\u200cشنبه ۱ دسمبر ۲۰۲۶\u2069 از شما گرفت. تشکر!\n" +
			"🔴 شما هنوز باید \u2068€\u00a0۱۷٫۵۰\u2069 بپردازید.",
		"interview.notice": "📅 برای خانهٔ خود یک ملاقات نو دارید:\n" +
			"📌 نوع ملاقات: \u2068مصاحبهٔ ارزیابی SIAO\u2069\n" +
			"🕒 زمان: \u2068پنجشنبه ۳ دسمبر ۲۰۲۶، ساعت ۱۴:۳۰\u2069\n" +
			"📍 جای: \u2068SIAO 75, 12 rue X\u2069\n" +
			"📄 این اسناد را با خود بیاورید:\n" +
			"• کارت اقامت (titre de séjour)\n" +
			"\n" +
			"آیا می\u200cآیید؟ لطفاً با یک تکمه جواب بدهید.",
		"balance": "💶 سهم ماهوار شما\n" +
			"هر ماه: \u2068€\u00a0۴۵٫۰۰\u2069\n" +
			"قابل پرداخت تا حالا: \u2068€\u00a0۶۷٫۵۰\u2069\n" +
			"پرداخت شده تا حالا: \u2068€\u00a0۵۰٫۰۰\u2069\n" +
			"🔴 شما هنوز باید \u2068€\u00a0۱۷٫۵۰\u2069 بپردازید.\n" +
			"\n" +
			"🧾 آخرین ثبت\u200cها:\n" +
			"\u2068۲۰۲۶/۱۲/۱\u2069 — پرداخت، رسید \u2068R-2026-000002\u2069: \u2068€\u00a0۵۰٫۰۰\u2069\n" +
			"\u2068۲۰۲۶/۱۲/۱\u2069 — سهم ماه \u2068دسمبر\u2069: \u2068€\u00a0۴۵٫۰۰\u2069\n" +
			"\u2068۲۰۲۶/۱۲/۱\u2069 — سهم ماه \u2068نومبر\u2069: \u2068€\u00a0۲۲٫۵۰\u2069\n" +
			"\n" +
			"📅 سهم بعدی: \u2068€\u00a0۴۵٫۰۰\u2069، در تاریخ \u2068جمعه ۱ جنوری ۲۰۲۷\u2069.\n" +
			"پرداخت در دفتر مرکز انجام می\u200cشود. هر بار یک رسید همین\u200cجا می\u200cگیرید.",
		"myweek": "🗓️ ۷ روز آیندهٔ شما\n" +
			"\n" +
			"• \u2068چهارشنبه ۲ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069: \u2068A1 matin\u2069، اتاق \u20681\u2069، استاد \u2068Marie Dupont\u2069\n" +
			"📅 ملاقات: \u2068پنجشنبه ۳ دسمبر ۲۰۲۶\u2069، \u2068۱۴:۳۰\u2069 — \u2068مصاحبهٔ ارزیابی SIAO\u2069 — \u2068SIAO 75, 12 rue X\u2069\n" +
			"⏳ \u2068حویلی\u2069: \u2068شنبه ۵ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069",
		"chores": "🧹 نوبت\u200cهای صفایی شما\n" +
			"\n" +
			"این هفته:\n" +
			"⏳ \u2068حویلی\u2069: \u2068شنبه ۵ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069\n" +
			"\n" +
			"هفتهٔ آینده:\n" +
			"⏳ \u2068حویلی\u2069: \u2068شنبه ۱۲ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069",
		"classes": "📚 صنف\u200cهای زبان فرانسوی شما\n" +
			"\n" +
			"این هفته:\n" +
			"• \u2068چهارشنبه ۲ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069: \u2068A1 matin\u2069، اتاق \u20681\u2069، استاد \u2068Marie Dupont\u2069\n" +
			"\n" +
			"هفتهٔ آینده:\n" +
			"• \u2068چهارشنبه ۹ دسمبر ۲۰۲۶\u2069، \u2068۱۰:۰۰\u2069–\u2068۱۲:۰۰\u2069: \u2068A1 matin\u2069، اتاق \u20681\u2069، استاد \u2068Marie Dupont\u2069\n" +
			"\n" +
			"⏱ ساعت\u200cهای زبان فرانسوی که خوانده\u200cاید: \u2068۰\u2069 از \u2068۲۰۰\u2069.",
		"appointments": "📅 ملاقات\u200cهای بعدی شما:\n" +
			"\n" +
			"📌 نوع ملاقات: \u2068مصاحبهٔ ارزیابی SIAO\u2069\n" +
			"🕒 زمان: \u2068پنجشنبه ۳ دسمبر ۲۰۲۶، ساعت ۱۴:۳۰\u2069\n" +
			"📍 جای: \u2068SIAO 75, 12 rue X\u2069\n" +
			"📄 این اسناد را با خود بیاورید:\n" +
			"• کارت اقامت (titre de séjour)\n" +
			"\n" +
			"آیا می\u200cآیید؟ لطفاً با یک تکمه جواب بدهید.",
		"news": "📢 آخرین اعلان\u200cها:\n" +
			"\n" +
			"🗓️ \u2068سه\u200cشنبه ۱ دسمبر ۲۰۲۶\u2069\n" +
			"\u2068Ce soir, repas partagé dans la salle commune à 19 h.\u2069",
		"class.reminder": "⏰ صنف زبان فرانسوی ساعت \u2068۱۰:۰۰\u2069 (\u2068چهارشنبه ۲ دسمبر ۲۰۲۶\u2069): \u2068A1 matin\u2069، اتاق \u20681\u2069. رفتن به صنف اجباری است.",
		"interview.reminder": "⏰ یادآوری: شما یک ملاقات دارید.\n" +
			"📌 نوع ملاقات: \u2068مصاحبهٔ ارزیابی SIAO\u2069\n" +
			"🕒 زمان: \u2068پنجشنبه ۳ دسمبر ۲۰۲۶، ساعت ۱۴:۳۰\u2069\n" +
			"📍 جای: \u2068SIAO 75, 12 rue X\u2069\n" +
			"📄 این اسناد را با خود بیاورید:\n" +
			"• کارت اقامت (titre de séjour)\n" +
			"\n" +
			"آیا می\u200cآیید؟ لطفاً با یک تکمه جواب بدهید.",
		"interview.notice.buttons": "✅ می\u200cآیم\n" +
			"🙋 به کمک ضرورت دارم\n" +
			"❌ آمده نمی\u200cتوانم",
		"balance.buttons": "",
		"myweek.buttons":  "",
		"chores.buttons": "🔄 تبادله: \u2068حویلی\u2069، \u2068شنبه\u2069\n" +
			"🔄 تبادله: \u2068حویلی\u2069، \u2068شنبه\u2069",
		"classes.buttons": "",
		"appointments.buttons": "✅ می\u200cآیم\n" +
			"🙋 به کمک ضرورت دارم\n" +
			"❌ آمده نمی\u200cتوانم",
		"news.buttons": "",
		"interview.reminder.buttons": "✅ می\u200cآیم\n" +
			"🙋 به کمک ضرورت دارم\n" +
			"❌ آمده نمی\u200cتوانم",
	},
	"ar": {
		"rota.monday": "🧹 أدوارك في التنظيف هذا الأسبوع:\n" +
			"⏳ \u2068مطبخ الطابق 2\u2069: \u2068السبت، 5 ديسمبر 2026\u2069، \u206818:00\u2069–\u206820:00\u2069",
		"statement": "📅 مساهمتك لشهر \u2068ديسمبر\u2069 هي \u206845,00\u00a0€\u2069.\n" +
			"🔴 ما زال عليك دفع \u206867,50\u00a0€\u2069.\n" +
			"لرؤية التفاصيل، أرسل /balance.",
		"receipt": "🧾 إيصال \u2068R-2026-000003\u2069\n" +
			"استلم المركز منك \u206850,00\u00a0€\u2069 يوم \u2068الثلاثاء، 1 ديسمبر 2026\u2069. شكرًا!\n" +
			"🔴 ما زال عليك دفع \u206817,50\u00a0€\u2069.",
		"interview.notice": "📅 لديك موعد جديد بخصوص سكنك:\n" +
			"📌 نوع الموعد: \u2068مقابلة تقييم SIAO\u2069\n" +
			"🕒 الوقت: \u2068الخميس، 3 ديسمبر 2026 في 14:30\u2069\n" +
			"📍 المكان: \u2068SIAO 75, 12 rue X\u2069\n" +
			"📄 أحضر هذه الأوراق:\n" +
			"• بطاقة الإقامة (titre de séjour)\n" +
			"\n" +
			"هل ستأتي؟ من فضلك أجب بزر.",
		"balance": "💶 مساهمتك\n" +
			"كل شهر: \u206845,00\u00a0€\u2069\n" +
			"المستحق حتى الآن: \u206867,50\u00a0€\u2069\n" +
			"المدفوع حتى الآن: \u206850,00\u00a0€\u2069\n" +
			"🔴 ما زال عليك دفع \u206817,50\u00a0€\u2069.\n" +
			"\n" +
			"🧾 آخر العمليات:\n" +
			"\u206801/12/2026\u2069 — دفعة، إيصال \u2068R-2026-000003\u2069: \u206850,00\u00a0€\u2069\n" +
			"\u206801/12/2026\u2069 — مساهمة شهر \u2068ديسمبر\u2069: \u206845,00\u00a0€\u2069\n" +
			"\u206801/12/2026\u2069 — مساهمة شهر \u2068نوفمبر\u2069: \u206822,50\u00a0€\u2069\n" +
			"\n" +
			"📅 المساهمة القادمة: \u206845,00\u00a0€\u2069، يوم \u2068الجمعة، 1 يناير 2027\u2069.\n" +
			"تدفع في مكتب الاستقبال. ويصلك إيصال هنا في كل مرة.",
		"myweek": "🗓️ أيامك السبعة القادمة\n" +
			"\n" +
			"• \u2068الأربعاء، 2 ديسمبر 2026\u2069، \u206810:00\u2069–\u206812:00\u2069: \u2068A1 matin\u2069، القاعة \u20681\u2069، المعلم \u2068Marie Dupont\u2069\n" +
			"📅 موعد: \u2068الخميس، 3 ديسمبر 2026\u2069، \u206814:30\u2069 — \u2068مقابلة تقييم SIAO\u2069 — \u2068SIAO 75, 12 rue X\u2069\n" +
			"⏳ \u2068مطبخ الطابق 2\u2069: \u2068السبت، 5 ديسمبر 2026\u2069، \u206818:00\u2069–\u206820:00\u2069",
		"chores": "🧹 أدوارك في التنظيف\n" +
			"\n" +
			"هذا الأسبوع:\n" +
			"⏳ \u2068مطبخ الطابق 2\u2069: \u2068السبت، 5 ديسمبر 2026\u2069، \u206818:00\u2069–\u206820:00\u2069\n" +
			"\n" +
			"الأسبوع القادم:\n" +
			"⏳ \u2068مطبخ الطابق 2\u2069: \u2068السبت، 12 ديسمبر 2026\u2069، \u206818:00\u2069–\u206820:00\u2069",
		"classes": "📚 دروس اللغة الفرنسية الخاصة بك\n" +
			"\n" +
			"هذا الأسبوع:\n" +
			"• \u2068الأربعاء، 2 ديسمبر 2026\u2069، \u206810:00\u2069–\u206812:00\u2069: \u2068A1 matin\u2069، القاعة \u20681\u2069، المعلم \u2068Marie Dupont\u2069\n" +
			"\n" +
			"الأسبوع القادم:\n" +
			"• \u2068الأربعاء، 9 ديسمبر 2026\u2069، \u206810:00\u2069–\u206812:00\u2069: \u2068A1 matin\u2069، القاعة \u20681\u2069، المعلم \u2068Marie Dupont\u2069\n" +
			"\n" +
			"⏱ ساعات الفرنسية التي حضرتها: \u20680\u2069 من \u2068200\u2069.",
		"appointments": "📅 مواعيدك القادمة:\n" +
			"\n" +
			"📌 نوع الموعد: \u2068مقابلة تقييم SIAO\u2069\n" +
			"🕒 الوقت: \u2068الخميس، 3 ديسمبر 2026 في 14:30\u2069\n" +
			"📍 المكان: \u2068SIAO 75, 12 rue X\u2069\n" +
			"📄 أحضر هذه الأوراق:\n" +
			"• بطاقة الإقامة (titre de séjour)\n" +
			"\n" +
			"هل ستأتي؟ من فضلك أجب بزر.",
		"news": "📢 آخر الإعلانات:\n" +
			"\n" +
			"🗓️ \u2068الثلاثاء، 1 ديسمبر 2026\u2069\n" +
			"\u2068Ce soir, repas partagé dans la salle commune à 19 h.\u2069",
		"class.reminder": "⏰ درس اللغة الفرنسية الساعة \u206810:00\u2069 (\u2068الأربعاء، 2 ديسمبر 2026\u2069): \u2068A1 matin\u2069، القاعة \u20681\u2069. حضور الدروس إلزامي.",
		"interview.reminder": "⏰ تذكير: لديك موعد.\n" +
			"📌 نوع الموعد: \u2068مقابلة تقييم SIAO\u2069\n" +
			"🕒 الوقت: \u2068الخميس، 3 ديسمبر 2026 في 14:30\u2069\n" +
			"📍 المكان: \u2068SIAO 75, 12 rue X\u2069\n" +
			"📄 أحضر هذه الأوراق:\n" +
			"• بطاقة الإقامة (titre de séjour)\n" +
			"\n" +
			"هل ستأتي؟ من فضلك أجب بزر.",
		"interview.notice.buttons": "✅ سأحضر\n" +
			"🙋 أحتاج إلى مساعدة\n" +
			"❌ لا أستطيع الحضور",
		"balance.buttons": "",
		"myweek.buttons":  "",
		"chores.buttons": "🔄 تبديل: \u2068مطبخ الطابق 2\u2069، \u2068السبت\u2069\n" +
			"🔄 تبديل: \u2068مطبخ الطابق 2\u2069، \u2068السبت\u2069",
		"classes.buttons": "",
		"appointments.buttons": "✅ سأحضر\n" +
			"🙋 أحتاج إلى مساعدة\n" +
			"❌ لا أستطيع الحضور",
		"news.buttons": "",
		"interview.reminder.buttons": "✅ سأحضر\n" +
			"🙋 أحتاج إلى مساعدة\n" +
			"❌ لا أستطيع الحضور",
	},
	"ti": {
		"rota.monday": "🧹 ናይዚ ሰሙን ተራታት ምጽራይኩም:\n" +
			"⏳ ክሽነ 2ይ ደርቢ: ሰንበት፣ 6 ታሕሳስ 2026፣ 18:00–20:00",
		"statement": "📅 ክፍሊትኩም ናይ ወርሒ ታሕሳስ: €45.00።\n" +
			"🔴 ገና €67.50 ክትከፍሉ ኣለኩም።\n" +
			"ዝርዝር ንምርኣይ /balance ስደዱ።",
		"receipt": "🧾 ቅብሊት R-2026-000004\n" +
			"እቲ ማእከል ካባኹም €50.00 ተቐቢሉ። ዕለት: ሰሉስ፣ 1 ታሕሳስ 2026። የቐንየልና!\n" +
			"🔴 ገና €17.50 ክትከፍሉ ኣለኩም።",
		"interview.notice": "📅 ንገዛኹም ሓድሽ ቆጸራ ኣለኩም:\n" +
			"📌 ናይ SIAO ገምጋሚ ቃለ-መሕትት\n" +
			"🕒 መዓስ: ሓሙስ፣ 3 ታሕሳስ 2026 14:30\n" +
			"📍 ኣበይ: SIAO 75, 12 rue X\n" +
			"📄 እዞም ሰነዳት ሒዝኩም ምጹ:\n" +
			"• ፍቓድ መንበሪ (titre de séjour)\n" +
			"\n" +
			"ክትመጹ ዲኹም? በጃኹም ብመጠወቒ መልሱ።",
		"balance": "💶 ወርሓዊ ክፍሊትኩም\n" +
			"ነፍሲ ወከፍ ወርሒ: €45.00\n" +
			"ክሳብ ሕጂ ዝግባእ: €67.50\n" +
			"ክሳብ ሕጂ ዝተኸፍለ: €50.00\n" +
			"🔴 ገና €17.50 ክትከፍሉ ኣለኩም።\n" +
			"\n" +
			"🧾 ናይ መወዳእታ መዝገባት:\n" +
			"01/12/2026 — ዝተኸፍለ፣ ቅብሊት R-2026-000004: €50.00\n" +
			"01/12/2026 — ናይ ታሕሳስ ዝግባእ: €45.00\n" +
			"01/12/2026 — ናይ ሕዳር ዝግባእ: €22.50\n" +
			"\n" +
			"📅 ዝቕጽል ክፍሊት: €45.00፣ ዕለት ዓርቢ፣ 1 ጥሪ 2027።\n" +
			"ክፍሊት ኣብ ቤት ጽሕፈት ማእከል ይኸፈል። ነፍሲ ወከፍ ግዜ ኣብዚ ቅብሊት ትረኽቡ።",
		"myweek": "🗓️ ዝመጽእ 7 መዓልትኹም\n" +
			"\n" +
			"• ረቡዕ፣ 2 ታሕሳስ 2026፣ 10:00–12:00: A1 matin፣ ክፍሊ 1፣ መምህር Marie Dupont\n" +
			"📅 ሓሙስ፣ 3 ታሕሳስ 2026፣ 14:30: ናይ SIAO ገምጋሚ ቃለ-መሕትት — SIAO 75, 12 rue X\n" +
			"⏳ ክሽነ 2ይ ደርቢ: ሰንበት፣ 6 ታሕሳስ 2026፣ 18:00–20:00",
		"chores": "🧹 ናትኩም ተራታት ምጽራይ\n" +
			"\n" +
			"እዚ ሰሙን:\n" +
			"⏳ ክሽነ 2ይ ደርቢ: ሰንበት፣ 6 ታሕሳስ 2026፣ 18:00–20:00\n" +
			"\n" +
			"ዝመጽእ ሰሙን:\n" +
			"⏳ ክሽነ 2ይ ደርቢ: ሰንበት፣ 13 ታሕሳስ 2026፣ 18:00–20:00",
		"classes": "📚 ትምህርቲ ፈረንሳይኛኹም\n" +
			"\n" +
			"ኣብዚ ሰሙን:\n" +
			"• ረቡዕ፣ 2 ታሕሳስ 2026፣ 10:00–12:00: A1 matin፣ ክፍሊ 1፣ መምህር Marie Dupont\n" +
			"\n" +
			"ዝመጽእ ሰሙን:\n" +
			"• ረቡዕ፣ 9 ታሕሳስ 2026፣ 10:00–12:00: A1 matin፣ ክፍሊ 1፣ መምህር Marie Dupont\n" +
			"\n" +
			"⏱ ዝተመሃርኩምዎ ሰዓታት ፈረንሳይኛ: 0 ካብ 200።",
		"appointments": "📅 ዝመጽእ ቆጸራታትኩም:\n" +
			"\n" +
			"📌 ናይ SIAO ገምጋሚ ቃለ-መሕትት\n" +
			"🕒 መዓስ: ሓሙስ፣ 3 ታሕሳስ 2026 14:30\n" +
			"📍 ኣበይ: SIAO 75, 12 rue X\n" +
			"📄 እዞም ሰነዳት ሒዝኩም ምጹ:\n" +
			"• ፍቓድ መንበሪ (titre de séjour)\n" +
			"\n" +
			"ክትመጹ ዲኹም? በጃኹም ብመጠወቒ መልሱ።",
		"news": "📢 ናይ መወዳእታ ምልክታታት:\n" +
			"\n" +
			"🗓️ ሰሉስ፣ 1 ታሕሳስ 2026\n" +
			"Ce soir, repas partagé dans la salle commune à 19 h.",
		"class.reminder": "⏰ ትምህርቲ ፈረንሳይኛ ሰዓት 10:00 (ረቡዕ፣ 2 ታሕሳስ 2026): A1 matin፣ ክፍሊ 1። ናብ ትምህርቲ ምኻድ ግዴታ እዩ።",
		"interview.reminder": "⏰ መዘኻኸሪ: ቆጸራ ኣለኩም።\n" +
			"📌 ናይ SIAO ገምጋሚ ቃለ-መሕትት\n" +
			"🕒 መዓስ: ሓሙስ፣ 3 ታሕሳስ 2026 14:30\n" +
			"📍 ኣበይ: SIAO 75, 12 rue X\n" +
			"📄 እዞም ሰነዳት ሒዝኩም ምጹ:\n" +
			"• ፍቓድ መንበሪ (titre de séjour)\n" +
			"\n" +
			"ክትመጹ ዲኹም? በጃኹም ብመጠወቒ መልሱ።",
		"interview.notice.buttons": "✅ ክመጽእ እየ\n" +
			"🙋 ሓገዝ የድልየኒ\n" +
			"❌ ክመጽእ ኣይክእልን",
		"balance.buttons": "",
		"myweek.buttons":  "",
		"chores.buttons": "🔄 ምቕያር: ክሽነ 2ይ ደርቢ፣ ሰንበት\n" +
			"🔄 ምቕያር: ክሽነ 2ይ ደርቢ፣ ሰንበት",
		"classes.buttons": "",
		"appointments.buttons": "✅ ክመጽእ እየ\n" +
			"🙋 ሓገዝ የድልየኒ\n" +
			"❌ ክመጽእ ኣይክእልን",
		"news.buttons": "",
		"interview.reminder.buttons": "✅ ክመጽእ እየ\n" +
			"🙋 ሓገዝ የድልየኒ\n" +
			"❌ ክመጽእ ኣይክእልን",
	},
}

// screensAreas are two chore areas with a label in each language of the
// test; their turns (Friday to Sunday) fall after the week's other
// messages, so that no chore reminder comes in between.
const screensAreas = `kind,key,name,days,start,end,label_fr,label_fa-AF,label_ar,label_ti
area,kitchen-2,Kitchen floor 2,fri sat sun,18:00,20:00,Cuisine 2e étage,آشپزخانهٔ منزل دوم,مطبخ الطابق 2,ክሽነ 2ይ ደርቢ
area,courtyard,Courtyard,sat,10:00,12:00,Cour,حویلی,الفناء,ቀጽሪ
`

// TestAWeekOfScreensWrittenOut: four residents, one per language, live a
// week of the centre from Friday 27 November 2026; every message they get
// and every screen they open is compared whole to its literal text.
func TestAWeekOfScreensWrittenOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, atScreensStart)
	// The Monday job a starting leader runs once (no areas yet: it does
	// nothing), so that it does not run in the middle of the test.
	h.tg.WaitFor(t, 30*time.Second, "the chores job run at start", func() bool {
		return len(h.jobs("chores_weekly", rivertype.JobStateCompleted)) > 0
	})
	staffU := telegramtest.User{ID: 64001, LanguageCode: "fr"}
	_, staffN := h.signUp(staffU, store.RoleStaff, "Claire D.", "fr")
	coord, _ := h.addPerson(store.RoleCoordinator, "Marie D.", "", "fr")

	type resident struct {
		lang string
		u    telegramtest.User
		p    store.Person
		n    int // messages in his chat so far
	}
	var rs []*resident
	members, enrolments := "", ""
	for i, l := range screensLangs {
		r := &resident{lang: l.tag, u: telegramtest.User{ID: 65001 + int64(i), LanguageCode: l.tgCode}}
		r.p, r.n = h.signUp(r.u, store.RoleResident, l.name, l.tag)
		ext := fmt.Sprintf("R-%d", i+1)
		clsExternalID(h, r.p, ext)
		balContribution(h, r.p, store.BasisFixed, 4500)
		balArrived(h, r.p, time.Date(2026, 11, 16, 12, 0, 0, 0, storetest.Paris))
		members += fmt.Sprintf("member,#%d,,,,,,,,\n", r.p.ID)
		enrolments += fmt.Sprintf("enrolment,,G-A1M,,,,,,,,%s,200\n", ext)
		rs = append(rs, r)
	}
	choreImport(h, screensAreas+members)
	clsImport(h, `group,G-A1M,,A1,A1 matin,,,,,,,
session,S-WED,G-A1M,,,wednesday,10:00,12:00,Salle 1,Marie Dupont,,
`+enrolments)

	// next waits for a resident's next message and returns its text.
	next := func(r *resident) telegramtest.SentMessage {
		t.Helper()
		r.n++
		return h.waitText(r.u, r.n)
	}
	is := func(r *resident, screen, got string) { t.Helper(); screenIs(t, r.lang, screen, got, screensWeek) }
	// withButtons checks a message's text and the labels of its buttons.
	withButtons := func(r *resident, screen string, m telegramtest.SentMessage) {
		t.Helper()
		is(r, screen, m.Text)
		is(r, screen+".buttons", screensButtons(m))
	}

	// Monday 30 November, 08:00: the week's rota.
	h.setClock(time.Date(2026, 11, 30, 8, 0, 0, 0, storetest.Paris))
	choreRunWeekly(h, "2026-11-30")
	for _, r := range rs {
		is(r, "rota.monday", next(r).Text)
	}

	// Tuesday 1 December, 09:00: the month's charges, then at 10:00 a
	// payment at the desk.
	h.setClock(time.Date(2026, 12, 1, 9, 0, 0, 0, storetest.Paris))
	balRunCharges(h)
	for _, r := range rs {
		is(r, "statement", next(r).Text)
	}
	h.setClock(time.Date(2026, 12, 1, 10, 0, 0, 0, storetest.Paris))
	for _, r := range rs {
		if _, err := balStore(h).RecordPayment(ctx, store.NewPayment{
			CentreID: r.p.CentreID, PersonID: r.p.ID, Cents: 5000, At: h.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		is(r, "receipt", next(r).Text)
	}

	// The class planner queues Wednesday's reminders; the coordinator
	// books each an interview on Thursday 3 December at 14:30, reminded a
	// day before.
	if _, err := h.app.Jobs().Insert(ctx, handlers.ClassPlanArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	interview := time.Date(2026, 12, 3, 14, 30, 0, 0, storetest.Paris)
	for _, r := range rs {
		if _, err := balStore(h).CreateAppointment(ctx, store.NewAppointment{CentreID: r.p.CentreID, PersonID: r.p.ID,
			CoordinatorID: coord.ID, Kind: store.KindSIAO, At: interview, Place: "SIAO 75, 12 rue X", Documents: []string{"permit"}},
			[]store.ReminderSpec{{Kind: store.ReminderToResident, Offset: 24 * time.Hour}}, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		withButtons(r, "interview.notice", next(r))
	}

	// Staff announce a meal to everyone.
	const meal = "Ce soir, repas partagé dans la salle commune à 19 h."
	h.tg.SendText(staffU, "/announce")
	annStep(h, staffU, staffN+1, "ann:aud:all:")
	annStep(h, staffU, staffN+2, "ann:free:")
	h.tg.SendText(staffU, meal)
	preview := h.waitText(staffU, staffN+4)
	h.tg.PressButton(staffU, preview.ID, annButton(t, preview, "ann:send:"))
	annWaitReport(h, staffU, staffN+5)
	for _, r := range rs {
		if got := next(r).Text; got != meal {
			t.Errorf("%s announcement = %q", r.lang, got)
		}
	}
	h.settle()

	// The screens, on Tuesday 1 December at 10:00.
	for _, r := range rs {
		for _, c := range []struct{ screen, command string }{
			{"balance", "/balance"}, {"myweek", "/week"}, {"chores", "/chores"}, {"classes", "/classes"},
			{"appointments", "/appointments"}, {"news", "/news"},
		} {
			h.tg.SendText(r.u, c.command)
			withButtons(r, c.screen, next(r))
		}
	}

	// Wednesday 2 December, 09:00: the class reminder; at 14:30, the
	// interview reminder.
	h.setClock(time.Date(2026, 12, 2, 9, 0, 0, 0, storetest.Paris))
	for _, r := range rs {
		is(r, "class.reminder", next(r).Text)
	}
	h.setClock(time.Date(2026, 12, 2, 14, 30, 0, 0, storetest.Paris))
	for _, r := range rs {
		withButtons(r, "interview.reminder", next(r))
	}
	for _, r := range rs {
		h.quiet(r.u, r.n)
	}
}
