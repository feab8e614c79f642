#!/usr/bin/env bash
# Installs the Debian packages crisync's build, tests and demo need, only those missing.
# `apt-get update` runs once, and only when something has to be installed (a fresh machine's
# package lists may be empty).
#
#   scripts/deps.sh [build|test|demo|bench|link-order]...    (default: build test)
set -euo pipefail

declare -A groups=(
  [build]="libmicrohttpd-dev zlib1g-dev pkg-config"
  [test]="containerd runc busybox-static prometheus prometheus-alertmanager python3 python3-yaml curl jq openssl tmux chromium"
  [demo]="containerd runc busybox-static python3 curl prometheus"
  [bench]="wrk prometheus-node-exporter linux-perf"
  [link-order]="valgrind binutils python3 curl"
)

wanted=()
for group in "${@:-build test}"; do
  for g in $group; do
    [[ -n ${groups[$g]+set} ]] || { echo "deps.sh: unknown group $g (build, test, demo, bench, link-order)" >&2; exit 2; }
    read -r -a packages <<<"${groups[$g]}"
    wanted+=("${packages[@]}")
  done
done

missing=()
for package in "${wanted[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "deps.sh: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
