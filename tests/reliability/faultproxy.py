#!/usr/bin/env python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A fault-injecting HTTP proxy between AWS clients (boto3) and the emulator (moto), for the tests.

    PYTHON tests/reliability/faultproxy.py --port 46300 --upstream http://127.0.0.1:46200 \
        [--rate 0.2] [--seed 1] [--faults throttle,server_error,unavailable,drop,drop_after,expired_token]
        [--services ecr,sts,iam] [--window unavailable:30]

Point ``endpoint_url`` (or ``AWS_ENDPOINT_URL``) at it instead of moto. Every request is forwarded
unchanged, except that a share (``rate``) of the requests of the chosen services is answered with
a fault, picked by a seeded RNG in arrival order so that a run can be repeated:

- ``throttle``: what ECR answers when a caller exceeds an API's rate: HTTP 400, the JSON error body
  ``{"__type":"ThrottlingException","message":"Rate exceeded"}`` (STS and IAM, which speak the query
  protocol, get their XML ``Throttling`` error instead);
- ``server_error``: HTTP 500 with ECR's ``ServerException`` (XML ``InternalFailure`` for STS and IAM);
- ``unavailable``: HTTP 503 with the HTML body a load balancer in front of any AWS API gives;
- ``drop``: the connection is closed before the request reaches moto (nothing was applied);
- ``drop_after``: the request is forwarded, moto applies it, and the connection is closed before the
  answer is sent: the client cannot know that its write happened, and a retry meets its effect;
- ``expired_token``: what AWS answers a request signed with an expired session token: ECR's
  ``ExpiredTokenException`` (HTTP 400, JSON), STS's and IAM's ``ExpiredToken`` (HTTP 403, XML). Nobody
  retries it: the caller must stop and say that the token expired.

A ``window`` (``{"fault": KIND, "seconds": N}``, optionally ``"operations": [...]``) answers *every*
request of the chosen services with that fault for N seconds, counted from the first request it meets,
then lets everything through again: with ``unavailable`` or ``drop`` an outage of the API, with
``throttle`` a stretch of throttling (another job using up the account's rate), with ``expired_token``
credentials that expired mid-run.

A ``vanish`` rule (``{"operation": "PutImageScanningConfiguration", "repository": "team/app"}``) deletes
the repository (``DeleteRepository`` with ``force``, sent to the emulator with the request's own
credentials) just before the first matching request is forwarded: someone else deleting it between the
module's read and its write. Each rule fires once.

Faults can be limited to some ``operations`` (``CreateRepository``, ...) and to the first ``limit``
calls of each operation (``rate=1, faults=[drop_after], limit=1``: every write's first answer is lost).
``deny`` rules answer matching requests with a fixed error and never forward them (the tests use
one to make a role impossible to assume: moto lets anyone assume any role; AWS does not).

The proxy also keeps a log of every request (service, operation, account, fault, upstream status)
and the secrets the emulator handed out (ECR authorization tokens and their passwords, STS secret
keys and session tokens), so tests can count write calls per account and scan output for secrets.
Both are read and the settings changed through a control API on the same port, under
``/__faultproxy__/``, which ``ProxyControl`` wraps: ``GET state``, ``POST config``, ``POST reset``, and
``POST mark`` (or ``GET mark?name=NAME``, for a playbook's url lookup), which labels the requests that
follow, so that a test can tell the requests of each task of a playbook apart.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import http.server
import json
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

CONTROL_PREFIX = "/__faultproxy__/"
FAULT_KINDS = ("throttle", "server_error", "unavailable", "drop", "drop_after", "expired_token")
# The faults a run must ride out (retried, or found applied): random faults are drawn from these by default.
# An expired token is not one of them: nobody retries it, the run stops (test_fault_kinds.py injects it).
TRANSIENT_KINDS = tuple(kind for kind in FAULT_KINDS if kind != "expired_token")
ECR_TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
DEFAULT_SERVICES = ("ecr",)
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
# Operations that change nothing. Everything else counts as a write (conservative on purpose: an
# operation the list does not know is a write until proven otherwise).
READ_PREFIXES = ("Get", "Describe", "List", "BatchGet", "BatchCheck")
READ_OPERATIONS = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity", "GetSessionToken"})
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
)
DEFAULT_ACCOUNT = "123456789012"  # moto's account for the dummy keys and any unknown access key


def is_write(operation: str | None) -> bool:
    if not operation:
        return False
    return not (operation.startswith(READ_PREFIXES) or operation in READ_OPERATIONS)


def query_error(code: str, message: str, kind: str = "Sender") -> bytes:
    """The XML error body of the query-protocol services (STS, IAM)."""
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-faultproxy00</RequestId></ErrorResponse>"
    ).encode()


def fault_response(kind: str, json_protocol: bool) -> tuple[int, dict, bytes]:
    """Status, headers and body of an injected error answer."""
    request_id = "00000000-0000-0000-0000-faultproxy00"
    if kind == "throttle":
        if json_protocol:
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            return 400, {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": request_id}, body
        return (
            400,
            {"Content-Type": "text/xml", "x-amzn-RequestId": request_id},
            query_error("Throttling", "Rate exceeded"),
        )
    if kind == "server_error":
        if json_protocol:
            body = json.dumps({"__type": "ServerException", "message": "Internal server error"}).encode()
            return 500, {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": request_id}, body
        return (
            500,
            {"Content-Type": "text/xml", "x-amzn-RequestId": request_id},
            query_error("InternalFailure", "Internal server error", "Receiver"),
        )
    if kind == "expired_token":
        if json_protocol:
            body = json.dumps(
                {"__type": "ExpiredTokenException", "message": "The security token included in the request is expired"}
            ).encode()
            return 400, {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": request_id}, body
        return (
            403,
            {"Content-Type": "text/xml", "x-amzn-RequestId": request_id},
            query_error("ExpiredToken", "The security token included in the request is expired"),
        )
    if kind == "unavailable":
        # What a load balancer in front of any AWS API answers (botocore's "generic error response").
        return 503, {"Content-Type": "text/html"}, b"<html><body><b>Http/1.1 Service Unavailable</b></body></html>"
    raise ValueError(f"not an answer fault: {kind}")


class ProxyState:
    """Settings, RNG, request log and secrets; shared by the handler threads under one lock."""

    def __init__(
        self, upstream: str, rate: float = 0.0, seed: int = 0, faults=TRANSIENT_KINDS, services=DEFAULT_SERVICES
    ):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.lock = threading.Lock()
        self.configure(
            rate=rate,
            seed=seed,
            faults=list(faults),
            services=list(services),
            deny=[],
            operations=None,
            limit=None,
            window=None,
            vanish=[],
        )
        self.requests: list[dict] = []
        self.secrets: set[str] = set()
        self.accounts: dict[str, str] = {}  # access key id -> account, learnt from AssumeRole answers
        self.mark = None

    def configure(self, **settings) -> None:
        with self.lock:
            for name in ("rate", "faults", "services", "deny", "operations", "limit", "window", "vanish"):
                if name in settings:
                    setattr(self, name, settings[name])
            kinds = set(self.faults) | ({self.window.get("fault")} if self.window else set())
            unknown = kinds - set(FAULT_KINDS)
            if unknown:
                raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
            if "window" in settings:
                self.window_started = None  # the window opens at the first request it meets
            if "vanish" in settings:
                self.vanish = [dict(rule, fired=False) for rule in self.vanish or []]
            if "seed" in settings:
                self.seed = settings["seed"]
                self.rng = random.Random(self.seed)
            self.injected: dict = {}  # operation -> faults injected since the last configure

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "rate": self.rate,
                "seed": self.seed,
                "faults": list(self.faults),
                "services": list(self.services),
                "deny": list(self.deny),
                "operations": self.operations,
                "limit": self.limit,
                "window": self.window,
                "window_started": self.window_started,
                "vanish": [dict(rule) for rule in self.vanish],
                "injected": dict(self.injected),
                "requests": list(self.requests),
                "secrets": sorted(self.secrets),
                "accounts": dict(self.accounts),
            }

    def reset(self) -> None:
        with self.lock:
            self.requests = []
            self.mark = None

    def decide(self, service: str, operation: str | None, body: bytes) -> tuple[str | None, dict | None]:
        """(fault kind or None, deny rule or None) for one request; draws from the RNG in arrival order."""
        with self.lock:
            for rule in self.deny:
                if rule.get("service", service) != service or rule.get("operation", operation) != operation:
                    continue
                if rule.get("match") and rule["match"].encode() not in urllib.parse.unquote_to_bytes(body):
                    continue
                return None, rule
            fault = self._window_fault(service, operation)
            if fault:
                self.injected[operation] = self.injected.get(operation, 0) + 1
                return fault, None
            if service not in self.services or not self.faults or self.rate <= 0:
                return None, None
            if self.operations is not None and operation not in self.operations:
                return None, None
            if self.limit is not None and self.injected.get(operation, 0) >= self.limit:
                return None, None
            if self.rng.random() >= self.rate:
                return None, None
            self.injected[operation] = self.injected.get(operation, 0) + 1
            return self.rng.choice(self.faults), None

    def _window_fault(self, service: str, operation: str | None) -> str | None:
        """The window's fault while it is open (called under the lock)."""
        window = self.window
        if not window or service not in self.services:
            return None
        if window.get("operations") is not None and operation not in window["operations"]:
            return None
        now = time.monotonic()
        if self.window_started is None:
            self.window_started = now
        if now - self.window_started >= float(window.get("seconds", 0)):
            return None
        return window["fault"]

    def take_vanish(self, service: str, operation: str | None, body: bytes) -> str | None:
        """The repository to delete before forwarding this request (a vanish rule that matches, fired once)."""
        if service != "ecr" or not operation:
            return None
        try:
            name = json.loads(body or b"{}").get("repositoryName")
        except ValueError:
            return None
        with self.lock:
            for rule in self.vanish:
                if not rule["fired"] and rule.get("operation") == operation and rule.get("repository") == name:
                    rule["fired"] = True
                    return name
        return None

    def record(self, entry: dict) -> None:
        with self.lock:
            entry["seq"] = len(self.requests)
            entry["mark"] = self.mark
            self.requests.append(entry)

    def account_of(self, access_key: str | None) -> str:
        with self.lock:
            return self.accounts.get(access_key or "", DEFAULT_ACCOUNT)

    def learn(self, service: str, operation: str | None, body: bytes) -> None:
        """Remember the secrets in an upstream answer and which account an assumed role's key acts in."""
        found = set()
        text = body.decode("utf-8", "replace")
        if service == "ecr" and operation == "GetAuthorizationToken":
            try:
                data = json.loads(text).get("authorizationData") or []
            except ValueError:
                data = []
            for item in data:
                token = item.get("authorizationToken")
                if token:
                    found.add(token)
                    try:
                        found.add(base64.b64decode(token).decode().split(":", 1)[1])
                    except (ValueError, IndexError, UnicodeDecodeError):
                        pass
        for tag in ("SecretAccessKey", "SessionToken"):
            found.update(re.findall(rf"<{tag}>([^<]+)</{tag}>", text))
        key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text)
        arn = re.search(r"<Arn>arn:aws[a-z-]*:sts::([0-9]{12}):assumed-role/", text)
        with self.lock:
            self.secrets.update(found)
            if key and arn:
                self.accounts[key.group(1)] = arn.group(1)


def request_identity(headers, body: bytes) -> tuple[str, str | None, str | None, bool]:
    """(service, operation, access key id, json protocol) of an AWS API request."""
    target = headers.get("X-Amz-Target") or ""
    authorization = headers.get("Authorization") or ""
    scope = re.search(r"Credential=([^/,\s]+)/[0-9]{8}/[^/]+/([^/]+)/aws4_request", authorization)
    access_key, service = (scope.group(1), scope.group(2)) if scope else (None, None)
    if target:
        operation = target.rpartition(".")[2]
        if service is None:
            service = "ecr" if target.startswith("AmazonEC2ContainerRegistry") else target.partition("_")[0].lower()
        return service, operation, access_key, True
    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", [None])[0]
    return service or "unknown", action, access_key, False


def make_handler(state: ProxyState) -> type:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "faultproxy"
        # Headers and body are two writes on a kept-alive connection: without TCP_NODELAY the body waits for the
        # client's delayed ACK of the headers (up to 40 ms a call), a stall AWS does not have (bench/countproxy.py).
        disable_nagle_algorithm = True

        def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
            return

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drop(self) -> None:
            """Close the connection without an answer (RST), as a failing network or load balancer would."""
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _control(self, body: bytes) -> None:
            command = self.path[len(CONTROL_PREFIX) :].split("?", 1)[0]
            try:
                payload = json.loads(body) if body else {}
                if self.command == "GET" and command == "state":
                    answer = state.snapshot()
                elif self.command == "POST" and command == "config":
                    state.configure(**payload)
                    answer = {"ok": True}
                elif command == "mark":
                    # POST {"mark": NAME}, or GET mark?name=NAME (for a playbook's url lookup)
                    query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                    mark = payload.get("mark") if self.command == "POST" else query.get("name", [None])[0]
                    with state.lock:
                        state.mark = mark
                    answer = {"ok": True, "mark": mark}
                elif self.command == "POST" and command == "reset":
                    state.reset()
                    answer = {"ok": True}
                else:
                    self._send(404, {"Content-Type": "application/json"}, b'{"error": "unknown control command"}')
                    return
            except (ValueError, TypeError) as error:
                self._send(400, {"Content-Type": "application/json"}, json.dumps({"error": str(error)}).encode())
                return
            self._send(200, {"Content-Type": "application/json"}, json.dumps(answer).encode())

        def _forward(self, body: bytes) -> tuple[int, list, bytes]:
            connection = http.client.HTTPConnection(state.upstream_host, state.upstream_port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                connection.close()

        def _delete_upstream(self, repository: str) -> int:
            """DeleteRepository (force) at the emulator, with the credentials of the request being handled."""
            body = json.dumps({"repositoryName": repository, "force": True}).encode()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Amz-Target"] = f"{ECR_TARGET_PREFIX}DeleteRepository"
            connection = http.client.HTTPConnection(state.upstream_host, state.upstream_port, timeout=120)
            try:
                connection.request("POST", "/", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                return response.status
            finally:
                connection.close()

        def _handle(self) -> None:
            body = self._read_body()
            if self.path.startswith(CONTROL_PREFIX):
                self._control(body)
                return
            service, operation, access_key, json_protocol = request_identity(self.headers, body)
            vanished = state.take_vanish(service, operation, body)
            if vanished:
                status = self._delete_upstream(vanished)
                state.record(
                    {
                        "time": time.time(),
                        "service": "ecr",
                        "operation": "DeleteRepository",
                        "write": True,
                        "account": state.account_of(access_key),
                        "fault": "vanish",
                        "status": status,
                        "applied": status == 200,
                        "repository": vanished,
                    }
                )
            fault, rule = state.decide(service, operation, body)
            entry = {
                "time": time.time(),
                "service": service,
                "operation": operation,
                "write": is_write(operation),
                "account": state.account_of(access_key),
                "fault": fault or ("deny" if rule else None),
                "status": None,
            }
            if rule is not None:
                status = int(rule.get("status", 403))
                message = rule.get("message", "Access denied")
                code = rule.get("code", "AccessDenied")
                if json_protocol:
                    payload = json.dumps({"__type": code, "message": message}).encode()
                    self._send(status, {"Content-Type": JSON_CONTENT_TYPE}, payload)
                else:
                    self._send(status, {"Content-Type": "text/xml"}, query_error(code, message))
                entry.update(status=status, applied=False)
                state.record(entry)
                return
            if fault == "drop":
                entry.update(applied=False)
                state.record(entry)
                self._drop()
                return
            if fault in ("throttle", "server_error", "unavailable", "expired_token"):
                status, headers, payload = fault_response(fault, json_protocol)
                entry.update(status=status, applied=False)
                state.record(entry)
                self._send(status, headers, payload)
                return
            try:
                status, headers, payload = self._forward(body)
            except OSError as error:
                entry.update(status=502, applied=None, error=str(error))
                state.record(entry)
                self._send(502, {"Content-Type": "text/plain"}, f"faultproxy: upstream failed: {error}".encode())
                return
            state.learn(service, operation, payload)
            entry.update(status=status, applied=True)
            state.record(entry)
            if fault == "drop_after":
                self._drop()
                return
            self._send(status, {k: v for k, v in headers if k.lower() not in HOP_BY_HOP}, payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle  # noqa: N815 (http.server's naming)

    return Handler


class FaultProxy:
    """The proxy in this process (a daemon thread), for tests that do not need a separate process."""

    def __init__(self, upstream: str, port: int = 0, **settings):
        self.state = ProxyState(upstream, **settings)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), make_handler(self.state))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="faultproxy", daemon=True)

    def start(self) -> "FaultProxy":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ProxyControl:
    """Client of a running proxy's control API."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def _call(self, method: str, command: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload or {}).encode() if method == "POST" else None
        request = urllib.request.Request(f"{self.url}{CONTROL_PREFIX}{command}", data=data, method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read())

    def state(self) -> dict:
        return self._call("GET", "state")

    def configure(self, **settings) -> None:
        self._call("POST", "config", settings)

    def mark(self, mark: str | None) -> None:
        self._call("POST", "mark", {"mark": mark})

    def reset(self) -> None:
        self._call("POST", "reset")

    def requests(self) -> list[dict]:
        return self.state()["requests"]

    def writes(self, requests: list[dict] | None = None) -> list[dict]:
        """The requests that reached the emulator and could have changed something."""
        return [r for r in (self.requests() if requests is None else requests) if r["write"] and r.get("applied")]

    def secrets(self) -> list[str]:
        return self.state()["secrets"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="the emulator, e.g. http://127.0.0.1:46200")
    parser.add_argument("--rate", type=float, default=0.0, help="share of requests answered with a fault (0..1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--faults", default=",".join(TRANSIENT_KINDS), help=f"comma-separated: {', '.join(FAULT_KINDS)}"
    )
    parser.add_argument("--services", default=",".join(DEFAULT_SERVICES), help="services that get faults")
    parser.add_argument("--window", help="KIND:SECONDS, e.g. unavailable:30: every request fails for that long")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    proxy = FaultProxy(
        args.upstream,
        port=args.port,
        rate=args.rate,
        seed=args.seed,
        faults=[f for f in args.faults.split(",") if f],
        services=[s for s in args.services.split(",") if s],
    )
    if args.window:
        kind, seconds = (args.window.split(":", 1) + ["0"])[:2]
        proxy.state.configure(window={"fault": kind, "seconds": float(seconds or 0)})
    print(f"faultproxy listening on {proxy.url}, upstream {args.upstream}", flush=True)
    try:
        proxy.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
