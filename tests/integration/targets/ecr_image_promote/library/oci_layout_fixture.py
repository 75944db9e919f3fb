#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: oci_layout_fixture
short_description: Write a tiny OCI image layout (one image, or a two-platform index) for a test push
description:
  - Writes an OCI image layout at O(path) holding one image whose single layer holds O(content),
    or with O(platforms), an index with one such image per platform.
  - C(skopeo copy --all oci:PATH:TAG docker://...) pushes it.
options:
  path:
    description: The directory to write (made or replaced).
    type: path
    required: true
  tag:
    description: The reference name in the layout.
    type: str
    default: latest
  content:
    description: Text that makes the image distinct.
    type: str
    required: true
  platforms:
    description: Platforms (C(os/arch)) for an index; empty for a single image.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: A two-platform image
  oci_layout_fixture:
    path: /tmp/layout
    content: hello
    platforms: [linux/amd64, linux/arm64]
"""

RETURN = r"""
digest:
  description: The digest of the top manifest (the index for a multi-platform image).
  returned: always
  type: str
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile

from ansible.module_utils.basic import AnsibleModule


def blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as handle:
        handle.write(data)
    return "sha256:" + digest, len(data)


def layer(text):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = text.encode("utf-8")
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    return raw.getvalue(), gzip.compress(raw.getvalue(), mtime=0)


def image(root, text, os_name="linux", arch="amd64"):
    tar, compressed = layer(text)
    layer_digest, layer_size = blob(root, compressed)
    config = {
        "architecture": arch,
        "os": os_name,
        "config": {"Cmd": ["/hello"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    }
    config_digest, config_size = blob(root, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}
        ],
    }
    digest, size = blob(root, json.dumps(manifest, sort_keys=True).encode())
    return {"mediaType": manifest["mediaType"], "digest": digest, "size": size}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            tag=dict(type="str", default="latest"),
            content=dict(type="str", required=True),
            platforms=dict(type="list", elements="str", default=[]),
        )
    )
    root = module.params["path"]
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "blobs", "sha256"))
    with open(os.path.join(root, "oci-layout"), "w", encoding="utf-8") as handle:
        json.dump({"imageLayoutVersion": "1.0.0"}, handle)
    if module.params["platforms"]:
        manifests = []
        for platform in module.params["platforms"]:
            os_name, arch = platform.split("/", 1)
            entry = image(root, f"{module.params['content']} {platform}", os_name, arch)
            entry["platform"] = {"os": os_name, "architecture": arch}
            manifests.append(entry)
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
        digest, size = blob(root, json.dumps(index, sort_keys=True).encode())
        top = {"mediaType": index["mediaType"], "digest": digest, "size": size}
    else:
        top = image(root, module.params["content"])
    top["annotations"] = {"org.opencontainers.image.ref.name": module.params["tag"]}
    with open(os.path.join(root, "index.json"), "w", encoding="utf-8") as handle:
        json.dump({"schemaVersion": 2, "manifests": [top]}, handle)
    module.exit_json(changed=True, digest=top["digest"])


if __name__ == "__main__":
    main()
