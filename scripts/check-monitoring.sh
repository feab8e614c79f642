#!/usr/bin/env bash
# Check crisync's monitoring: alert rules (promtool check/test, the for: boundaries, the runbook),
# dashboards, deploy manifests (including PrometheusRule drift), the e2e config templates, and a
# smoke run of the real Debian prometheus and prometheus-alertmanager from those templates.
#
#   scripts/check-monitoring.sh [--golden FILE]... [--families-from-readme] [--no-servers] [--only TEXT]
#
# --golden FILE  check that every metric used by alerts and dashboards is in this /metrics
#                scrape (repeatable), e.g. Tests/CollectorTests/Fixtures/golden/*.prom;
#                without it, against issue #4's metrics contract (tests/monitoring/families.py).
# Installs what is missing (prometheus, prometheus-alertmanager, python3-yaml, curl, jq) with
# apt-get as root. The last line of output is `N passed, M failed`; exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt_updated=no
ensure_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "check-monitoring: installing ${missing[*]}" >&2
  if [[ $apt_updated == no ]]; then
    apt-get update -qq
    apt_updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_packages prometheus prometheus-alertmanager curl jq

# A python3 that has PyYAML: the one on PATH if it has it, else Debian's with python3-yaml.
python=python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  ensure_packages python3 python3-yaml
  python=/usr/bin/python3
  "$python" -c 'import yaml' || { echo "check-monitoring: $python cannot import yaml" >&2; exit 1; }
fi

PYTHONDONTWRITEBYTECODE=1 exec "$python" "$root/tests/monitoring/run.py" "$@"
