package handlers

import "testing"

// TestOldButtonDataStillDecodes: buttons drawn before the actions were
// declared (already in people's chats) carry data their action takes, and
// the action draws the very same bytes again.
func TestOldButtonDataStillDecodes(t *testing.T) {
	for _, tc := range []struct {
		data string
		a    func(string) (string, error)
	}{
		{"att:e", codecOf(attEarlierAction)},
		{"att:o:qglj:20261207", codecOf(attOpenAction)},
		{"att:t:qglj:20261207:2n9c:c", codecOf(attTapAction)},
		{"att:p:qglj:20261207:1", codecOf(attPageAction)},
		{"att:s:qglj:20261207:c", codecOf(attSaveAction)},
		{"tt:m:qglj:20261207", codecOf(ttMoveAction)},
		{"tt:d:20261209", codecOf(ttDayAction)},
		{"tt:keep", codecOf(ttKeepAction)},
		{"tt:no", codecOf(ttNoAction)},
		{"chd:42", codecOf(choreDoneAction)},
		{"chs:pg:42:2", codecOf(choreSwapPageAction)},
		{"chs:p:42:7", codecOf(choreSwapToAction)},
		{"chx:y:9", codecOf(choreAcceptAction)},
		{"cha:n:9", codecOf(choreRefuseAction)},
		{"ars:t:ya:0", codecOf(areaToggleAction)},
		{"ars:d:7", codecOf(areaDayAction)},
		{"ars:ok", codecOf(areaSaveAction)},
	} {
		again, err := tc.a(tc.data)
		if err != nil || again != tc.data {
			t.Errorf("%q: drawn again as %q, %v", tc.data, again, err)
		}
	}
}

// codecOf decodes data with a and encodes the value again.
func codecOf[T any](a CallbackAction[T]) func(string) (string, error) {
	return func(data string) (string, error) {
		v, err := a.Parse(data)
		if err != nil {
			return "", err
		}
		return a.Data(v), nil
	}
}
