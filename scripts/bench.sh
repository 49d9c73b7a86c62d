#!/usr/bin/env bash
# make bench — the real cairbot binary in webhook mode, with its default
# settings, real PostgreSQL and Redis and a centre of 200 linked residents,
# against the fake Telegram in a process of its own, with a bare
# go-telegram/bot echo bot measured in the same run as the floor
# (scripts/bench/cairbench). Writes the figures into docs/BENCHMARKS.md,
# above the marker; what follows the marker is kept as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=bin/bench
mkdir -p "$out"
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
  echo "($model), $($GO version | cut -d' ' -f3); the run took ${took} s. The machine is shared:"
  echo "load average (1, 5, 15 min) ${load_before} before the run, ${load_after} after."
  echo
  echo "What runs: the fake Telegram (\`cmd/faketelegram\`, the project's \`bot/telegramtest\`)"
  echo "in a process of its own; a bare go-telegram/bot echo bot (\`scripts/bench/echobot\`,"
  echo "webhook mode, the library's defaults, one \`sendMessage\` per text); then the real"
  echo "\`cairbot run\` binary in webhook mode with every setting at its default (pacing 1"
  echo "message a second per chat with a burst of 3, \`WORKERS\` 16, webhook \`max_connections\` 40),"
  echo "on PostgreSQL and Redis, with a centre seeded through cairbot's own commands: 200"
  echo "residents (\`import residents\`), all linked to Telegram, two class groups with five"
  echo "weekly sessions and every resident enrolled (\`import classes\`), six cleaning areas"
  echo "with every resident on the rota (\`import chores\`), a month of charges (\`money"
  echo "charges\`) and 20 payments (\`payment add\`). The fake answers every call at once and"
  echo "does not apply Telegram's 30-a-second global limit here: the figures are the bots'."
  echo "Each bot runs alone in its phase; the ratios compare runs made minutes apart on"
  echo "the same machine."
  echo
  echo "## The update path"
  echo
  cat "$figures"
  echo '## Not measured here yet'
  echo
  echo 'Of issue 13'\''s benchmark, `make bench` does not yet run: an attendance tap,'
  echo 'an open 1,000 updates/s, the 20,000-resident data set with two years of'
  echo 'history, the 2,000-recipient announcement (rate, 429s, duplicates,'
  echo 'progress), 1,000 reminders due in the same minute with two processes, and'
  echo '100 centres on one deployment. Profiles for the round-trip work:'
  echo '`PPROF_ADDR=127.0.0.1:6060` (README'\''s configuration table).'
  echo
  if [ -n "$kept" ]; then echo "$kept"; else echo "$marker"; fi
} > docs/BENCHMARKS.md.new
mv docs/BENCHMARKS.md.new docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md"
