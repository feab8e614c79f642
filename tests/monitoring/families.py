"""Which metric families crisync exposes: the list the alerts and dashboards are checked against.

Three sources, chosen by the runner (tests/monitoring/run.py):
- golden scrapes (`--golden FILE`, repeatable): the families in real `/metrics` output, e.g.
  Tests/CollectorTests/Fixtures/golden/*.prom once the collector lands;
- the README's metrics table (`--families-from-readme`): every `crisync_*`/`process_*` name in
  the first cell of a table row;
- by default, CONTRACT below: issue #4's metrics contract plus issue #2's self-metrics.
Series that Prometheus itself adds at scrape time (`up`) are always known.
"""

import re

# Issue #4's metrics contract (names are stable) and issue #2's self-metrics.
CONTRACT = {
    "crisync_source_up": "gauge",
    "crisync_source_duration_seconds": "gauge",
    "crisync_source_errors_total": "counter",
    "crisync_refresh_timestamp_seconds": "gauge",
    "crisync_runtime_info": "gauge",
    "crisync_runtime_condition": "gauge",
    "crisync_runtime_known_issue": "gauge",
    "crisync_containers": "gauge",
    "crisync_divergent_containers": "gauge",
    "crisync_container_divergence_seconds": "gauge",
    "crisync_container_terminations_total": "counter",
    "crisync_abnormally_terminated_containers": "gauge",
    "crisync_container_oom_kills_total": "counter",
    "crisync_terminating_pods": "gauge",
    "crisync_pod_termination_overdue_seconds": "gauge",
    "crisync_stuck_terminating_pods": "gauge",
    "crisync_build_info": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "process_start_time_seconds": "gauge",
}

# The labels of each contract family (issue #4), for checking label matchers.
CONTRACT_LABELS = {
    "crisync_source_up": {"source"},
    "crisync_source_duration_seconds": {"source"},
    "crisync_source_errors_total": {"source"},
    "crisync_refresh_timestamp_seconds": set(),
    "crisync_runtime_info": {"runtime_name", "runtime_version", "runtime_api_version"},
    "crisync_runtime_condition": {"condition"},
    "crisync_runtime_known_issue": {"issue", "fixed_in"},
    "crisync_containers": {"source", "state"},
    "crisync_divergent_containers": {"kind"},
    "crisync_container_divergence_seconds": {"namespace", "pod", "container", "container_id", "kind"},
    "crisync_container_terminations_total": {"namespace", "reason", "signal"},
    "crisync_abnormally_terminated_containers": {"reason"},
    "crisync_container_oom_kills_total": {"namespace", "pod", "container"},
    "crisync_terminating_pods": set(),
    "crisync_pod_termination_overdue_seconds": {"namespace", "pod", "uid", "blocked_by"},
    "crisync_stuck_terminating_pods": {"blocked_by"},
    "crisync_build_info": {"version", "revision", "swift_version"},
}

# Labels Prometheus attaches at scrape time (the ServiceMonitor adds node; cluster is a target or
# external label).
TARGET_LABELS = {"job", "instance", "node", "cluster"}

# Added by Prometheus to every scrape, not by crisync.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added",
                 "scrape_samples_post_metric_relabeling"}

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)")
_META = re.compile(r"^#\s+(?:HELP|TYPE|UNIT)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)")
_README_ROW = re.compile(r"^\|\s*`?((?:crisync|process)_[a-zA-Z0-9_:]+)`?\s*\|")


def families_in_exposition(text):
    """Metric names in Prometheus text or OpenMetrics output: HELP/TYPE names and sample names.

    An OpenMetrics counter family `x` is exposed as samples `x_total`: both names are returned,
    so a rule written against either form is found.
    """
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = _META.match(line)
            if match:
                names.add(match.group(1))
            continue
        match = _SAMPLE.match(line)
        if match:
            names.add(match.group(1))
    return names


def labels_in_exposition(text):
    """{metric name: set of label names} over the sample lines of an exposition."""
    labels = {}
    for line in text.splitlines():
        line = line.strip()
        match = _SAMPLE.match(line)
        if not match or line.startswith("#"):
            continue
        names = labels.setdefault(match.group(1), set())
        if line[match.end() - 1] == "{":
            names.update(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', line[match.end():line.rfind("}")]))
    return labels


def families_in_golden_files(paths):
    """Union of families_in_exposition over files; OSError if one cannot be read."""
    names = set()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            names |= families_in_exposition(handle.read())
    return names


def families_in_readme(text):
    """Metric names in the first cell of markdown table rows (`| \\`crisync_x\\` | gauge | ...`)."""
    names = set()
    for line in text.splitlines():
        match = _README_ROW.match(line.strip())
        if match:
            names.add(match.group(1))
    return names


def unknown_metrics(used, known):
    """{metric: [where it is used]} for each used metric not in `known` (nor added by Prometheus).

    used: {metric: [places]}, e.g. {"crisync_x": ["alert CrisyncY"]}.
    """
    return {name: places for name, places in sorted(used.items())
            if name not in known and name not in SCRAPE_SERIES}
