#!/usr/bin/env bash
# Regenerates Sources/crisync-exporter/hot-text.ld: a linker script that lays out, first and together,
# every piece of crisync-exporter's code that runs while it starts, refreshes a 250-container node and
# serves each of its pages.
#
#   scripts/regen-link-order.sh      (as root; about 3 minutes after the release build)
#
# Why: the release binary holds 32 MB of code, and the kernel maps each page of it that a process
# touches together with its neighbours (fault-around, 64 KiB). The code crisync runs lay scattered
# across the 32 MB, so 18 MB of code stayed resident. The release link (Package.swift) reads this
# script, which moves those input sections into one output section, `.text.hot`, ahead of `.text`.
# Built with scripts/release.flags, every Swift function of the package and its dependencies is its
# own section; the toolchain's static archives come with several functions per section, which then
# move together.
#
# How: the exporter is linked with a map (which input section landed where), run under valgrind's
# callgrind with an address for every instruction that ran, and each address is looked up in the map.
# Sections are named by object file and section name, because private functions (no symbol; section
# names such as `.text..L__unnamed_2`) repeat the same section name in many objects. Sorted, so that
# a regeneration shows as a readable diff. Code missing from it (new code, a rare error path) still
# works; it only costs its 64 KiB of neighbours when it first runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"
out="Sources/crisync-exporter/hot-text.ld"
log() { echo "[regen-link-order] $*" >&2; }

scripts/deps.sh build link-order

mapfile -t release_flags <scripts/release.flags
log "building crisync-bench (release)"
swift build "${release_flags[@]}" --product crisync-bench >&2
bin="$(swift build "${release_flags[@]}" --show-bin-path)"

work="$(mktemp -d /tmp/crisync-link-order.XXXXXX)"
pids=()
cp "$out" "$work/hot-text.ld.committed"
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Interrupted during the profiling link: the committed layout comes back.
  if [[ ! -s $out ]] || grep -q '^/\* profiling link' "$out"; then cp "$work/hot-text.ld.committed" "$out"; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/crisync-bench" synthetic-serve --containers 250 --root "$work/node" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do grep -q '^kubelet ' "$work/serve.log" && break; sleep 0.1; done
cri="$(awk '/^cri / {print $2}' "$work/serve.log")"
kubelet="$(awk '/^kubelet / {print $2}' "$work/serve.log")"
[[ -n $cri && -n $kubelet ]] || { log "synthetic-serve did not start:"; cat "$work/serve.log" >&2; exit 1; }

# Linked with a map of where each input section went, and without the current layout: valgrind
# counts only `.text` as code, and attributes what runs in `.text.hot` to no object at all.
log "linking crisync-exporter with a map, without the current layout"
echo "/* profiling link (scripts/regen-link-order.sh): the default layout */" >"$out"
rm -f "$bin/crisync-exporter"
swift build "${release_flags[@]}" --product crisync-exporter -Xlinker "-Map=$work/exporter.map" >&2
cp "$work/hot-text.ld.committed" "$out"
if readelf -SW "$bin/crisync-exporter" | grep -q '\.text\.hot'; then
  log "the profiling link still has .text.hot"; exit 1
fi
# valgrind cannot read the DWARF 5 that swiftc writes; the symbol table is all it needs.
objcopy --strip-debug "$bin/crisync-exporter" "$work/crisync-exporter"
# SwiftPM does not know the link reads the script: take the binary away so the next build links anew.
rm -f "$bin/crisync-exporter"
port=19799
log "running crisync-exporter under callgrind against a 250-container synthetic node"
valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no --callgrind-out-file="$work/callgrind.out" \
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
# A profile of an exporter whose sources were down would lay out the error paths instead.
metrics="$(curl -fsS "http://127.0.0.1:$port/metrics")"
for source in runtime kubelet procfs; do
  grep -q "^crisync_source_up{source=\"$source\"} 1" <<<"$metrics" || {
    log "the exporter under callgrind reports $source down:"; grep '^crisync_source_up' <<<"$metrics" >&2; exit 1
  }
done
kill -TERM "$exporter"
wait "$exporter" || { log "the exporter under valgrind failed:"; tail -20 "$work/exporter.log" >&2; exit 1; }

python3 - "$work/callgrind.out" "$work/crisync-exporter" "$work/exporter.map" "$out" <<'EOF'
import bisect, collections, re, sys
profile, binary, link_map, out = sys.argv[1:]

# Every instruction address that ran in the binary (callgrind, uncompressed: "ob=" names the
# object, cost lines start with the address).
ran, in_binary = set(), False
for line in open(profile, errors="replace"):
    if line.startswith("ob="):
        in_binary = line[3:].strip() == binary
    elif in_binary and line.startswith("0x"):
        ran.add(int(line.split()[0], 16))

# lld's map: "VMA LMA Size Align Out", input sections one level deeper, then their symbols.
sections, in_text = [], False
row = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (.*)$")
for line in open(link_map):
    m = row.match(line.rstrip("\n"))
    if not m:
        continue
    address, size, rest = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
    if not rest.startswith(" "):
        in_text = rest.strip() == ".text"  # the profiling link has no .text.hot (checked above)
    elif in_text and not rest.startswith(" " * 16) and ":(" in rest and size > 0:
        sections.append((address, address + size, rest.strip()))
sections.sort()
starts = [s[0] for s in sections]
hot, outside = set(), 0
for address in ran:
    i = bisect.bisect_right(starts, address) - 1
    if i >= 0 and address < sections[i][1]:
        hot.add(sections[i][2])
    else:
        outside += 1
if len(hot) < 1000 or outside > len(ran) // 100:
    sys.exit(f"[regen-link-order] {len(hot)} sections ran, {outside} of {len(ran)} addresses outside the map's code")

# Patterns that match the same input on any machine: the object's path below the build directory,
# or archive:member for the toolchain's static libraries.
def pattern(path):
    m = re.match(r"^(?:.*/)?([^/]+\.a)\(([^)]+)\)$", path)
    if m:
        return f"*{m.group(1)}:{m.group(2)}"
    m = re.match(r"^.*/(?:release|debug)/(.+)$", path)
    return "*/" + (m.group(1) if m else path.rsplit("/", 1)[-1])

by_file = collections.defaultdict(set)
for description in hot:
    path, section = description.rsplit(":(", 1)
    by_file[pattern(path)].add(section[:-1])
with open(out, "w") as f:
    f.write("/* Generated by scripts/regen-link-order.sh: the code crisync-exporter runs, laid out first. */\n")
    f.write("SECTIONS\n{\n  .text.hot : {\n")
    for file in sorted(by_file):
        f.write(f"    {file}({' '.join(sorted(by_file[file]))})\n")
    f.write("  }\n}\nINSERT BEFORE .text;\n")
print(f"[regen-link-order] {out}: {len(hot)} input sections from {len(by_file)} objects", file=sys.stderr)
EOF
