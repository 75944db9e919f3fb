# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import os
import stat

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._api import images_copy
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError

DIGEST = "sha256:" + "c" * 64


def fake_skopeo(seen, rc=0, written=DIGEST):
    def run(argv, environ_update=None):
        authfile = argv[argv.index("--authfile") + 1]
        seen["argv"] = list(argv)
        seen["mode"] = stat.S_IMODE(os.stat(authfile).st_mode)
        with open(authfile, encoding="utf-8") as handle:
            seen["auth"] = json.load(handle)
        seen["env"] = environ_update
        seen["dir"] = os.path.dirname(authfile)
        if rc == 0:
            with open(argv[argv.index("--digestfile") + 1], "w", encoding="utf-8") as handle:
                handle.write(written + "\n")
        return rc, "", "unauthorized: bad credentials" if rc else ""

    return run


def test_credentials_in_a_private_file_never_in_argv():
    seen = {}
    digest = images_copy.skopeo_copy(
        fake_skopeo(seen), {"a:1": ("AWS", "secret-password")}, "docker://a:1/r@x", "docker://b:1/r:v1", "skopeo"
    )
    assert digest == DIGEST
    assert seen["mode"] == 0o600
    assert "a:1" in seen["auth"]["auths"]
    assert not any("secret-password" in part for part in seen["argv"])
    assert not os.path.exists(seen["dir"])


def test_a_failed_copy_names_both_images_and_cleans_up():
    seen = {}
    with pytest.raises(ECRError) as caught:
        images_copy.skopeo_copy(fake_skopeo(seen, rc=1), {"a:1": ("AWS", "pw")}, "docker://a", "docker://b", "skopeo")
    assert "Failed to copy docker://a to docker://b with skopeo (exit 1): unauthorized" in caught.value.message
    assert not os.path.exists(seen["dir"])


def test_without_skopeo(monkeypatch):
    monkeypatch.setattr(images_copy.shutil, "which", lambda name: None)
    with pytest.raises(ECRError, match="skopeo is not installed"):
        images_copy.skopeo_copy(fake_skopeo({}), {}, "docker://a", "docker://b")
