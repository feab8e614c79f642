#!/usr/bin/env python3
"""Run crisync's monitoring checks: alerts, dashboards, deploy manifests, e2e configs.

  tests/monitoring/run.py [--golden FILE]... [--families-from-readme] [--no-servers] [--only TEXT]

Prints PASS/FAIL/SKIP per check, the reasons for each failure, and last a line
`N passed, M failed`. Exits 1 if any check failed, 2 on bad usage.
Normally started by scripts/check-monitoring.sh, which first installs what is missing.
"""

import argparse
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the work tree

import dashboard_checks  # noqa: E402
import deploy_checks  # noqa: E402
import e2e_checks  # noqa: E402
import metrics_checks  # noqa: E402
import rules_checks  # noqa: E402
import self_checks  # noqa: E402
from checks import CheckFailed, CheckSkipped, Context  # noqa: E402

MODULES = [rules_checks, dashboard_checks, metrics_checks, deploy_checks, e2e_checks, self_checks]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--golden", action="append", default=[], metavar="FILE",
                        help="check metric names against this /metrics scrape (repeatable; union of all)")
    parser.add_argument("--families-from-readme", action="store_true",
                        help="check metric names against the README's metrics table")
    parser.add_argument("--no-servers", action="store_true",
                        help="skip starting the real prometheus and alertmanager")
    parser.add_argument("--only", default="", help="run only checks whose name contains TEXT")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for path in args.golden:
        if not os.path.isfile(path):
            print(f"run.py: --golden {path}: no such file", file=sys.stderr)
            return 2

    ctx = Context(root=os.path.abspath(args.root), golden=[os.path.abspath(p) for p in args.golden],
                  families_from_readme=args.families_from_readme, with_servers=not args.no_servers,
                  python=sys.executable)
    passed = failed = skipped = 0
    for module in MODULES:
        for name, function in module.checks(ctx):
            if args.only and args.only not in name:
                continue
            started = time.monotonic()
            try:
                function()
            except CheckSkipped as reason:
                skipped += 1
                print(f"SKIP {name}: {reason}", flush=True)
                continue
            except CheckFailed as reason:
                failed += 1
                print(f"FAIL {name} ({time.monotonic() - started:.1f}s)\n{_indent(str(reason))}", flush=True)
                continue
            except Exception:  # a bug in a check, or a file that is not what it should be
                failed += 1
                print(f"FAIL {name}: unexpected error\n{_indent(traceback.format_exc())}", flush=True)
                continue
            passed += 1
            print(f"PASS {name} ({time.monotonic() - started:.1f}s)", flush=True)
    if skipped:
        print(f"({skipped} skipped)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _indent(text):
    return "\n".join("    " + line for line in text.rstrip().splitlines())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
