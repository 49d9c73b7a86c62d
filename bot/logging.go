package bot

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger is the process's logger: text lines by default, one JSON object
// a line with format "json" (LOG_FORMAT), for a log collector. level is
// LOG_LEVEL (debug, info, warn, error; info when empty or unknown).
//
// What is logged never names a person: update ids, kinds, internal person
// ids, roles and errors only (the log middleware, pipeline.go; a test
// checks it).
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(level))); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if strings.TrimSpace(format) == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
