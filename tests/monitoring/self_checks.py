"""Checks of the checks: each checker must report a fault that is planted on purpose. A checker
that cannot fail proves nothing."""

import copy
import json
import os
import tempfile

import yaml

import dashboard_checks
import deploy_checks
import families
import metrics_checks
import promql
import rules_checks
from checks import CheckFailed, fail_if


def promql_problems():
    cases = [
        ('max by (cluster, node, kind) (crisync_container_divergence_seconds{kind=~"a|b"}) > 0',
         {"crisync_container_divergence_seconds"}),
        ('up{job="crisync"} == 0 or absent(up{job="crisync"})', {"up"}),
        ('x * on (node) group_left (runtime_version) max by (node, runtime_version) (y)', {"x", "y"}),
        ('sum(rate(c_total{cluster="$cluster"}[$__rate_interval])) * 60 or vector(0)', {"c_total"}),
        ('{__name__=~"a_one|b_two", node=~"${node}"}', {"a_one", "b_two"}),
        ('time() - max(t offset 5m) > 1e3', {"t"}),
        ('count(m{l="has } brace and \\" quote"})', {"m"}),
    ]
    problems = []
    for expr, expected in cases:
        got = promql.metric_names(expr)
        if got != expected:
            problems.append(f"metric_names({expr!r}) = {sorted(got)}, expected {sorted(expected)}")
    _, ranges = promql.scan('rate(a[5m]) + rate(b{x="[1m]"}[$__rate_interval])')
    if ranges != ["5m", "$__rate_interval"]:
        problems.append(f"scan ranges = {ranges}")
    if promql.substitute('a{c="${cluster}", n=~"$node"}[$__rate_interval]', {"cluster": "c", "node": "n"}) \
            != 'a{c="c", n=~"n"}[1m]':
        problems.append("substitute does not replace ${var}, $var and $__rate_interval")
    exposition = ('# HELP crisync_x_total Things.\n# TYPE crisync_x_total counter\n'
                  'crisync_x_total{a="1"} 3\ncrisync_y 1\n# EOF\n')
    if families.families_in_exposition(exposition) != {"crisync_x_total", "crisync_y"}:
        problems.append(f"families_in_exposition read {families.families_in_exposition(exposition)}")
    labelled = 'a{x="1",y="a,b=\\"c\\""} 1\nb 2\n'
    if families.labels_in_exposition(labelled) != {"a": {"x", "y"}, "b": set()}:
        problems.append(f"labels_in_exposition read {families.labels_in_exposition(labelled)}")
    typo = [("test", promql.scan('crisync_source_up{sorce="runtime", node="n"}')[0][0])]
    if not metrics_checks.label_problems(families.CONTRACT_LABELS, typo):
        problems.append("label check missed a misspelt label")
    readme = "| family | type |\n|---|---|\n| `crisync_source_up` | gauge |\n| not_a_metric | x |\n"
    if families.families_in_readme(readme) != {"crisync_source_up"}:
        problems.append(f"families_in_readme read {families.families_in_readme(readme)}")
    return problems


def dashboard_fault_problems(ctx):
    """Plant one fault at a time in a copy of the overview dashboard; the matching check must
    report it, and the unmodified copy must be clean."""
    relative = "dashboards/crisync-overview.json"
    uid = dashboard_checks.DASHBOARDS[relative]
    original = dashboard_checks.load(ctx, relative)

    def all_problems(dashboard):
        return (dashboard_checks.structure_problems(dashboard, uid) + dashboard_checks.variable_problems(dashboard)
                + dashboard_checks.panel_problems(dashboard) + dashboard_checks.query_problems(dashboard))

    problems = []
    if all_problems(original):
        problems.append(f"the unmodified dashboard already has problems: {all_problems(original)[:3]}")

    def first_target(dashboard):
        return [t for _, _, t in dashboard_checks.panel_targets(dashboard) if "[$__rate_interval]" in t["expr"]][0]

    def fixed_range(d):
        target = first_target(d)
        target["expr"] = target["expr"].replace("[$__rate_interval]", "[5m]")

    def unscoped(d):
        target = dashboard_checks.panel_targets(d)[0][2]
        target["expr"] = target["expr"].replace('cluster="$cluster", ', "")

    faults = {
        "id not null": lambda d: d.update(id=7),
        "uid changed": lambda d: d.update(uid="random"),
        "rate without $__rate_interval": fixed_range,
        "selector without the cluster filter": unscoped,
        "panel with a fixed datasource": lambda d: dashboard_checks.data_panels(d)[0].update(
            datasource={"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}),
        "namespace variable missing": lambda d: d["templating"].update(
            list=[v for v in d["templating"]["list"] if v["name"] != "namespace"]),
        "node variable not from label_values": lambda d: [v.update(query={"query": "node-a,node-b"}, definition="")
                                                          for v in d["templating"]["list"] if v["name"] == "node"],
    }
    for name, plant in faults.items():
        broken = copy.deepcopy(original)
        plant(broken)
        if not all_problems(broken):
            problems.append(f"dashboard checks missed: {name}")

    unknown = copy.deepcopy(original)
    first_target(unknown)["expr"] = "sum(rate(crisync_no_such_metric_total[$__rate_interval]))"
    used = dashboard_checks.metrics_used({relative: unknown})
    if not metrics_checks.problems_against(set(families.CONTRACT), used):
        problems.append("metric check missed a metric that crisync does not expose")

    invalid = copy.deepcopy(original)
    first_target(invalid)["expr"] = "sum(rate(crisync_container_oom_kills_total[$__rate_interval])"
    if not dashboard_checks.promtool_problems({relative: invalid}):
        problems.append("promtool check missed an unbalanced parenthesis")
    return problems


def golden_problems(ctx):
    """problems_against_golden reports a metric missing from a golden scrape and accepts a
    scrape that has them all."""
    problems = []
    used = metrics_checks.metrics_used(ctx.root)
    with tempfile.TemporaryDirectory(prefix="crisync-golden.") as workdir:
        complete = os.path.join(workdir, "complete.prom")
        with open(complete, "w", encoding="utf-8") as handle:
            for name in sorted(used):
                handle.write(f"# TYPE {name} gauge\n{name} 1\n")
        if metrics_checks.problems_against_golden(ctx.root, [complete]):
            problems.append("a golden scrape with every used metric was reported incomplete")
        missing = sorted(n for n in used if n != "up")[0]
        partial = os.path.join(workdir, "partial.prom")
        with open(partial, "w", encoding="utf-8") as handle:
            for name in sorted(used):
                if name != missing:
                    handle.write(f"{name} 1\n")
        reported = metrics_checks.problems_against_golden(ctx.root, [partial])
        if not any(missing in line for line in reported):
            problems.append(f"a golden scrape without {missing} was not reported")
    return problems


def deploy_fault_problems(ctx):
    daemonset = deploy_checks.only(deploy_checks.load_manifests(ctx), "DaemonSet")
    problems = []
    if deploy_checks.daemonset_problems(daemonset):
        problems.append("the unmodified DaemonSet already has problems")

    def container(d):
        return d["spec"]["template"]["spec"]["containers"][0]

    faults = {
        "writable /proc mount": lambda d: [m.update(readOnly=False) for m in container(d)["volumeMounts"]
                                           if m["mountPath"] == "/host/proc"],
        "NODE_NAME missing": lambda d: container(d).update(
            env=[e for e in container(d)["env"] if e["name"] != "NODE_NAME"]),
        "capability added": lambda d: container(d)["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
        "root filesystem writable": lambda d: container(d)["securityContext"].update(readOnlyRootFilesystem=False),
        "runs as root": lambda d: d["spec"]["template"]["spec"]["securityContext"].update(runAsUser=0),
        "no liveness probe": lambda d: container(d).pop("livenessProbe"),
        "no memory limit": lambda d: container(d)["resources"]["limits"].pop("memory"),
        "wrong flag name": lambda d: container(d).update(
            args=[a.replace("--path.procfs", "--procfs") for a in container(d)["args"]]),
    }
    for name, plant in faults.items():
        broken = copy.deepcopy(daemonset)
        plant(broken)
        if not deploy_checks.daemonset_problems(broken):
            problems.append(f"DaemonSet checks missed: {name}")

    by_kind = deploy_checks.load_manifests(ctx)
    broad = copy.deepcopy(by_kind)
    broad["ClusterRole"][0]["rules"].append({"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]})
    if not deploy_checks.rbac_problems(broad):
        problems.append("RBAC check missed nodes/proxy in the base role")
    unlabelled = copy.deepcopy(by_kind)
    unlabelled["ServiceMonitor"][0]["spec"]["endpoints"][0]["relabelings"] = []
    if not deploy_checks.service_problems(unlabelled):
        problems.append("ServiceMonitor check missed the missing node relabeling")
    drifted = copy.deepcopy(by_kind)
    drifted["PrometheusRule"][0]["spec"]["groups"][0]["rules"][0]["for"] = "1s"
    if not deploy_checks.prometheusrule_problems(ctx, drifted):
        problems.append("PrometheusRule check missed a drifted for:")
    with open(ctx.path(deploy_checks.CONTAINERFILE), encoding="utf-8") as handle:
        containerfile = handle.read()
    flags = deploy_checks.read_release_flags(ctx)
    if deploy_checks.containerfile_problems(containerfile.replace("USER 65534:65534", "USER root"), flags) == []:
        problems.append("Containerfile check missed USER root")
    if deploy_checks.containerfile_problems(containerfile, [f for f in flags if f != "--static-swift-stdlib"]) == []:
        problems.append("Containerfile check missed release flags without --static-swift-stdlib")
    return problems


def rules_fault_problems(ctx):
    document = rules_checks.load_rules(ctx)
    problems = []
    broken = copy.deepcopy(document)
    rule = rules_checks.alerting_rules(broken)[0][1]
    rule["annotations"]["summary"] = "Container {{ $labels.pod }} is dead"
    rule["labels"]["severity"] = "page"
    del rule["annotations"]["runbook_url"]
    found = rules_checks.convention_problems(broken)
    for expected in ("summary", "severity", "runbook_url"):
        if not any(expected in line for line in found):
            problems.append(f"convention check missed a bad {expected}")
    with open(ctx.path(rules_checks.RULES), encoding="utf-8") as handle:
        text = handle.read()
    stripped = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    if not rules_checks.justification_problems(stripped):
        problems.append("justification check missed alerts without comments")
    with open(ctx.path(rules_checks.RUNBOOK), encoding="utf-8") as handle:
        runbook = handle.read()
    first = rules_checks.alerting_rules(document)[0][1]["alert"]
    if not rules_checks.runbook_problems(document, runbook.replace(f"## {first}\n", "## Renamed\n")):
        problems.append("runbook check missed a missing section")
    return problems


def checks(ctx):
    return [
        ("self-test: the PromQL scanner and exposition readers", lambda: fail_if(promql_problems())),
        ("self-test: dashboard checks catch planted faults", lambda: fail_if(dashboard_fault_problems(ctx))),
        ("self-test: the golden-scrape check catches a missing family", lambda: fail_if(golden_problems(ctx))),
        ("self-test: deploy checks catch planted faults", lambda: fail_if(deploy_fault_problems(ctx))),
        ("self-test: rule convention checks catch planted faults", lambda: fail_if(rules_fault_problems(ctx))),
    ]
