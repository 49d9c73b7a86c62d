package bot

import "runtime/debug"

// Version is the release this binary was built from, set at build time:
//
//	go build -ldflags "-X github.com/aurore/cairbot/bot.Version=v1.2.0" ./cmd/cairbot
//
// (`make build` and the Dockerfile do). Left empty, BuildVersion falls back
// on what the Go toolchain recorded.
var Version = ""

// BuildVersion says which build is running: Version when set, else the
// VCS revision Go stamped into the binary (with "+dirty" for uncommitted
// changes), else the module version, else "dev".
func BuildVersion() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionFrom(info)
}

func versionFrom(info *debug.BuildInfo) string {
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return rev + dirty
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return "dev"
}
