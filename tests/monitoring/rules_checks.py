"""Checks of alerts/: the rule file, its promtool tests, the runbook, the e2e `for:` override."""

import copy
import glob
import os
import re
import shutil
import tempfile

import yaml

from checks import CheckFailed, fail_if, require_success, run

RULES = "alerts/crisync.rules.yaml"
RUNBOOK = "alerts/runbook.md"
TESTS = "alerts/tests"
RUNBOOK_BASE = "https://github.com/crisync/crisync/blob/main/alerts/runbook.md#"
SEVERITIES = {"critical", "warning", "info"}

# Issue #5 names these; more are allowed.
REQUIRED_ALERTS = [
    "CrisyncContainerProcessDead", "CrisyncReadyButDead", "CrisyncKubeletRuntimeDivergence",
    "CrisyncRuntimeOrphans", "CrisyncPodStuckTerminating", "CrisyncOOMKills",
    "CrisyncAbnormalTerminationsHigh", "CrisyncRuntimeKnownIssue", "CrisyncSourceDown",
    "CrisyncExporterDown",
]

# Words every description must contain (as a label reference or in its text): the person paged
# must be told where to look, or told plainly that the alert is not about a pod.
DESCRIPTION_WORDS = ["namespace", "pod", "container", "node"]


def load_rules(ctx):
    with open(ctx.path(RULES), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def alerting_rules(document):
    """[(group name, rule)] for every alerting rule."""
    return [(group["name"], rule) for group in document.get("groups") or []
            for rule in group.get("rules") or [] if "alert" in rule]


def parse_duration(text):
    units = {"y": 31536000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+)(ms|y|w|d|h|m|s)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(number) * units[unit] for number, unit in parts)


def format_duration(seconds):
    seconds = int(seconds)
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def github_anchor(heading):
    """The anchor GitHub gives a markdown heading."""
    anchor = heading.strip().lower()
    anchor = re.sub(r"[^\w\- ]", "", anchor)
    return anchor.replace(" ", "-")


def convention_problems(document):
    """Problems with the conventions every alert must follow (severity, summary, description,
    runbook_url, for)."""
    problems = []
    names = [rule["alert"] for _, rule in alerting_rules(document)]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{name}: defined more than once")
    for name in REQUIRED_ALERTS:
        if name not in names:
            problems.append(f"{name}: required by issue #5 but missing")
    for _, rule in alerting_rules(document):
        name = rule["alert"]
        labels = rule.get("labels") or {}
        annotations = rule.get("annotations") or {}
        if not re.fullmatch(r"Crisync[A-Z][A-Za-z0-9]+", name):
            problems.append(f"{name}: not PascalCase with the Crisync prefix")
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity {labels.get('severity')!r} is not one of {sorted(SEVERITIES)}")
        summary = annotations.get("summary", "")
        if not summary or "{{" in summary:
            problems.append(f"{name}: summary must be present and static (no templates)")
        description = annotations.get("description", "")
        if "{{" not in description:
            problems.append(f"{name}: description is not templated")
        if "$labels.node" not in description:
            problems.append(f"{name}: description does not name the node ($labels.node)")
        for word in DESCRIPTION_WORDS:
            if word not in description:
                problems.append(f"{name}: description never mentions {word}")
        expected_url = RUNBOOK_BASE + name.lower()
        if annotations.get("runbook_url") != expected_url:
            problems.append(f"{name}: runbook_url {annotations.get('runbook_url')!r}, expected {expected_url!r}")
        if "for" not in rule:
            problems.append(f"{name}: no `for:`")
        else:
            try:
                parse_duration(rule["for"])
            except ValueError as error:
                problems.append(f"{name}: {error}")
    return problems


def justification_problems(text):
    """Every `- alert:` must follow a comment block that explains its `for:`."""
    problems = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"\s*- alert:\s*(\S+)", line)
        if not match:
            continue
        comment = []
        cursor = index - 1
        while cursor >= 0 and lines[cursor].strip().startswith("#"):
            comment.insert(0, lines[cursor].strip().lstrip("#").strip())
            cursor -= 1
        joined = " ".join(comment)
        if not comment:
            problems.append(f"{match.group(1)}: no comment above it explaining its threshold and for:")
        elif not re.search(r"\bfor\b", joined):
            problems.append(f"{match.group(1)}: its comment does not justify the `for:` duration")
    return problems


def runbook_problems(document, runbook_text):
    """Each alert has exactly one runbook section (## AlertName) with meaning, confirm and fix;
    no section for an alert that does not exist."""
    problems = []
    headings = re.findall(r"^## (.+)$", runbook_text, flags=re.M)
    names = [rule["alert"] for _, rule in alerting_rules(document)]
    for name in names:
        if headings.count(name) != 1:
            problems.append(f"{name}: {headings.count(name)} runbook sections, expected 1")
            continue
        if github_anchor(name) != name.lower():
            problems.append(f"{name}: GitHub anchor {github_anchor(name)!r} differs from the runbook_url's")
        section = runbook_text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for part in ("**Meaning.**", "**Confirm", "**Fix"):
            if part not in section:
                problems.append(f"{name}: runbook section has no {part.strip('*')} part")
    for heading in headings:
        if heading.startswith("Crisync") and heading not in names:
            problems.append(f"runbook section {heading!r} has no alert")
    return problems


def test_coverage_problems(document, test_documents):
    """Every alert has a promtool case where it fires (exact labels/annotations) and one where it
    must not; the normal-lag file exists and only ever expects silence."""
    problems = []
    fires, silent = set(), set()
    for path, test_document in test_documents.items():
        for test in test_document.get("tests") or []:
            for case in test.get("alert_rule_test") or []:
                alerts = case.get("exp_alerts") or []
                if alerts:
                    fires.add(case["alertname"])
                    for alert in alerts:
                        if not alert.get("exp_labels") or not alert.get("exp_annotations"):
                            problems.append(f"{os.path.basename(path)}: {case['alertname']} at {case['eval_time']}: "
                                            "a firing case must give exact labels and annotations")
                else:
                    silent.add(case["alertname"])
    for _, rule in alerting_rules(document):
        name = rule["alert"]
        if name not in fires:
            problems.append(f"{name}: no promtool case where it fires")
        if name not in silent:
            problems.append(f"{name}: no promtool case where it must not fire")
    lag = [doc for path, doc in test_documents.items() if os.path.basename(path).startswith("normal-lag")]
    if not lag:
        problems.append("no normal-lag test file (cases of ordinary lag that must never fire)")
    for doc in lag:
        for test in doc.get("tests") or []:
            for case in test.get("alert_rule_test") or []:
                if case.get("exp_alerts"):
                    problems.append(f"normal-lag: {case['alertname']} at {case['eval_time']} expects an alert")
    return problems


def _test_files(ctx):
    files = sorted(glob.glob(ctx.path(TESTS, "*.yaml")))
    if not files:
        raise CheckFailed(f"no promtool tests in {TESTS}/")
    return files


def _promtool_on_copy(ctx, rules_document, workdir):
    """Run the shipped promtool tests against `rules_document` (written next to copies of the
    tests, in the same layout). Returns (status, output)."""
    os.makedirs(os.path.join(workdir, "tests"), exist_ok=True)
    with open(os.path.join(workdir, "crisync.rules.yaml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(rules_document, handle, sort_keys=False, width=1000)
    copies = []
    for path in _test_files(ctx):
        target = os.path.join(workdir, "tests", os.path.basename(path))
        shutil.copyfile(path, target)
        copies.append(target)
    return run(["promtool", "test", "rules", *copies], timeout=120)


def boundary_mutation_problems(ctx, document):
    """For every alert, its `for:` one evaluation interval shorter and one longer must each make
    the promtool tests fail: proof that the tests pin the boundary, not just the firing."""
    problems = []
    workdir = tempfile.mkdtemp(prefix="crisync-rules-mutation.")
    try:
        status, output = _promtool_on_copy(ctx, document, os.path.join(workdir, "control"))
        if status != 0:
            raise CheckFailed(f"the unmodified rules, re-serialised, fail their tests:\n{output[-3000:]}")
        interval = 60
        for index, (_, rule) in enumerate(alerting_rules(document)):
            name = rule["alert"]
            base = parse_duration(rule["for"])
            for label, seconds in (("shorter", base - interval), ("longer", base + interval)):
                if seconds < 0:
                    continue
                mutated = copy.deepcopy(document)
                alerting_rules(mutated)[index][1]["for"] = format_duration(seconds)
                status, _ = _promtool_on_copy(ctx, mutated, os.path.join(workdir, f"{name}-{label}"))
                if status == 0:
                    problems.append(f"{name}: tests still pass with for: {format_duration(seconds)} "
                                    f"({label} by one interval): the boundary is not tested")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return problems


def derived_rules_problems(ctx, document):
    """scripts/e2e/derive-rules.py changes nothing but `for:`, and divides it as documented."""
    workdir = tempfile.mkdtemp(prefix="crisync-derived.")
    try:
        output = os.path.join(workdir, "rules.yaml")
        require_success([ctx.python, ctx.path("scripts/e2e/derive-rules.py"), "--quiet", "--divisor", "60",
                         ctx.path(RULES), output])
        require_success(["promtool", "check", "rules", output])
        with open(output, encoding="utf-8") as handle:
            derived = yaml.safe_load(handle)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    problems = []
    original_rules = alerting_rules(document)
    derived_rules = alerting_rules(derived)
    if len(original_rules) != len(derived_rules):
        return [f"derived copy has {len(derived_rules)} alerts, the rules {len(original_rules)}"]
    for (_, original), (_, shortened) in zip(original_rules, derived_rules):
        expected = max(1, -(-parse_duration(original["for"]) // 60))
        if parse_duration(shortened.get("for", "0s")) != expected:
            problems.append(f"{original['alert']}: derived for: {shortened.get('for')}, expected {expected}s")
        left, right = dict(original), dict(shortened)
        left.pop("for", None)
        right.pop("for", None)
        if left != right:
            problems.append(f"{original['alert']}: the derived copy changed more than for:")
    return problems


def checks(ctx):
    def promtool_check():
        require_success(["promtool", "check", "rules", ctx.path(RULES)])

    def promtool_test():
        require_success(["promtool", "test", "rules", *_test_files(ctx)], timeout=300)

    def conventions():
        fail_if(convention_problems(load_rules(ctx)))

    def justified():
        with open(ctx.path(RULES), encoding="utf-8") as handle:
            fail_if(justification_problems(handle.read()))

    def runbook():
        with open(ctx.path(RUNBOOK), encoding="utf-8") as handle:
            fail_if(runbook_problems(load_rules(ctx), handle.read()))

    def coverage():
        documents = {}
        for path in _test_files(ctx):
            with open(path, encoding="utf-8") as handle:
                documents[path] = yaml.safe_load(handle)
        fail_if(test_coverage_problems(load_rules(ctx), documents))

    def mutation():
        fail_if(boundary_mutation_problems(ctx, load_rules(ctx)))

    def derived():
        fail_if(derived_rules_problems(ctx, load_rules(ctx)))

    return [
        ("rules: promtool check rules", promtool_check),
        ("rules: promtool test rules", promtool_test),
        ("rules: every alert follows the conventions", conventions),
        ("rules: every alert's for: is justified in a comment", justified),
        ("rules: one runbook section per alert", runbook),
        ("rules: every alert has a firing and a not-yet case; normal lag never fires", coverage),
        ("rules: the tests pin every for: boundary (mutations fail them)", mutation),
        ("rules: the e2e override only shortens for:", derived),
    ]
