"""The bridge reads a pushed manifest again when the registry answers HTTP 500 for a moment (docker-registry 2.8
does while another push of the same manifest rewrites its link), and gives up on anything else at once."""

from __future__ import annotations

import hashlib
import io
import urllib.error
from email.message import Message

import pytest
import support  # noqa: F401  pylint: disable=unused-import  # puts tools/ on sys.path for localaws
from localaws import bridge

MANIFEST = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}'
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()


class Answer(io.BytesIO):
    def __init__(self):
        super().__init__(MANIFEST)
        self.headers = Message()
        self.headers["Content-Type"] = "application/vnd.oci.image.manifest.v1+json"


def mirror_with(monkeypatch, answers):
    calls = []

    def open_local(request, context, timeout):
        calls.append(request.full_url)
        answer = answers.pop(0)
        if isinstance(answer, int):
            raise urllib.error.HTTPError(request.full_url, answer, "error", Message(), None)
        return answer

    monkeypatch.setattr(bridge, "open_local", open_local)
    monkeypatch.setattr(bridge, "FETCH_DELAY", 0)
    mirror = bridge.Mirror.__new__(bridge.Mirror)
    mirror.settings = {"registries": {"123456789012": 5000}}
    mirror.context = None
    return mirror, calls


def test_a_registry_error_is_read_again(monkeypatch):
    mirror, calls = mirror_with(monkeypatch, [500, 500, Answer()])
    body, media_type = mirror.fetch_manifest("123456789012", "team/app", DIGEST)
    assert body == MANIFEST and media_type == "application/vnd.oci.image.manifest.v1+json"
    assert len(calls) == 3


def test_a_missing_manifest_is_not_read_again(monkeypatch):
    mirror, calls = mirror_with(monkeypatch, [404, Answer()])
    with pytest.raises(urllib.error.HTTPError):
        mirror.fetch_manifest("123456789012", "team/app", DIGEST)
    assert len(calls) == 1


def test_the_bridge_gives_up_after_its_attempts(monkeypatch):
    mirror, calls = mirror_with(monkeypatch, [500] * bridge.FETCH_ATTEMPTS)
    with pytest.raises(urllib.error.HTTPError):
        mirror.fetch_manifest("123456789012", "team/app", DIGEST)
    assert len(calls) == bridge.FETCH_ATTEMPTS
