#!/usr/bin/env bash
# The revision crisync_build_info reports: the commit checked out, "-dirty" when the tree has
# uncommitted changes, "unknown" outside a git checkout. The build reads it from $CRISYNC_REVISION
# (Package.swift); the scripts that build export it:
#
#   export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"
#
# An environment variable rather than git information read by the manifest itself: SwiftPM caches
# the manifest's evaluation across commits, but not across a change of the environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! revision="$(git rev-parse --short=12 HEAD 2>/dev/null)"; then
  echo unknown
  exit 0
fi
git diff --quiet HEAD -- 2>/dev/null || revision+="-dirty"
echo "$revision"
