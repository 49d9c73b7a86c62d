#!/usr/bin/env bash
# make i18n-apply LANG=ti — merges a translated locales/translate/ti.toml
# back into locales/ti.toml with `goi18n merge`, then checks completeness.
set -euo pipefail
cd "$(dirname "$0")/.."
lang=${1:?usage: make i18n-apply LANG=ti}
src="locales/translate/$lang.toml"
[ -f "$src" ] || { echo "no $src: run make i18n-translate LANG=$lang first" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
cp locales/en.toml "$tmp/en.toml"
awk '/^# untranslated$/{skip=1; next} skip && /^$/{skip=0; next} !skip' "locales/$lang.toml" > "$tmp/$lang.toml"
cp "$src" "$tmp/translate.$lang.toml"
go tool goi18n merge -sourceLanguage en -outdir "$tmp/out" "$tmp/en.toml" "$tmp/$lang.toml" "$tmp/translate.$lang.toml"
{ head -n 1 "locales/$lang.toml"; echo; cat "$tmp/out/active.$lang.toml"; } > "$tmp/new.toml"
mv "$tmp/new.toml" "locales/$lang.toml"
rm -f "$src"
go test -count=1 -run 'Complete|Plural|Templates' ./locales/
