#!/usr/bin/env bash
# make bench — the real cairbot binary in webhook mode, with its default
# settings, real PostgreSQL and Redis and two data sets generated in SQL
# (200 and 20,000 residents with two years of history), against the fake
# Telegram in processes of their own, with a bare go-telegram/bot echo bot
# measured in the same run as the floor; then an announcement to one floor
# and reminders due at once with two cairbot processes
# (scripts/bench/cairbench; BENCH_ARGS passes it flags). Writes the figures into docs/BENCHMARKS.md,
# above the marker; what follows the marker is kept as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=bin/bench
mkdir -p "$out"
begin=$(date +%s)
echo "building cairbot, the echo bot, the fake Telegram and the load generator"
CGO_ENABLED=0 $GO build -trimpath -o "$out/cairbot" ./cmd/cairbot
$GO build -o "$out/echobot" ./scripts/bench/echobot
$GO build -o "$out/faketelegram" ./cmd/faketelegram
$GO build -o "$out/cairbench" ./scripts/bench/cairbench
figures=$(mktemp); trap 'rm -f "$figures"' EXIT
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086
"$out/cairbench" -cairbot "$out/cairbot" -echobot "$out/echobot" -fake "$out/faketelegram" ${BENCH_ARGS:-} > "$figures"
took=$(( $(date +%s) - start ))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
marker='<!-- measured by other commands: kept by make bench -->'
kept=$(sed -n "/^$marker\$/,\$p" docs/BENCHMARKS.md 2>/dev/null || true)
model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/ *$//')
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (scripts/bench.sh: builds the binaries, then runs"
  echo "\`scripts/bench/cairbench\`), $(date -u '+%Y-%m-%d %H:%M UTC'), on $(nproc) cores"
  echo "($model), $($GO version | cut -d' ' -f3); the whole of it took $(( $(date +%s) - begin )) s, of which"
  echo "the measures ${took} s (the rest: building the four binaries). The machine is shared:"
  echo "load average (1, 5, 15 min) ${load_before} before the run, ${load_after} after."
  echo
  echo "What runs: two fake Telegrams (\`cmd/faketelegram\`, the project's \`bot/telegramtest\`),"
  echo "each in a process of its own: one answers every call at once (the update path: the"
  echo "figures are the bots'), the other refuses with 429 what Telegram refuses (3 messages"
  echo "a second in a chat, 30 a second in all: the announcement and the reminders). A bare"
  echo "go-telegram/bot echo bot (\`scripts/bench/echobot\`, webhook mode, the library's"
  echo "defaults, one \`sendMessage\` per text); then the real \`cairbot run\` binary in webhook"
  echo "mode with every setting at its default (\`SEND_RATE_CHAT\` 1 a second per chat with a"
  echo "burst of 3, \`SEND_RATE_GLOBAL\` 25, \`WORKERS\` 16, webhook \`max_connections\` 40), on"
  echo "PostgreSQL and Redis, on each data set; then the announcement (one \`cairbot run\`)"
  echo "and the reminders (\`cairbot run\` + \`cairbot worker\`) on the 20,000-resident one."
  echo "Each bot runs alone in its phase; the ratios compare runs made minutes apart on"
  echo "the same machine, whose load (other work on it) is given above."
  echo
  cat "$figures"
  echo '## Not measured here'
  echo
  echo 'Of issue 13'\''s benchmark, `make bench` does not run 100 centres on one'
  echo 'deployment (a program of its own). Profiles: `PPROF_ADDR=127.0.0.1:6060`'
  echo '(README'\''s configuration table).'
  echo
  if [ -n "$kept" ]; then echo "$kept"; else echo "$marker"; fi
} > docs/BENCHMARKS.md.new
mv docs/BENCHMARKS.md.new docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md"
