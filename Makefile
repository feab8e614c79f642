# crisync: the two commands a newcomer needs are `make run` (a real containerd with a demo and
# crisync in front of it) and `make test` (the whole suite). Both install what they need.
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION ?= $(shell scripts/revision.sh)

.PHONY: run demo test build release deps clean-lab regen-cri check-monitoring bench

build:
	scripts/deps.sh build
	swift build

# The shipped binary's build (scripts/release.flags), as deploy/Containerfile and `make bench` build it.
release:
	scripts/deps.sh build
	swift build $$(cat scripts/release.flags) --product crisync-exporter

run demo:
	scripts/demo.sh

test:
	scripts/test.sh

check-monitoring:
	scripts/check-monitoring.sh

bench:
	scripts/bench.sh

regen-cri:
	scripts/regen-cri.sh

clean-lab:
	scripts/containerd.sh stop
