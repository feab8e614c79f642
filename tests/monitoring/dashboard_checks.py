"""Checks of dashboards/: Grafana JSON that follows the kubernetes-mixin rules, and queries that
are valid PromQL over crisync's metrics.

`expand_queries(dashboard, values)` is also what the end-to-end test uses to run every panel's
query against a real Prometheus with the dashboard variables filled in.
"""

import json
import os
import shutil
import tempfile

import yaml

import promql
from checks import fail_if, require_success

# file -> the uid it must keep (links and bookmarks use it).
DASHBOARDS = {
    "dashboards/crisync-overview.json": "crisync-overview",
    "dashboards/crisync-node.json": "crisync-node",
}
PANEL_TYPES = {"row", "stat", "timeseries", "table"}
SCOPED_VARIABLES = ["cluster", "node", "namespace"]
DATASOURCE_REFERENCES = {"${datasource}", "$datasource"}
# Values that stand in for the variables when a query is checked offline.
SAMPLE_VALUES = {"cluster": "prod", "node": "node-a", "namespace": ".*", "datasource": "prometheus"}


def load(ctx, relative):
    with open(ctx.path(relative), encoding="utf-8") as handle:
        return json.load(handle)


def data_panels(dashboard):
    """Every panel that queries data (rows excluded), including panels nested in collapsed rows."""
    panels = []
    for panel in dashboard.get("panels") or []:
        if panel.get("type") == "row":
            panels.extend(panel.get("panels") or [])
        else:
            panels.append(panel)
    return panels


def variables(dashboard):
    return {variable.get("name"): variable for variable in (dashboard.get("templating") or {}).get("list") or []}


def variable_query(variable):
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    return query or variable.get("definition") or ""


def panel_targets(dashboard):
    """[(panel title, panel, target)] for every query target of every data panel."""
    return [(panel.get("title", f"panel {panel.get('id')}"), panel, target)
            for panel in data_panels(dashboard) for target in panel.get("targets") or []]


def expand_queries(dashboard, values):
    """[(panel title, refId, PromQL)] for every panel query, with Grafana variables replaced by
    `values` (e.g. {"cluster": "e2e", "node": "node-1", "namespace": ".*"}); built-in interval
    variables get promql.BUILTIN_VALUES unless `values` overrides them."""
    return [(title, target.get("refId"), promql.substitute(target.get("expr", ""), values))
            for title, _, target in panel_targets(dashboard)]


def _is_datasource_reference(datasource):
    if isinstance(datasource, dict):
        return datasource.get("uid") in DATASOURCE_REFERENCES
    return datasource in DATASOURCE_REFERENCES


def structure_problems(dashboard, expected_uid):
    problems = []
    if dashboard.get("id", "missing") is not None:
        problems.append(f"id must be null, is {dashboard.get('id', 'missing')!r}")
    if dashboard.get("uid") != expected_uid:
        problems.append(f"uid must be {expected_uid!r}, is {dashboard.get('uid')!r}")
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')!r}: expected 36 or later")
    if not dashboard.get("title"):
        problems.append("no title")
    if "crisync" not in (dashboard.get("tags") or []):
        problems.append("not tagged crisync (the dashboard links find each other by that tag)")
    ids = []
    for panel in dashboard.get("panels") or []:
        ids.append(panel.get("id"))
        ids.extend(child.get("id") for child in panel.get("panels") or [])
        if panel.get("type") not in PANEL_TYPES:
            problems.append(f"panel {panel.get('title')!r}: type {panel.get('type')!r} not in {sorted(PANEL_TYPES)}")
        position = panel.get("gridPos") or {}
        if not all(isinstance(position.get(key), int) for key in ("h", "w", "x", "y")):
            problems.append(f"panel {panel.get('title')!r}: gridPos incomplete")
        elif position["x"] + position["w"] > 24:
            problems.append(f"panel {panel.get('title')!r}: wider than the 24-column grid")
    if any(not isinstance(panel_id, int) for panel_id in ids) or len(set(ids)) != len(ids):
        problems.append(f"panel ids must be unique integers: {ids}")
    if not data_panels(dashboard):
        problems.append("no data panels")
    return problems


def variable_problems(dashboard):
    problems = []
    found = variables(dashboard)
    datasource = found.get("datasource")
    if not datasource or datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        problems.append("no `datasource` variable of type datasource with query prometheus")
    for name in SCOPED_VARIABLES:
        variable = found.get(name)
        if not variable:
            problems.append(f"no `{name}` variable")
            continue
        parsed = promql.label_values_query(variable_query(variable))
        if variable.get("type") != "query" or not parsed or parsed[1] != name:
            problems.append(f"`{name}` variable must be a query variable `label_values(..., {name})`, "
                            f"is {variable_query(variable)!r}")
        if not _is_datasource_reference(variable.get("datasource")):
            problems.append(f"`{name}` variable does not query ${{datasource}}")
    return problems


def panel_problems(dashboard):
    problems = []
    for panel in data_panels(dashboard):
        title = panel.get("title", f"panel {panel.get('id')}")
        if not _is_datasource_reference(panel.get("datasource")):
            problems.append(f"{title}: panel datasource is {panel.get('datasource')!r}, not ${{datasource}}")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{title}: no queries")
        refs = [target.get("refId") for target in targets]
        if len(set(refs)) != len(refs):
            problems.append(f"{title}: duplicate refIds {refs}")
        for target in targets:
            if not _is_datasource_reference(target.get("datasource")):
                problems.append(f"{title} {target.get('refId')}: query datasource is not ${{datasource}}")
            if not (target.get("expr") or "").strip():
                problems.append(f"{title} {target.get('refId')}: empty query")
            if panel.get("type") == "table" and not (target.get("instant") and target.get("format") == "table"):
                problems.append(f"{title} {target.get('refId')}: a table query must be instant with format table")
    return problems


def query_problems(dashboard):
    """Every range in every query is $__rate_interval; every selector is scoped to the chosen
    cluster and node(s); the namespace variable is used where the metric has that label."""
    problems = []
    for title, panel, target in panel_targets(dashboard):
        expr = target.get("expr") or ""
        where = f"{title} {target.get('refId')}"
        try:
            selectors, ranges = promql.scan(expr)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        for duration in ranges:
            if duration != "$__rate_interval":
                problems.append(f"{where}: range [{duration}] must be [$__rate_interval]")
        for selector in selectors:
            name = selector.name or "{...}"
            cluster = selector.matcher("cluster")
            node = selector.matcher("node")
            if cluster != ("=", "$cluster"):
                problems.append(f"{where}: {name} is not filtered by cluster=\"$cluster\"")
            if node not in (("=", "$node"), ("=~", "$node")):
                problems.append(f"{where}: {name} is not filtered by the node variable")
    return problems


def promtool_problems(dashboards):
    """Every panel and variable query, with sample variable values, parses as PromQL (checked by
    promtool, through a temporary recording-rule file)."""
    rules = []
    problems = []
    for file_name, dashboard in dashboards.items():
        for title, ref, expr in expand_queries(dashboard, SAMPLE_VALUES):
            rules.append({"record": f"dashboard:query_{len(rules)}", "expr": expr,
                          "labels": {"origin": f"{os.path.basename(file_name)} {title} {ref}"}})
        for name, variable in variables(dashboard).items():
            parsed = promql.label_values_query(variable_query(variable))
            if parsed and parsed[0]:
                rules.append({"record": f"dashboard:query_{len(rules)}",
                              "expr": promql.substitute(parsed[0], SAMPLE_VALUES),
                              "labels": {"origin": f"{os.path.basename(file_name)} variable {name}"}})
    workdir = tempfile.mkdtemp(prefix="crisync-dashboard-queries.")
    try:
        path = os.path.join(workdir, "queries.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, handle, width=1000)
        try:
            require_success(["promtool", "check", "rules", path])
        except Exception as error:  # promtool names the failing expression
            problems.append(str(error))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return problems


def metrics_used(dashboards):
    """{metric: [where]} over every panel and variable query."""
    used = {}
    for file_name, dashboard in dashboards.items():
        short = os.path.basename(file_name)
        for title, _, target in panel_targets(dashboard):
            for name in promql.metric_names(target.get("expr") or ""):
                used.setdefault(name, []).append(f"{short}: {title}")
        for variable_name, variable in variables(dashboard).items():
            parsed = promql.label_values_query(variable_query(variable))
            if parsed and parsed[0]:
                for name in promql.metric_names(parsed[0]):
                    used.setdefault(name, []).append(f"{short}: variable {variable_name}")
    return used


def checks(ctx):
    result = []
    loaded = {}
    for relative, uid in DASHBOARDS.items():
        def parse(relative=relative):
            loaded[relative] = load(ctx, relative)

        def check(problem_function, relative=relative, uid=uid):
            dashboard = loaded.get(relative) or load(ctx, relative)
            if problem_function is structure_problems:
                fail_if(structure_problems(dashboard, uid))
            else:
                fail_if(problem_function(dashboard))

        name = os.path.basename(relative)
        result += [
            (f"dashboards: {name} parses", parse),
            (f"dashboards: {name} id null, fixed uid, panel layout", lambda c=check: c(structure_problems)),
            (f"dashboards: {name} datasource/cluster/node/namespace variables", lambda c=check: c(variable_problems)),
            (f"dashboards: {name} every panel queries ${{datasource}}", lambda c=check: c(panel_problems)),
            (f"dashboards: {name} $__rate_interval everywhere, scoped selectors", lambda c=check: c(query_problems)),
        ]

    def promtool_all():
        fail_if(promtool_problems({relative: load(ctx, relative) for relative in DASHBOARDS}))

    result.append(("dashboards: every query is valid PromQL (promtool)", promtool_all))
    return result
