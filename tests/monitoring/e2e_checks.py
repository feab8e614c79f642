"""Checks of scripts/e2e/: the Prometheus and Alertmanager templates render to configs the real
tools accept, the webhook receiver stores what it is sent, and (unless --no-servers) Debian's
prometheus and prometheus-alertmanager start from them and deliver an alert to the webhook."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from checks import CheckFailed, CheckSkipped, require_success


def render_problems(ctx):
    workdir = tempfile.mkdtemp(prefix="crisync-e2e-render.")
    try:
        rules = os.path.join(workdir, "rules.yaml")
        require_success([ctx.python, ctx.path("scripts/e2e/derive-rules.py"), "--quiet",
                         ctx.path("alerts/crisync.rules.yaml"), rules])
        prometheus = os.path.join(workdir, "prometheus.yml")
        require_success([ctx.path("scripts/e2e/render-config.sh"), ctx.path("scripts/e2e/prometheus.yml.in"), prometheus,
                         f"RULES_FILE={rules}", "ALERTMANAGER_ADDRESS=127.0.0.1:9093",
                         "CRISYNC_ADDRESS=127.0.0.1:9731", "CLUSTER=e2e", "NODE=e2e-node"])
        require_success(["promtool", "check", "config", prometheus])
        alertmanager = os.path.join(workdir, "alertmanager.yml")
        require_success([ctx.path("scripts/e2e/render-config.sh"), ctx.path("scripts/e2e/alertmanager.yml.in"),
                         alertmanager, "WEBHOOK_URL=http://127.0.0.1:9999/alerts"])
        if not shutil.which("amtool"):
            raise CheckSkipped("amtool not found (Debian package prometheus-alertmanager)")
        require_success(["amtool", "check-config", alertmanager])
        # A placeholder left without a value must be refused, not rendered.
        status = subprocess.run([ctx.path("scripts/e2e/render-config.sh"), ctx.path("scripts/e2e/prometheus.yml.in"),
                                 os.path.join(workdir, "incomplete.yml"), f"RULES_FILE={rules}"],
                                capture_output=True, timeout=30).returncode
        if status == 0:
            raise CheckFailed("render-config.sh accepted a template with placeholders left unfilled")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _request(url, data=None, timeout=5):
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def webhook_problems(ctx):
    """Start webhook.py on port 0, send it a payload and garbage, stop it with SIGTERM."""
    workdir = tempfile.mkdtemp(prefix="crisync-webhook.")
    process = None
    try:
        output = os.path.join(workdir, "alerts.jsonl")
        port_file = os.path.join(workdir, "port")
        process = subprocess.Popen([ctx.python, ctx.path("scripts/e2e/webhook.py"), "--output", output,
                                    "--port-file", port_file], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or process.poll() is not None:
                raise CheckFailed("webhook.py did not write its port file within 10 s")
            time.sleep(0.05)
        with open(port_file, encoding="utf-8") as handle:
            base = f"http://127.0.0.1:{int(handle.read())}"
        if _request(base + "/healthz") != 200:
            raise CheckFailed("GET /healthz did not answer 200")
        payload = {"version": "4", "status": "firing",
                   "alerts": [{"status": "firing", "labels": {"alertname": "CrisyncReadyButDead", "pod": "a\"b"}}]}
        if _request(base + "/alerts", json.dumps(payload).encode()) != 200:
            raise CheckFailed("POST of a valid payload did not answer 200")
        if _request(base + "/alerts", b"{not json") != 400:
            raise CheckFailed("POST of invalid JSON did not answer 400")
        with open(output, encoding="utf-8") as handle:
            stored = [json.loads(line) for line in handle]
        if stored != [payload]:
            raise CheckFailed(f"stored {stored!r}, expected exactly the valid payload")
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise CheckFailed("webhook.py did not stop within 5 s of SIGTERM")
        if status != 0:
            raise CheckFailed(f"webhook.py exited {status} on SIGTERM")
    finally:
        if process and process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


def smoke(ctx):
    if not ctx.with_servers:
        raise CheckSkipped("--no-servers given")
    env = dict(os.environ, E2E_PYTHON=ctx.python)
    require_success([ctx.path("scripts/e2e/smoke.sh")], timeout=180, env=env)


SHELL_SCRIPTS = ["scripts/check-monitoring.sh", "scripts/sync-prometheusrule.sh", "scripts/e2e/lib.sh",
                 "scripts/e2e/render-config.sh", "scripts/e2e/smoke.sh", "scripts/e2e/alerting.sh",
                 "scripts/demo.sh", "scripts/test.sh", "scripts/containerd.sh", "scripts/deps.sh",
                 "scripts/regen-cri.sh", "scripts/fuzz.sh", "scripts/bench.sh"]


def shellcheck(ctx):
    if not shutil.which("shellcheck"):
        raise CheckSkipped("shellcheck not found (Debian package shellcheck)")
    require_success(["shellcheck", "-x", *SHELL_SCRIPTS], cwd=ctx.root)


def checks(ctx):
    return [
        ("scripts: shellcheck is clean on the monitoring scripts", lambda: shellcheck(ctx)),
        ("e2e: templates render to configs promtool and amtool accept", lambda: render_problems(ctx)),
        ("e2e: webhook.py stores valid payloads, refuses garbage, stops on SIGTERM", lambda: webhook_problems(ctx)),
        ("e2e: real prometheus + alertmanager start from the templates and deliver to the webhook",
         lambda: smoke(ctx)),
    ]
