package handlers

import (
	"errors"

	"github.com/aurore/cairbot/locales"
)

// Amounts are read by locales.ParseAmount, the one reader of typed euros
// (the payment and contribution screens, the residents file, `cairbot payment add`); these
// names keep the screens and the error table (errors.go) as they read.
const MaxAmount = locales.MaxAmount

var (
	ErrAmountUnreadable = locales.ErrAmountUnreadable
	ErrAmountZero       = locales.ErrAmountZero
	ErrAmountNegative   = locales.ErrAmountNegative
	ErrAmountTooLarge   = locales.ErrAmountTooLarge
)

// ParseAmount is locales.ParseAmount.
func ParseAmount(s string) (int64, error) { return locales.ParseAmount(s) }

// amountError turns a parse failure into the message the user sees, in
// his language, with an example written his language's way.
func amountError(loc *locales.Localizer, err error) error {
	if _, ok := MessageOf(err); ok {
		return err // zero, negative: see errorMessages
	}
	switch {
	case errors.Is(err, ErrAmountTooLarge):
		return Fail("balance.amount_too_large", "Max", loc.F.Money(MaxAmount))
	}
	return Fail("balance.amount_unreadable", "Example", loc.F.Money(1250))
}
