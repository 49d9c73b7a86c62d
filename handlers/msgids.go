package handlers

import "github.com/aurore/cairbot/store"

// Message ids chosen by a value from data (a state, a kind, an answer),
// written whole so that grep finds every use of a message. An unknown
// value (a bug) gives the value itself as id, which the localizer shows as
// it is, never a blank.

// roleMessage names a role.
func roleMessage(role store.Role) string {
	switch role {
	case store.RoleResident:
		return "role.resident"
	case store.RoleStaff:
		return "role.staff"
	case store.RoleCoordinator:
		return "role.coordinator"
	case store.RoleAdmin:
		return "role.admin"
	}
	return string(role)
}

// choreLineMessage is a turn's line in the resident's own list.
func choreLineMessage(state string) string {
	switch state {
	case store.ChorePending:
		return "chores.line.pending"
	case store.ChoreDone:
		return "chores.line.done"
	case store.ChoreMissed:
		return "chores.line.missed"
	}
	return state
}

// rotaLineMessage is a turn's line in the staff rota.
func rotaLineMessage(state string) string {
	switch state {
	case store.ChorePending:
		return "chores.rota.line.pending"
	case store.ChoreDone:
		return "chores.rota.line.done"
	case store.ChoreMissed:
		return "chores.rota.line.missed"
	}
	return state
}

// apptKindMessage names an appointment kind.
func apptKindMessage(kind string) string {
	switch kind {
	case store.KindSIAO:
		return "appointments.kind.siao"
	case store.KindLandlord:
		return "appointments.kind.landlord"
	case store.KindVisit:
		return "appointments.kind.visit"
	case store.KindLease:
		return "appointments.kind.lease"
	case store.KindCommittee:
		return "appointments.kind.committee"
	case store.KindOther:
		return "appointments.kind.other"
	}
	return kind
}

// apptDocMessage names a document to bring (store.AppointmentDocuments).
func apptDocMessage(doc string) string {
	switch doc {
	case "permit":
		return "appointments.doc.permit"
	case "tax":
		return "appointments.doc.tax"
	case "income":
		return "appointments.doc.income"
	case "number":
		return "appointments.doc.number"
	case "id":
		return "appointments.doc.id"
	case "rib":
		return "appointments.doc.rib"
	case "other":
		return "appointments.doc.other"
	}
	return doc
}

// apptAnswerMessage is a resident's answer, quoted in a sentence.
func apptAnswerMessage(answer string) string {
	switch answer {
	case store.AnswerYes:
		return "appointments.answer_yes"
	case store.AnswerHelp:
		return "appointments.answer_help"
	case store.AnswerNo:
		return "appointments.answer_no"
	}
	return answer
}

// apptAnsweredMessage thanks the resident for his answer.
func apptAnsweredMessage(answer string) string {
	switch answer {
	case store.AnswerYes:
		return "appointments.answered_yes"
	case store.AnswerHelp:
		return "appointments.answered_help"
	case store.AnswerNo:
		return "appointments.answered_no"
	}
	return answer
}

// apptStatusMessage is the resident's answer as staff read it; "" is no
// answer yet.
func apptStatusMessage(answer string) string {
	switch answer {
	case "":
		return "appointments.status.none"
	case store.AnswerYes:
		return "appointments.status.yes"
	case store.AnswerHelp:
		return "appointments.status.help"
	case store.AnswerNo:
		return "appointments.status.no"
	}
	return answer
}

// timetableDoneMessage confirms a class change to the coordinator.
func timetableDoneMessage(kind string) string {
	switch kind {
	case store.ClassCancelled:
		return "timetable.done_cancelled"
	case store.ClassMoved:
		return "timetable.done_moved"
	case store.ClassRestored:
		return "timetable.done_restored"
	}
	return kind
}

// residentAskDateMessage asks the date of an arrival or a departure.
func residentAskDateMessage(act string) string {
	switch act {
	case store.ChangeArrive:
		return "residents.ask_date_arrive"
	case store.ChangeLeave:
		return "residents.ask_date_leave"
	}
	return act
}

// residentConfirmMessage asks to confirm a change of status.
func residentConfirmMessage(act string) string {
	switch act {
	case store.ChangeArrive:
		return "residents.confirm_arrive"
	case store.ChangeLeave:
		return "residents.confirm_leave"
	case store.ChangeAway:
		return "residents.confirm_away"
	case store.ChangeBack:
		return "residents.confirm_back"
	}
	return act
}

// announceAskMessage asks staff for a template parameter.
func announceAskMessage(param string) string {
	switch param {
	case paramDate:
		return "announce.ask_date"
	case paramTime:
		return "announce.ask_time"
	case paramFrom:
		return "announce.ask_from"
	case paramTo:
		return "announce.ask_to"
	case paramPlace:
		return "announce.ask_place"
	}
	return param
}
