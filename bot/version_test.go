package bot

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	cases := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"vcs revision", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "c33ceb8a1b2c3d4e5f60718293a4b5c6d7e8f901"}, {Key: "vcs.modified", Value: "false"}}}, "c33ceb8a1b2c"},
		{"uncommitted changes", debug.BuildInfo{Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "c33ceb8a1b2c3d4e"}, {Key: "vcs.modified", Value: "true"}}}, "c33ceb8a1b2c+dirty"},
		{"module version (go install …@v1.2.0)", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"nothing recorded", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := versionFrom(&c.info); got != c.want {
				t.Fatalf("versionFrom = %q, want %q", got, c.want)
			}
		})
	}
}

func TestVersionSetAtBuildTimeWins(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.9.9"
	if got := BuildVersion(); got != "v9.9.9" {
		t.Fatalf("BuildVersion = %q", got)
	}
}

// The logger writes text lines by default and JSON objects with
// LOG_FORMAT=json, at LOG_LEVEL.
func TestLoggerFormats(t *testing.T) {
	cases := []struct {
		format, level string
		want          string // the line logged by Info("started", "n", 1)
	}{
		{"", "", `level=INFO msg=started n=1`},
		{"text", "debug", `level=INFO msg=started n=1`},
		{"json", "", `"level":"INFO","msg":"started","n":1}`},
		{"json", "warn", ``},
	}
	for _, c := range cases {
		var b strings.Builder
		NewLogger(&b, c.format, c.level).Info("started", "n", 1)
		if c.want == "" && b.Len() != 0 || !strings.Contains(b.String(), c.want) {
			t.Errorf("LOG_FORMAT=%q LOG_LEVEL=%q wrote %q, want %q", c.format, c.level, b.String(), c.want)
		}
	}
}
