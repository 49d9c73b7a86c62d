package bot

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// DefaultMemoryLimitMiB keeps a bot process within the 60 MB that issue 13
// allows at its peak. A process starts at about 40 MB resident, of which
// some 25 MB are the binary's own pages (not the runtime's to manage), and
// the live heap of a busy centre is 10–15 MB (docs/BENCHMARKS.md). Without
// a limit, Go lets the heap grow to twice the live heap and returns freed
// pages to the system slowly, so a burst (a thousand staff opening their
// sheets at once) left the process at 78 MB for good. The limit is soft: Go
// collects more often as the runtime's memory nears it, and never spends
// more than about half the CPU on it, so a rare larger need (a big report)
// is slower, not refused.
const DefaultMemoryLimitMiB = 32

// ApplyMemoryLimit sets the runtime's soft memory limit from the
// configuration, unless GOMEMLIMIT (the Go runtime's own setting, which an
// operator may know better) is set.
//
// Without PPROF_ADDR nobody can read a heap profile, so the runtime stops
// recording one: its records (a sample every 512 KB allocated, by call
// stack) grew to about 2 MB of the process's memory under load, which the
// limit counts, leaving the heap that much less room before each
// collection (18 % fewer collections without them, docs/BENCHMARKS.md).
func ApplyMemoryLimit(cfg Config, log *slog.Logger) {
	if cfg.PprofAddr == "" {
		runtime.MemProfileRate = 0
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		log.Info("memory limit from GOMEMLIMIT", "limit", os.Getenv("GOMEMLIMIT"))
		return
	}
	if cfg.MemoryLimitMiB <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(cfg.MemoryLimitMiB) << 20)
}
