# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.dockyard.ecr.plugins.module_utils._api import organizations  # noqa: E402


@pytest.fixture
def org():
    with moto.mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        workloads = client.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
        prod = client.create_organizational_unit(ParentId=workloads, Name="prod")["OrganizationalUnit"]["Id"]
        account = client.create_account(
            AccountName="prod", Email="prod@example.com", Tags=[{"Key": "dockyard:groups", "Value": "consumers"}]
        )["CreateAccountStatus"]["AccountId"]
        client.move_account(AccountId=account, SourceParentId=root, DestinationParentId=prod)
        yield client, account


def test_accounts_with_ou_path_and_tags(org):
    client, account = org
    accounts = {a["id"]: a for a in organizations.read_accounts(client)}
    assert accounts[account]["ous"] == ["workloads", "prod"]
    assert accounts[account]["tags"] == {"dockyard:groups": "consumers"}
    assert accounts[account]["status"] == "ACTIVE"
    management = [a for a in accounts.values() if a["id"] != account][0]
    assert management["ous"] == []


def test_without_tags_and_tree(org):
    client, account = org
    accounts = {a["id"]: a for a in organizations.read_accounts(client, tags=False, tree=False)}
    assert accounts[account]["ous"] == [] and accounts[account]["tags"] == {}


def test_errors_say_what_failed():
    with moto.mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        with pytest.raises(organizations.OrganizationsError) as caught:
            organizations.read_accounts(client)
        assert caught.value.message.startswith("Failed to list the organization's roots")
