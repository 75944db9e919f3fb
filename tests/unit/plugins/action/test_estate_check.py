# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The estate_check action plugin: options default to the host's variables, which it templates only when they hold
a template, and a host with problems fails with one message. A real Templar and DataLoader; the task and the
connection, which this controller-only action never uses, are stand-ins."""

from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19: every string is a template

    def trust_as_template(value):
        return value


from ansible_collections.dockyard.ecr.plugins.action import estate_check

ACCOUNT = "123456789012"


def estate(**keys):
    return [
        dict({"name": "main", "account_id": ACCOUNT, "region": "us-east-1", "repositories": [{"name": "a"}]}, **keys)
    ]


def host_vars(**extra):
    return dict(
        {
            "inventory_hostname": "reg",
            "group_names": ["registries"],
            "aws_account_id": ACCOUNT,
            "aws_region": "us-east-1",
            "ecr_registries": estate(),
        },
        **extra,
    )


def run(task_vars, args=None):
    task = SimpleNamespace(args=args or {}, async_val=0, check_mode=False, action="dockyard.ecr.estate_check")
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
    templar = Templar(loader=DataLoader(), variables=task_vars)
    plugin = estate_check.ActionModule(task, connection, None, DataLoader(), templar, None)
    return plugin.run(task_vars=task_vars)


def test_reads_the_host_variables():
    result = run(host_vars())
    assert not result.get("failed") and result["changed"] is False
    assert result["repositories"] == [{"name": "a"}] and result["converge_registry"] is False


def test_options_given_win_over_the_variables():
    result = run(host_vars(), {"registries": estate(repository_defaults={"scan_on_push": True}), "groups": ["x"]})
    # Not a registry host now: no repositories of its own.
    assert result["repositories"] is None and not result.get("failed")
    result = run(host_vars(), {"registries": estate(repository_defaults={"scan_on_push": True})})
    assert result["repositories"] == [{"scan_on_push": True, "name": "a"}]


def test_a_template_in_the_estate_is_rendered():
    registries = estate()
    # As an inventory or vars file gives it: trusted as a template.
    registries[0]["account_id"] = trust_as_template("{{ prod_account }}")
    result = run(host_vars(ecr_registries=registries, prod_account=ACCOUNT))
    assert not result.get("failed"), result.get("msg")
    assert result["repositories"] == [{"name": "a"}]


def test_only_what_the_host_reads_of_the_estate_is_rendered():
    other = {"name": "other", "account_id": "210987654321", "region": "us-east-1"}
    registries = estate(repositories=[{"name": trust_as_template("{{ own_name }}")}]) + [
        dict(other, repositories=trust_as_template("{{ undefined_in_this_inventory }}"))
    ]
    # A registry host renders its own entry's repositories and the other entry's own keys, not its repositories:
    # a template there that cannot be rendered is the other registry host's failure, not this one's.
    result = run(host_vars(ecr_registries=registries, own_name="app"))
    assert not result.get("failed"), result.get("msg")
    assert result["repositories"] == [{"name": "app"}]
    # A consumer's grants come from every registry: it renders them all (and fails on the undefined variable).
    consumer = host_vars(ecr_registries=registries, own_name="app", group_names=["consumers"])
    with pytest.raises(Exception, match="undefined_in_this_inventory"):
        run(consumer)


def test_plain_data_is_not_templated(monkeypatch):
    template = Templar.template

    def refuse_containers(self, value, *args, **kwargs):
        assert not isinstance(value, (dict, list)), f"templated {value}"
        return template(self, value, *args, **kwargs)

    monkeypatch.setattr(Templar, "template", refuse_containers)
    assert not run(host_vars()).get("failed")


def test_a_host_with_problems_fails_naming_the_account_and_each_problem():
    result = run(host_vars(aws_region=None, aws_role_arn="arn:aws:iam::999999999999:role/x"))
    assert result["failed"] is True
    assert result["msg"].startswith(f"Account {ACCOUNT} (reg, no region): aws_region: give the region")
    assert "; aws_role_arn: arn:aws:iam::999999999999:role/x is not a role of account" in result["msg"]
    assert result["msg"].endswith("Nothing was changed in this account; the other accounts go on.")
    assert result["repositories"] is None and result["converge_registry"] is False


def test_an_unknown_option_is_refused():
    with pytest.raises(AnsibleActionFail, match="Invalid options for dockyard.ecr.estate_check: estate"):
        run(host_vars(), {"estate": []})
