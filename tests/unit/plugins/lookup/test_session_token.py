# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.dockyard.ecr.plugins.lookup.session_token import LookupModule


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, ""),
        ({"AWS_SECURITY_TOKEN": "awx-token"}, "awx-token"),
        ({"AWS_SESSION_TOKEN": "session", "AWS_SECURITY_TOKEN": "awx-token"}, "session"),
        ({"AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": "awx-token"}, "awx-token"),
    ],
)
def test_the_lookup_gives_the_token_awx_injected(monkeypatch, environ, expected):
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert LookupModule().run([], variables={}) == [expected]
