#!/usr/bin/env bash
# Render an e2e config template: replace @NAME@ placeholders with values.
#   scripts/e2e/render-config.sh TEMPLATE OUTPUT NAME=VALUE...
# Fails (exit 2) if the template cannot be read or a placeholder outside a comment is left.
set -euo pipefail
# bash 5.2 expands & in a pattern substitution's replacement; values are literal here.
shopt -u patsub_replacement 2>/dev/null || true
[[ $# -ge 2 ]] || { echo "usage: $0 TEMPLATE OUTPUT NAME=VALUE..." >&2; exit 2; }
template=$1 output=$2
shift 2
[[ -r "$template" ]] || { echo "render-config: cannot read $template" >&2; exit 2; }
text=$(<"$template")
for pair in "$@"; do
  name=${pair%%=*} value=${pair#*=}
  [[ $pair == *=* && $name =~ ^[A-Z_]+$ ]] || { echo "render-config: bad argument '$pair' (want NAME=VALUE)" >&2; exit 2; }
  text=${text//@"$name"@/"$value"}
done
leftover=$(grep -v '^[[:space:]]*#' <<<"$text" | grep -o '@[A-Z_]*@' | sort -u | tr '\n' ' ' || true)
if [[ -n $leftover ]]; then
  echo "render-config: $template: no value for $leftover" >&2
  exit 2
fi
printf '%s\n' "$text" >"$output"
