#!/usr/bin/env python3
"""Derive a copy of alerts/crisync.rules.yaml with shorter `for:` durations, for the end-to-end test.

The end-to-end test cannot wait the production `for:` durations (up to 30 minutes). This is the one
documented override: it reads the shipped rule file and writes a derived copy in which every
`for:` (and `keep_firing_for:`) is divided by --divisor (default 60, so 1m becomes 1s and 10m
becomes 10s), rounded up to whole seconds, at least --min (default 1s). Nothing else changes:
expressions, thresholds, labels and annotations are the shipped ones. The shipped file is never
edited for a test.

Usage:
  scripts/e2e/derive-rules.py [--divisor N] [--min 1s] alerts/crisync.rules.yaml OUT.yaml

Exits 2 with one line on bad input (unreadable file, not a rule file, unparsable duration).
Needs python3 with PyYAML (Debian: python3-yaml).
"""

import argparse
import math
import re
import sys

import yaml

# Prometheus duration units, in seconds (model.ParseDuration).
_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


def parse_duration(text):
    """Seconds in a Prometheus duration string such as `1h30m` or `90s`; ValueError if malformed."""
    match = _DURATION.match(str(text).strip())
    if not match or not str(text).strip():
        raise ValueError(f"not a Prometheus duration: {text!r}")
    seconds = 0.0
    for value, unit in zip(match.groups(), ["y", "w", "d", "h", "m", "s", "ms"]):
        if value is not None:
            seconds += int(value) * _UNITS[unit]
    return seconds


def format_duration(seconds):
    """Whole seconds as the shortest Prometheus duration (`90s` stays `90s`: seconds are exact)."""
    seconds = int(seconds)
    if seconds % 3600 == 0 and seconds > 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds > 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def derive(rules_doc, divisor, minimum_seconds):
    """Return (derived document, list of (alert, old, new)) with every `for` scaled down."""
    if not isinstance(rules_doc, dict) or not isinstance(rules_doc.get("groups"), list):
        raise ValueError("not a Prometheus rule file: no top-level `groups` list")
    changes = []
    for group in rules_doc["groups"]:
        for rule in group.get("rules") or []:
            for key in ("for", "keep_firing_for"):
                if key not in rule:
                    continue
                old = rule[key]
                new_seconds = max(minimum_seconds, math.ceil(parse_duration(old) / divisor))
                rule[key] = format_duration(new_seconds)
                changes.append((rule.get("alert") or rule.get("record"), f"{key} {old}", rule[key]))
    return rules_doc, changes


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--divisor", type=float, default=60.0, help="divide every for: by this (default 60)")
    parser.add_argument("--min", default="1s", help="shortest derived for: (default 1s)")
    parser.add_argument("--quiet", action="store_true", help="do not list the changed durations")
    parser.add_argument("rules", help="the shipped rule file (alerts/crisync.rules.yaml)")
    parser.add_argument("output", help="where to write the derived copy")
    args = parser.parse_args(argv)
    try:
        if args.divisor < 1:
            raise ValueError(f"--divisor must be >= 1, got {args.divisor}")
        minimum = parse_duration(args.min)
        with open(args.rules, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        derived, changes = derive(document, args.divisor, minimum)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"derive-rules: {args.rules}: {error}", file=sys.stderr)
        return 2
    header = (
        f"# DERIVED for the end-to-end test by scripts/e2e/derive-rules.py from {args.rules}\n"
        f"# (every for: divided by {args.divisor:g}, at least {args.min}). Do not ship; do not edit.\n"
    )
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(header)
            yaml.safe_dump(derived, handle, sort_keys=False, allow_unicode=True, width=1000)
    except OSError as error:
        print(f"derive-rules: {args.output}: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        for name, old, new in changes:
            print(f"{name}: {old} -> {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
