#!/usr/bin/env bash
# Regenerates Sources/crisync-exporter/symbol-order.txt: every function of the crisync-exporter
# binary that runs while it starts, refreshes a 250-container node and serves each of its pages.
#
#   scripts/regen-link-order.sh      (as root; about 3 minutes after the release build)
#
# Why: the release binary holds 32 MB of code, and the kernel maps each page of it that a process
# touches together with its neighbours (fault-around, 64 KiB). The 2–3 MB that crisync runs lay
# scattered across the 32 MB, so 18 MB of code stayed resident. The release link (Package.swift)
# hands this list to lld (--symbol-ordering-file), which puts these functions first and together;
# built with function sections (`make release`), every function can be moved on its own.
#
# The list is the set of functions valgrind's callgrind saw run, sorted by name so that a
# regeneration shows as a readable diff. A function missing from it (new code, a rare error path)
# still works; it only costs its 64 KiB of neighbours when it first runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="Sources/crisync-exporter/symbol-order.txt"
log() { echo "[regen-link-order] $*" >&2; }

if ! command -v valgrind >/dev/null; then
  dpkg -s valgrind >/dev/null 2>&1 || {
    log "installing valgrind"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends valgrind >/dev/null
  }
fi
scripts/deps.sh build

# The order file names functions; which ones exist does not depend on the order itself.
mapfile -t release_flags <scripts/release.flags
for product in crisync-exporter crisync-bench; do
  log "building $product (release)"
  swift build "${release_flags[@]}" --product "$product" >&2
done
bin="$(swift build "${release_flags[@]}" --show-bin-path)"

work="$(mktemp -d /tmp/crisync-link-order.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/crisync-bench" synthetic-serve --containers 250 --root "$work/node" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do grep -q '^kubelet ' "$work/serve.log" && break; sleep 0.1; done
cri="$(awk '/^cri / {print $2}' "$work/serve.log")"
kubelet="$(awk '/^kubelet / {print $2}' "$work/serve.log")"
[[ -n $cri && -n $kubelet ]] || { log "synthetic-serve did not start:"; cat "$work/serve.log" >&2; exit 1; }

# valgrind cannot read the DWARF 5 that swiftc writes; the symbol table is all it needs.
objcopy --strip-debug "$bin/crisync-exporter" "$work/crisync-exporter"
port=19799
log "running crisync-exporter under callgrind against a 250-container synthetic node"
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/callgrind.out" \
  "$work/crisync-exporter" --web.listen-address "127.0.0.1:$port" --runtime.endpoint "$cri" --kubelet.url "$kubelet" \
  --kubelet.token-file "" --kubelet.ca-file "" --path.procfs "$work/node/proc" --path.cgroupfs "$work/node/cgroup" \
  --collector.interval 1s --log.level warn >"$work/exporter.log" 2>&1 &
exporter=$!
pids+=("$exporter")
for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.2; done
# Every page a scraper or an operator asks for, in each encoding, over a minute of refreshes.
for _ in $(seq 12); do
  sleep 5
  for headers in "" "Accept-Encoding: gzip" "Accept: application/openmetrics-text; version=1.0.0"; do
    curl -fsS -o /dev/null ${headers:+-H "$headers"} "http://127.0.0.1:$port/metrics"
  done
  curl -fsS -o /dev/null -I "http://127.0.0.1:$port/metrics"
  curl -fsS -o /dev/null "http://127.0.0.1:$port/"
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz"
  curl -sS -o /dev/null "http://127.0.0.1:$port/missing"
done
kill -TERM "$exporter"
wait "$exporter" || { log "the exporter under valgrind failed:"; tail -20 "$work/exporter.log" >&2; exit 1; }

python3 - "$work/callgrind.out" "$bin/crisync-exporter" "$out" <<'EOF'
import re, subprocess, sys
profile, binary, out = sys.argv[1:]
# callgrind names a function once as "fn=(id) name" (or cfn= for a callee) and by "(id)" after.
ran = set()
for line in open(profile, errors="replace"):
    m = re.match(r"c?fn=\(\d+\) (.+)$", line.rstrip("\n"))
    if m:
        ran.add(m.group(1))
defined = set()
nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
for line in nm.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "tTwW":
        defined.add(parts[2])
names = sorted(ran & defined)
with open(out, "w") as f:
    f.write("".join(name + "\n" for name in names))
print(f"[regen-link-order] {out}: {len(names)} functions", file=sys.stderr)
EOF
# SwiftPM does not know the link reads the list: take the binary away so the next build links anew.
rm -f "$bin/crisync-exporter"
