"""localaws addition: ECR's private image replication, which moto does not do (it stores the configuration only).

After the bridge mirrored a push into ECR (``bridge.py``, ``Mirror.mirror``), ``Replicator.replicate`` reads the
source registry's replication configuration (``DescribeRegistry`` in the bridge's region) and, for every
destination of every rule whose repository filters match the repository (``PREFIX_MATCH``; a rule without filters
matches all), does what ECR's replication does:

- cross-account: the destination's registry policy (in its region) must allow the source account
  ``ecr:ReplicateImage`` on the repository, and ``ecr:CreateRepository`` when the repository is missing;
  otherwise the replication fails (logged, as ECR shows it in CloudTrail and the replication status);
- the destination repository is created when missing (with ECR's defaults: creation templates are not applied);
- cross-account, when the emulator runs a registry for the destination account: the manifest (and, for an index,
  its child manifests) and every blob are copied into that registry, so a pull from the replica works; these
  pushes carry the ``localaws-replication`` user agent and the bridge ignores their notifications;
- ``PutImage`` of the same manifest, digest and tag in the destination account and region.

Limits, said plainly: the emulator has one registry per account for every region, so a cross-region replica of
the same account is recorded in that region's ECR API and pulled from the same storage; a destination account
without a registry in the emulator gets the ECR API side only; images put through the API only (``PutImage``
without a push) are not replicated; deletions are not replicated (``deleteReplication``); replicated images are
not replicated further, as in ECR.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import urllib.error
import urllib.request

from .config import LOOPBACK, registry_password
from .services import open_local

USER_AGENT = "localaws-replication"
INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)


def destinations_for(rules: list, repository: str) -> list[tuple[str, str]]:
    """(registry ID, region) of every destination whose rule matches REPOSITORY, each once, in rule order."""
    found: list[tuple[str, str]] = []
    for rule in rules or []:
        filters = rule.get("repositoryFilters") or []
        if filters and not any(repository.startswith(f.get("filter") or "") for f in filters):
            continue
        for destination in rule.get("destinations") or []:
            key = (destination.get("registryId"), destination.get("region"))
            if key not in found:
                found.append(key)
    return found


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(patterns, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in _as_list(patterns))


def _names_account(principal, account: str) -> bool:
    if principal == "*":
        return True
    values = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    return any(v in ("*", account) or str(v).endswith(f":iam::{account}:root") for v in values)


def policy_allows(policy: dict | None, account: str, action: str, resource: str) -> bool:
    """Whether POLICY (a registry policy document) allows ACCOUNT ACTION on RESOURCE: an Allow statement naming the
    account (its ID, root ARN or ``*``), the action and the resource (``*`` wildcards), and no such Deny. Conditions
    and NotAction/NotResource are not evaluated (a statement with them does not match)."""
    allowed = False
    statements = (policy or {}).get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Condition") or "NotAction" in statement or "NotResource" in statement:
            continue
        if not _names_account(statement.get("Principal"), account):
            continue
        if not _matches(statement.get("Action"), action) or not _matches(statement.get("Resource", "*"), resource):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class Registries:
    """The emulator's OCI registries over HTTPS with basic auth: manifests and blobs copied between accounts."""

    def __init__(self, settings: dict, context):
        self.ports = settings["registries"]
        self.context = context

    def has(self, account: str) -> bool:
        return account in self.ports

    def _call(self, account: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        url = path if path.startswith("https://") else f"https://{LOOPBACK}:{self.ports[account]}{path}"
        token = base64.b64encode(f"AWS:{registry_password(account)}".encode()).decode()
        request = urllib.request.Request(
            url,
            data=body,
            method=method,
            headers={"Authorization": f"Basic {token}", "User-Agent": USER_AGENT, **(headers or {})},
        )
        return open_local(request, self.context, timeout=60)

    def exists(self, account: str, repository: str, kind: str, digest: str, accept: str = "") -> bool:
        try:
            with self._call(account, "HEAD", f"/v2/{repository}/{kind}/{digest}", headers={"Accept": accept}):
                return True
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise

    def get(self, account: str, repository: str, kind: str, digest: str, accept: str = "") -> tuple[bytes, str]:
        with self._call(account, "GET", f"/v2/{repository}/{kind}/{digest}", headers={"Accept": accept}) as response:
            return response.read(), response.headers.get_content_type()

    def copy_blob(self, source: str, target: str, repository: str, digest: str) -> None:
        if self.exists(target, repository, "blobs", digest):
            return
        data, _type = self.get(source, repository, "blobs", digest)
        with self._call(target, "POST", f"/v2/{repository}/blobs/uploads/") as response:
            location = response.headers["Location"]
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        headers = {"Content-Type": "application/octet-stream"}
        with self._call(target, "PUT", location, body=data, headers=headers):
            pass

    def copy_manifest(self, source: str, target: str, repository: str, manifest: bytes, media_type: str, ref: str):
        """Copy MANIFEST (and what it references) from SOURCE's registry to TARGET's, stored under REF."""
        document = json.loads(manifest)
        accept = ", ".join(sorted(INDEX_TYPES | {media_type}))
        if media_type in INDEX_TYPES or "manifests" in document:
            for child in document.get("manifests") or []:
                digest = child["digest"]
                if not self.exists(target, repository, "manifests", digest, child.get("mediaType", "")):
                    body, child_type = self.get(source, repository, "manifests", digest, child.get("mediaType", accept))
                    self.copy_manifest(source, target, repository, body, child_type, digest)
        else:
            blobs = [document.get("config") or {}] + list(document.get("layers") or [])
            for blob in blobs:
                if blob.get("digest"):
                    self.copy_blob(source, target, repository, blob["digest"])
        with self._call(
            target, "PUT", f"/v2/{repository}/manifests/{ref}", body=manifest, headers={"Content-Type": media_type}
        ):
            pass


class Replicator:
    """Replicates one pushed image to the destinations of the source registry's replication rules."""

    def __init__(self, mirror, log):
        self.mirror = mirror  # its client(service, account, region) acts in any account and region
        self.log = log
        self.registries = Registries(mirror.settings, mirror.context)

    def replicate(self, account: str, image: dict) -> list[str]:
        """IMAGE: repository, manifest (text), media_type, digest, tag (or None). Returns one line per destination."""
        region = self.mirror.settings["region"]
        rules = (self.mirror.client("ecr", account).describe_registry().get("replicationConfiguration") or {}).get(
            "rules"
        )
        done = []
        for registry_id, destination_region in destinations_for(rules, image["repository"]):
            if (registry_id, destination_region) == (account, region):
                continue
            try:
                done.append(self.replicate_to(account, registry_id, destination_region, image))
            except Exception as error:  # pylint: disable=broad-exception-caught  # logged; the next destination goes on
                line = f"FAILED: {error}"
                done.append(line)
            self.log.log(
                40 if done[-1].startswith(("FAILED", "refused")) else 20,
                "replication of %s to %s %s: %s",
                describe(image),
                registry_id,
                destination_region,
                done[-1],
            )
        return done

    def replicate_to(self, account: str, registry_id: str, region: str, image: dict) -> str:
        from botocore.exceptions import ClientError

        repository = image["repository"]
        ecr = self.mirror.client("ecr", registry_id, region)
        cross_account = registry_id != account
        arn = f"arn:aws:ecr:{region}:{registry_id}:repository/{repository}"
        policy = None
        if cross_account:
            try:
                policy = json.loads(ecr.get_registry_policy()["policyText"])
            except ClientError:
                policy = None
            if not policy_allows(policy, account, "ecr:ReplicateImage", arn):
                return (
                    f"refused: the destination's registry policy does not allow account {account} ecr:ReplicateImage "
                    f"on {arn}"
                )
        try:
            ecr.describe_repositories(repositoryNames=[repository])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "RepositoryNotFoundException":
                raise
            if cross_account and not policy_allows(policy, account, "ecr:CreateRepository", arn):
                return (
                    f"refused: repository {repository} does not exist there and the destination's registry policy does "
                    f"not allow account {account} ecr:CreateRepository"
                )
            ecr.create_repository(repositoryName=repository)
        copied = ""
        if cross_account and self.registries.has(registry_id):
            self.registries.copy_manifest(
                account,
                registry_id,
                repository,
                image["manifest"].encode("utf-8"),
                image["media_type"],
                image["tag"] or image["digest"],
            )
            copied = ", manifest and blobs copied into its registry"
        elif cross_account:
            copied = ", ECR API only (the emulator runs no registry for that account)"
        request = {
            "repositoryName": repository,
            "imageManifest": image["manifest"],
            "imageManifestMediaType": image["media_type"],
            "imageDigest": image["digest"],
        }
        if image["tag"]:
            request["imageTag"] = image["tag"]
        try:
            ecr.put_image(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ImageAlreadyExistsException":
                return "already replicated"
            raise
        return f"replicated{copied}"


def describe(image: dict) -> str:
    tag = f":{image['tag']}" if image.get("tag") else ""
    return f"{image['repository']}{tag}@{image['digest']}"
