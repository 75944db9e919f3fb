#!/usr/bin/env python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A counting HTTP proxy for AWS API calls: clients -> this proxy (their endpoint_url) -> moto.

It forwards every request unchanged and counts it by service and operation: ``X-Amz-Target``
(``AmazonEC2ContainerRegistry_V20150921.DescribeRepositories``, JSON protocol services such as ECR
and KMS) or the ``Action`` of a query-protocol body (STS ``AssumeRole``, IAM). It knows nothing of
moto, so the counts are what a client sends, as they would be against AWS.

    python bench/countproxy.py --listen 127.0.0.1:45261 --upstream http://127.0.0.1:45260

Control endpoints (not forwarded):
    GET  /__bench__/counts   {"ecr:DescribeRepositories": 3, ...} since the last reset
    POST /__bench__/reset    zero the counts
    GET  /__bench__/health   "ok"
"""

import argparse
import http.client
import http.server
import json
import sys
import threading
import urllib.parse
from collections import Counter

# X-Amz-Target prefixes of the JSON-protocol services a benchmark run can call.
TARGET_SERVICES = {
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "TrentService": "kms",
}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


def operation_of(headers, body):
    """``service:Operation`` for a request, from X-Amz-Target or a query-protocol Action."""
    target = headers.get("X-Amz-Target")
    if target and "." in target:
        prefix, operation = target.split(".", 1)
        return f"{TARGET_SERVICES.get(prefix, prefix)}:{operation}"
    fields = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    action = (fields.get("Action") or [None])[0]
    if action:
        # The credential scope names the service: Credential=AKID/DATE/REGION/SERVICE/aws4_request.
        auth = headers.get("Authorization") or ""
        service = "query"
        if "Credential=" in auth:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
            if len(scope) >= 4:
                service = scope[3]
        return f"{service}:{action}"
    return "other:unknown"


class Counts:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts = Counter()

    def add(self, operation):
        with self._lock:
            self._counts[operation] += 1

    def snapshot(self):
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset(self):
        with self._lock:
            self._counts.clear()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A response goes out as two writes (the headers, then the body) on a connection the client keeps open. With
    # Nagle's algorithm on, the body waits for the client to acknowledge the headers, which a client delays by up
    # to 40 ms (delayed ACKs): every call through the proxy took about 48 ms instead of 3, and the client, woken
    # up cold after each stall, spent about 1.2 ms more CPU per call (measured with boto3, one call at a time).
    # AWS answers without such a stall, and the proxy is meant to be transparent: TCP_NODELAY on each connection.
    disable_nagle_algorithm = True
    upstream = None  # (host, port)
    counts = None
    _local = threading.local()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _reply(self, status, payload, content_type="application/json"):
        body = payload.encode() if isinstance(payload, str) else payload
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _connection(self, fresh=False):
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection(*self.upstream, timeout=300)
            self._local.conn = conn
        return conn

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__bench__/"):
            return self._control(self.path[len("/__bench__/") :])
        self.counts.add(operation_of(self.headers, body))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for attempt in (0, 1):
            conn = self._connection(fresh=attempt > 0)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                if attempt:
                    return self._reply(502, json.dumps({"message": "upstream unreachable"}))
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return None

    def _control(self, what):
        if what == "counts":
            return self._reply(200, json.dumps(self.counts.snapshot()))
        if what == "reset":
            self.counts.reset()
            return self._reply(200, "{}")
        if what == "health":
            return self._reply(200, "ok", "text/plain")
        return self._reply(404, "{}")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:45261", help="HOST:PORT to listen on")
    parser.add_argument("--upstream", default="http://127.0.0.1:45260", help="the AWS emulator's URL")
    args = parser.parse_args(argv)
    upstream = urllib.parse.urlsplit(args.upstream)
    host, port = args.listen.rsplit(":", 1)
    Handler.upstream = (upstream.hostname, upstream.port or 80)
    Handler.counts = Counts()
    server = Server((host or "127.0.0.1", int(port)), Handler)
    print(f"countproxy: {args.listen} -> {args.upstream}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
