#!/usr/bin/env python3
"""A minimal Alertmanager webhook receiver for crisync's end-to-end test (python3 stdlib only).

Every POST body (Alertmanager's webhook JSON: version, status, alerts[...]) is appended to the
output file as one JSON line, then answered 200. GET /healthz answers "ok".

  scripts/e2e/webhook.py --output alerts.jsonl [--listen 127.0.0.1:0] [--port-file PORT_FILE]

With port 0 the kernel picks a free port; it is written to --port-file (atomically, after the
socket is bound) so a test can read it without racing. Stops cleanly on SIGTERM/SIGINT.
Bad requests (no or oversized Content-Length, invalid JSON) get a 4xx and are logged, never stored.
"""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY_BYTES = 4 * 1024 * 1024


class Receiver(BaseHTTPRequestHandler):
    # Per-connection socket timeout, seconds: a client that sends nothing cannot hold a thread.
    timeout = 10
    server_version = "crisync-e2e-webhook/1"

    def _reply(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self._reply(200, "ok")
        else:
            self._reply(404, "not found")

    def do_POST(self):
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header)
        except (TypeError, ValueError):
            self._reply(411, "Content-Length required")
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self._reply(413, f"body must be at most {MAX_BODY_BYTES} bytes")
            return
        body = self.rfile.read(length)
        try:
            payload = json.loads(body)
        except ValueError as error:
            self.log_message("rejected a body that is not JSON: %s", error)
            self._reply(400, "body is not JSON")
            return
        line = json.dumps(payload, sort_keys=True, separators=(",", ":")) + "\n"
        with self.server.write_lock:
            with open(self.server.output_path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        self._reply(200, "ok")

    def log_message(self, fmt, *args):
        sys.stderr.write("webhook: %s %s\n" % (self.address_string(), fmt % args))


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError(f"--listen must be HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 0), help="HOST:PORT (default 127.0.0.1:0)")
    parser.add_argument("--output", required=True, help="file to append received payloads to, one JSON per line")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    args = parser.parse_args(argv)

    try:
        open(args.output, "a", encoding="utf-8").close()
        server = ThreadingHTTPServer(args.listen, Receiver)
    except OSError as error:
        print(f"webhook: cannot listen on {args.listen[0]}:{args.listen[1]} / write {args.output}: {error}", file=sys.stderr)
        return 1
    server.daemon_threads = True
    server.output_path = args.output
    server.write_lock = threading.Lock()
    port = server.server_address[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(f"{port}\n")
        os.replace(temporary, args.port_file)

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"webhook: listening on {args.listen[0]}:{port}, appending to {args.output}", file=sys.stderr, flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
