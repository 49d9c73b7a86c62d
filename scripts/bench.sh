#!/usr/bin/env bash
# make bench — runs the benchmarks and writes docs/BENCHMARKS.md with the
# figures and the command that produced them. Fails when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd="go test -run '^\$' -bench . -benchmem -count 1 ./bot/ ./locales/"
out=$(mktemp); trap 'rm -f "$out"' EXIT
echo "running: $cmd"
eval "$cmd" | tee "$out"
rt=$(awk '/BenchmarkUpdateRoundTrip/ { for (i=1;i<=NF;i++) if ($(i+1)=="updates/s") print int($i) }' "$out")
rtmem=$(awk '/BenchmarkUpdateRoundTrip/ { for (i=1;i<=NF;i++) if ($(i+1)=="B/op") print int($i) }' "$out")
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (scripts/bench.sh), which runs:"
  echo
  echo '```'
  echo "$cmd"
  echo '```'
  echo
  echo "on $(nproc) cores, $(date -u +%Y-%m-%d), $(go version | cut -d' ' -f3)."
  echo
  echo "## Targets"
  echo
  echo "| what | target | measured |"
  echo "|---|---|---|"
  echo "| one update through the whole bot (fake Telegram, PostgreSQL, Redis, 200 residents) | ≥ 300 updates/s on 2 cores — ten times Telegram's 30 messages/s outgoing ceiling | ${rt} updates/s |"
  echo "| memory per update round trip (fake server included) | ≤ 512 KB allocated | ${rtmem} B |"
  echo
  echo "## Raw output"
  echo
  echo '```'
  grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$out"
  echo '```'
} > docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md"
if [ "${rt:-0}" -lt 300 ] || [ "${rtmem:-999999999}" -gt 524288 ]; then
  echo "target missed: ${rt} updates/s, ${rtmem} B/op" >&2; exit 1
fi
