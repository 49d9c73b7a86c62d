#!/usr/bin/env bash
# make i18n-translate LANG=ti — writes locales/translate/ti.toml: the
# messages the language lacks or still has in English (marked untranslated),
# with their English text, made by go-i18n's own `goi18n merge`. A volunteer
# fills in that file only; `make i18n-apply LANG=ti` puts it back.
set -euo pipefail
cd "$(dirname "$0")/.."
lang=${1:?usage: make i18n-translate LANG=ti}
[ -f "locales/$lang.toml" ] || { echo "no locales/$lang.toml" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out" locales/translate
cp locales/en.toml "$tmp/en.toml"
# Drop the English placeholders so goi18n sees them as missing.
awk '/^# untranslated$/{skip=1; next} skip && /^$/{skip=0; next} !skip' "locales/$lang.toml" > "$tmp/$lang.toml"
go tool goi18n merge -sourceLanguage en -outdir "$tmp/out" "$tmp/en.toml" "$tmp/$lang.toml"
if [ -s "$tmp/out/translate.$lang.toml" ]; then
  cp "$tmp/out/translate.$lang.toml" "locales/translate/$lang.toml"
  echo "to translate: locales/translate/$lang.toml ($(grep -c '^\[' "locales/translate/$lang.toml") messages)"
else
  echo "$lang: nothing to translate"
fi
