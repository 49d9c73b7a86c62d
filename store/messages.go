package store

// Message ids of the outbox rows the store queues, written whole so that
// grep finds every use of a message. An unknown value (a bug) gives the
// value itself as id, which the localizer shows as it is, never a blank.

// ClassNoticeMessage is the message id of a resident's notice of a class
// change of kind ClassCancelled, ClassMoved or ClassRestored.
func ClassNoticeMessage(kind string) string {
	switch kind {
	case ClassCancelled:
		return "classes.cancelled_notice"
	case ClassMoved:
		return "classes.moved_notice"
	case ClassRestored:
		return "classes.restored_notice"
	}
	return kind
}

// EnrolNoticeMessage is the message id of a resident's notice of an
// enrolment change (EnrolIn, EnrolHours, EnrolOut).
func EnrolNoticeMessage(change string) string {
	switch change {
	case EnrolIn:
		return "enrol.notice_in"
	case EnrolHours:
		return "enrol.notice_hours"
	case EnrolOut:
		return "enrol.notice_out"
	}
	return change
}

// choreReminderMessage is the message id of a resident's reminder of his
// turn (ChoreEve, ChoreMorning).
func choreReminderMessage(what string) string {
	switch what {
	case ChoreEve:
		return "chores.reminder.eve"
	case ChoreMorning:
		return "chores.reminder.morning"
	}
	return what
}
