"""Every metric the alerts and dashboards use exists in crisync's output.

`problems_against_golden(root, golden_files)` is the check against real `/metrics` output (golden
scrapes, e.g. Tests/CollectorTests/Fixtures/golden/*.prom); until those exist the runner checks
against issue #4's contract list (families.CONTRACT), or the README's metrics table with
--families-from-readme.
"""

import json
import os

import yaml

import dashboard_checks
import families
import promql
from checks import CheckFailed, fail_if
from rules_checks import RULES, alerting_rules


def metrics_used(root):
    """{metric: [where it is used]} over the alert rules and both dashboards."""
    used = {}
    with open(os.path.join(root, RULES), encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    for group in document.get("groups") or []:
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            for metric in promql.metric_names(rule["expr"]):
                used.setdefault(metric, []).append(f"rule {name}")
    dashboards = {}
    for relative in dashboard_checks.DASHBOARDS:
        with open(os.path.join(root, relative), encoding="utf-8") as handle:
            dashboards[relative] = json.load(handle)
    for metric, places in dashboard_checks.metrics_used(dashboards).items():
        used.setdefault(metric, []).extend(places)
    return used


def selectors_used(root):
    """[(where, promql.Selector)] over the alert rules and both dashboards' panel queries."""
    found = []
    with open(os.path.join(root, RULES), encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    for group in document.get("groups") or []:
        for rule in group.get("rules") or []:
            for selector in promql.scan(rule["expr"])[0]:
                found.append((f"rule {rule.get('alert') or rule.get('record')}", selector))
    for relative in dashboard_checks.DASHBOARDS:
        with open(os.path.join(root, relative), encoding="utf-8") as handle:
            dashboard = json.load(handle)
        for title, _, target in dashboard_checks.panel_targets(dashboard):
            for selector in promql.scan(target.get("expr") or "")[0]:
                found.append((f"{os.path.basename(relative)}: {title}", selector))
    return found


def label_problems(label_sets, selectors):
    """Matchers on labels a family does not have (a typo matches nothing, silently).

    label_sets: {metric: set of label names it has}; metrics not in it are not checked.
    """
    problems = []
    for where, selector in selectors:
        if selector.name not in label_sets:
            continue
        allowed = label_sets[selector.name] | families.TARGET_LABELS
        for label, _, _ in selector.matchers:
            if label not in allowed and label != "__name__":
                problems.append(f"{where}: {selector.name} has no label {label!r}")
    return sorted(set(problems))


def problems_against(known, used):
    return [f"{metric} is not in crisync's output; used by {', '.join(sorted(set(places))[:4])}"
            for metric, places in families.unknown_metrics(used, known).items()]


def problems_against_golden(root, golden_files):
    """Problems for every metric used by alerts/dashboards that no golden scrape contains."""
    if not golden_files:
        raise CheckFailed("no golden files given")
    known = families.families_in_golden_files(golden_files)
    if not known:
        raise CheckFailed(f"no metric families in {', '.join(golden_files)}")
    return problems_against(known, metrics_used(root))


def known_families(ctx):
    """(families, where they came from) according to the runner's options."""
    if ctx.golden:
        return families.families_in_golden_files(ctx.golden), "golden scrape(s) " + ", ".join(ctx.golden)
    if ctx.families_from_readme:
        path = ctx.path("README.md")
        with open(path, encoding="utf-8") as handle:
            names = families.families_in_readme(handle.read())
        if not names:
            raise CheckFailed("README.md has no metrics table rows (| `crisync_...` | ...)")
        return names, "the README metrics table"
    return set(families.CONTRACT), "the issue #4 metrics contract (tests/monitoring/families.py)"


def checks(ctx):
    def every_metric_exists():
        known, source = known_families(ctx)
        used = metrics_used(ctx.root)
        if not used:
            raise CheckFailed("found no metrics in the rules and dashboards: the scanner is broken")
        fail_if(problems_against(known, used), heading=f"checked against {source}:")
        print(f"    {len(used)} metrics used by alerts and dashboards, all in {source}")

    def every_label_exists():
        if ctx.golden:
            label_sets = {}
            for path in ctx.golden:
                with open(path, encoding="utf-8") as handle:
                    for name, labels in families.labels_in_exposition(handle.read()).items():
                        label_sets.setdefault(name, set()).update(labels)
        else:
            label_sets = families.CONTRACT_LABELS
        fail_if(label_problems(label_sets, selectors_used(ctx.root)))

    return [("metrics: every metric in alerts and dashboards exists in crisync's output", every_metric_exists),
            ("metrics: every label matcher names a label the metric has", every_label_exists)]
