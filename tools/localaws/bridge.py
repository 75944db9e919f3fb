"""The bridge: registry push notifications -> ECR PutImage in moto (`localaws bridge --config FILE`)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import logging
import queue
import signal
import ssl
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from .config import DUMMY_KEY, LOOPBACK, MOTO_DEFAULT_ACCOUNT, registry_password
from .replicate import USER_AGENT as REPLICATION_AGENT
from .replicate import Replicator
from .scan_on_push import scan_if_configured
from .services import open_local

BRIDGE_ROLE = "localaws-bridge"
# The registry (Debian's docker-registry 2.8) answers a manifest read with HTTP 500 ("invalid checksum digest
# format") while another push of the same manifest rewrites its link: the fetch is tried again.
FETCH_ATTEMPTS = 5
FETCH_DELAY = 0.2
MANIFEST_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)

log = logging.getLogger("localaws")


class Mirror:
    """Mirrors pushed manifests into moto's ECR, one at a time and in arrival order."""

    def __init__(self, settings: dict):
        import boto3

        self.settings = settings
        self.session = boto3.session.Session()
        self.context = ssl.create_default_context(cafile=settings["ca_file"])
        self.jobs: queue.Queue = queue.Queue()
        self.replicator = Replicator(self, log)

    def submit(self, account: str, event: dict) -> None:
        target = event.get("target") or {}
        if str((event.get("request") or {}).get("useragent", "")).startswith(REPLICATION_AGENT):
            return  # the replicator's own copy into another account: it calls PutImage there itself
        if event.get("action") == "push" and target.get("mediaType") in MANIFEST_TYPES:
            self.jobs.put((account, target))

    def run_forever(self) -> None:
        while True:
            account, target = self.jobs.get()
            try:
                self.mirror(account, target)
            except Exception:  # pylint: disable=broad-exception-caught  # logged; the bridge must keep going
                log.exception("account %s: cannot mirror %s", account, describe_target(target))

    def client(self, service: str, account: str, region: str | None = None):
        """A client acting in ACCOUNT (and REGION, the bridge's by default): moto's default account takes the dummy
        keys, others an assumed role."""
        common = {"region_name": region or self.settings["region"], "endpoint_url": self.settings["moto_url"]}
        keys = {"aws_access_key_id": DUMMY_KEY, "aws_secret_access_key": DUMMY_KEY}
        if account != MOTO_DEFAULT_ACCOUNT:
            # Assumed per event: a moto restart forgets assumed keys, and unknown keys act in the default account.
            sts = self.session.client("sts", **common, **keys)
            role = f"arn:aws:iam::{account}:role/{BRIDGE_ROLE}"
            credentials = sts.assume_role(RoleArn=role, RoleSessionName=BRIDGE_ROLE)["Credentials"]
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return self.session.client(service, **common, **keys)

    def fetch_manifest(self, account: str, repository: str, digest: str) -> tuple[bytes, str]:
        port = self.settings["registries"][account]
        token = base64.b64encode(f"AWS:{registry_password(account)}".encode()).decode()
        request = urllib.request.Request(
            f"https://{LOOPBACK}:{port}/v2/{repository}/manifests/{digest}",
            headers={"Authorization": f"Basic {token}", "Accept": ", ".join(sorted(MANIFEST_TYPES))},
        )
        for attempt in range(1, FETCH_ATTEMPTS + 1):
            try:
                with open_local(request, self.context, timeout=10) as response:
                    body, media_type = response.read(), response.headers.get_content_type()
                break
            except urllib.error.HTTPError as error:
                if error.code < 500 or attempt == FETCH_ATTEMPTS:
                    raise
                log.info(
                    "account %s: %s@%s: HTTP %s from the registry, reading again",
                    account,
                    repository,
                    digest,
                    error.code,
                )
                time.sleep(FETCH_DELAY)
        actual = "sha256:" + hashlib.sha256(body).hexdigest()
        if actual != digest:
            raise ValueError(f"registry returned a manifest with digest {actual}, expected {digest}")
        return body, media_type

    def mirror(self, account: str, target: dict) -> None:
        from botocore.exceptions import ClientError

        repository, digest, tag = target["repository"], target["digest"], target.get("tag")
        manifest, media_type = self.fetch_manifest(account, repository, digest)
        request = {
            "repositoryName": repository,
            "imageManifest": manifest.decode("utf-8"),
            "imageManifestMediaType": media_type if media_type in MANIFEST_TYPES else target["mediaType"],
            "imageDigest": digest,
        }
        if tag:
            request["imageTag"] = tag
        ecr = self.client("ecr", account)
        try:
            ecr.put_image(**request)
        except ClientError as error:
            self.report_refusal(ecr, account, target, error)
            return
        log.info("account %s: mirrored %s", account, describe_target(target))
        scan_if_configured(ecr, repository, digest, log)
        image = {"repository": repository, "manifest": request["imageManifest"], "digest": digest, "tag": tag}
        self.replicator.replicate(account, dict(image, media_type=request["imageManifestMediaType"]))

    @staticmethod
    def report_refusal(ecr, account: str, target: dict, error: Exception) -> None:
        """Log why moto's ECR refused a pushed manifest (where real ECR would have refused the push itself)."""
        from botocore.exceptions import ClientError

        what = f"account {account}: {describe_target(target)}"
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ImageAlreadyExistsException" and target["digest"] in str(error):
            log.info("%s: already in ECR", what)
            return
        try:
            ecr.describe_repositories(repositoryNames=[target["repository"]])
        except ClientError as describe_error:
            if describe_error.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
                log.error("%s: no such repository in ECR (real ECR refuses such a push): create it first", what)
                return
        log.error("%s: PutImage refused: %s", what, str(error).splitlines()[0])


def describe_target(target: dict) -> str:
    tag = f":{target['tag']}" if target.get("tag") else ""
    return f"{target.get('repository')}{tag}@{target.get('digest')}"


def bridge_handler(mirror: Mirror) -> type:
    accounts = set(mirror.settings["registries"])

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "localaws-bridge"

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/health":
                self.reply(200, {"service": "localaws-bridge", "accounts": sorted(accounts)})
            else:
                self.reply(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            account = self.path.rpartition("/events/")[2]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if not self.path.startswith("/events/") or account not in accounts:
                self.reply(404, {"error": f"unknown account in {self.path}"})
                return
            try:
                events = json.loads(body).get("events") or []
            except (ValueError, AttributeError) as error:
                log.error("account %s: unreadable notification: %s", account, error)
                self.reply(400, {"error": "not an event envelope"})
                return
            for event in events:
                mirror.submit(account, event)
            self.reply(200, {"accepted": len(events)})

        def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
            log.debug("%s %s", self.address_string(), format % args)

    return Handler


def serve(config_file: str) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = json.loads(Path(config_file).read_text())
    mirror = Mirror(settings)
    threading.Thread(target=mirror.run_forever, name="mirror", daemon=True).start()
    server = http.server.ThreadingHTTPServer((LOOPBACK, settings["port"]), bridge_handler(mirror))
    log.info("bridge listening on http://%s:%s, moto at %s", LOOPBACK, settings["port"], settings["moto_url"])
    signal.signal(signal.SIGTERM, lambda *signal_args: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0
