package telegramtest

import "testing"

// TestChatOfUpdate: the chat an update is ordered by, read from its ids
// alone, as the whole update read through models.Update gives it.
func TestChatOfUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want int64
	}{
		{"message", `{"update_id":1,"message":{"message_id":3,"date":1,"chat":{"id":42,"type":"private"},"text":"hi"}}`, 42},
		{"edited message", `{"update_id":1,"edited_message":{"message_id":3,"date":1,"chat":{"id":43,"type":"private"}}}`, 43},
		{"channel post", `{"update_id":1,"channel_post":{"message_id":3,"date":1,"chat":{"id":-100,"type":"channel"}}}`, -100},
		{"button under its message", `{"update_id":1,"callback_query":{"id":"q","from":{"id":7},"data":"x","message":{"message_id":3,"date":1,"chat":{"id":44,"type":"private"},"reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}}}}`, 44},
		{"button under an inaccessible message", `{"update_id":1,"callback_query":{"id":"q","from":{"id":7},"data":"x","message":{"message_id":3,"date":0,"chat":{"id":44,"type":"private"}}}}`, 7},
		{"button without its message", `{"update_id":1,"callback_query":{"id":"q","from":{"id":8},"inline_message_id":"i"}}`, 8},
		{"no chat", `{"update_id":1}`, 0},
		{"not JSON", `{`, 0},
	}
	for _, tt := range tests {
		if got := chatOfUpdate([]byte(tt.raw)); got != tt.want {
			t.Errorf("%s: chat %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestMaxCallsKeepsTheLast: with MaxCalls, readers see exactly the last
// MaxCalls calls, in order, however many came before (the slice is
// trimmed only now and then).
func TestMaxCallsKeepsTheLast(t *testing.T) {
	t.Parallel()
	s := &Server{opts: Options{MaxCalls: 3}}
	for i := 1; i <= 10; i++ {
		s.mu.Lock()
		s.recordLocked(Call{Method: "getMe", Params: map[string]string{"n": string(rune('0' + i%10))}}, 200)
		got := len(s.keptCallsLocked())
		s.mu.Unlock()
		if want := min(i, 3); got != want {
			t.Fatalf("after %d calls %d kept, want %d", i, got, want)
		}
	}
	calls := s.CallsTo("getme")
	if len(calls) != 3 || calls[0].Params["n"] != "8" || calls[2].Params["n"] != "0" {
		t.Fatalf("kept %+v, want the calls 8, 9, 10", calls)
	}
	if len(s.calls) >= 6 {
		t.Fatalf("%d calls held for MaxCalls 3", len(s.calls))
	}
}
