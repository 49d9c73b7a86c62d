#!/usr/bin/env bash
# make add-string ID=balance.title TEXT="💶 Your balance"
# Adds a message to every language file at once: the English text in
# locales/en.toml, and the same text marked "# untranslated" in the eleven
# others, so the bot still shows something while the completeness test (make
# test) lists what is left to translate. See docs/LANGUAGES.md.
set -euo pipefail
cd "$(dirname "$0")/.."
id=${1:-}; text=${2:-}
if ! [[ "$id" =~ ^[a-z0-9_]+(\.[a-z0-9_-]+)+$ ]]; then
  echo "usage: make add-string ID=feature.name TEXT=\"English text\" (ID like balance.title)" >&2; exit 2
fi
if [ -z "$text" ]; then echo "TEXT is empty" >&2; exit 2; fi
if grep -q "^\[\"$id\"\]" locales/*.toml; then echo "$id already exists" >&2; exit 2; fi
esc=${text//\\/\\\\}; esc=${esc//\"/\\\"}
for f in locales/*.toml; do
  name=$(basename "$f" .toml)
  [[ "$name" == *.* ]] && continue   # feature files under construction: skip
  if [ "$name" = en ]; then
    printf '\n["%s"]\nother = "%s"\n' "$id" "$esc" >> "$f"
  else
    printf '\n# untranslated\n["%s"]\nother = "%s"\n' "$id" "$esc" >> "$f"
  fi
done
echo "added $id to $(ls locales/*.toml | wc -l) files; now translate it (docs/LANGUAGES.md)"
