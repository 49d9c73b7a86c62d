package bot

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // a variable name the error must name; "" = valid
	}{
		{"defaults are valid", nil, ""},
		{"webhook without secret", map[string]string{"WEBHOOK_URL": "https://x.example/hook"}, "WEBHOOK_SECRET"},
		{"bad secret", map[string]string{"WEBHOOK_URL": "https://x.example/hook", "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET"},
		{"webhook ok", map[string]string{"WEBHOOK_URL": "https://x.example/hook", "WEBHOOK_SECRET": "abc_DEF-1"}, ""},
		{"bad tz", map[string]string{"TZ": "Mars/Olympus"}, "TZ"},
		{"bad language", map[string]string{"DEFAULT_LANGUAGE": "uk"}, "DEFAULT_LANGUAGE"},
		{"bad db", map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"bad redis", map[string]string{"REDIS_URL": "localhost:6379"}, "REDIS_URL"},
		{"bad duration", map[string]string{"INVITE_TTL": "two weeks"}, "INVITE_TTL"},
		{"rate over telegram's", map[string]string{"SEND_RATE_GLOBAL": "30"}, "SEND_RATE_GLOBAL"},
		{"chat rate of zero", map[string]string{"SEND_RATE_CHAT": "0"}, "SEND_RATE_CHAT"},
		{"chat rate not a number", map[string]string{"SEND_RATE_CHAT": "fast"}, "SEND_RATE_CHAT"},
		{"bad bool", map[string]string{"MIGRATE_ON_START": "maybe"}, "MIGRATE_ON_START"},
		{"json logs", map[string]string{"LOG_FORMAT": "json"}, ""},
		{"unknown log format", map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if cfg.Location == nil || cfg.Location.String() != "Europe/Paris" {
					t.Fatalf("location = %v", cfg.Location)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v does not name %s", err, tt.wantErr)
			}
		})
	}
	if err := (Config{}).RequireToken(); err == nil || !strings.Contains(err.Error(), "TELEGRAM_TOKEN") {
		t.Fatalf("missing token: %v", err)
	}
}

func TestSendRateChat(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]int{"": 1, "2": 2, " 29 ": 29} {
		cfg, err := FromEnv(func(k string) string { return map[string]string{"SEND_RATE_CHAT": env}[k] })
		if err != nil || cfg.ChatPerSecond != want {
			t.Errorf("SEND_RATE_CHAT=%q → %d a second, %v; want %d", env, cfg.ChatPerSecond, err, want)
		}
	}
}
