# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: aws_accounts
version_added: 0.1.0
short_description: The accounts of an AWS Organization as inventory hosts, one per account and region
description:
  - Lists the accounts of an AWS Organization (C(ListRoots), C(ListOrganizationalUnitsForParent),
    C(ListAccountsForParent), C(ListTagsForResource)) and makes one host per account and region
    of O(regions), in the layout the collection's playbooks (C(configure.yml), C(publish.yml)) expect.
  - Host variables C(aws_account_id), C(aws_region), C(aws_partition), C(aws_role_arn) (from
    O(role_name), in the region's partition; not for the account the credentials belong to unless
    O(role_for_caller)), C(aws_account_name), C(aws_account_email), C(aws_account_status),
    C(aws_account_tags), C(aws_organizational_units) and C(ansible_connection=local).
  - Groups from an account tag (O(group_tag); its value lists the groups, for example
    C(registries) or C(consumers)), from the organizational units (O(ou_groups)), and from
    O(groups) and O(keyed_groups) like every constructed inventory.
  - The account list can be cached (O(cache)) as Ansible inventory plugins do; C(--flush-cache)
    reads it again.
  - The inventory file's name must end in C(aws_accounts.yml) or C(aws_accounts.yaml).
author:
  - dockyard.ecr developers (@dockyard)
options:
  plugin:
    description: The name of this plugin; it must be V(dockyard.ecr.aws_accounts).
    required: true
    type: str
    choices: [dockyard.ecr.aws_accounts]
  regions:
    description:
      - The regions to make a host for, for each account.
    type: list
    elements: str
    required: true
  role_name:
    description:
      - The role to assume in each account, for C(aws_role_arn) (C(arn:PARTITION:iam::ACCOUNT:role/ROLE_NAME)).
      - May hold the placeholders C({account_id}), C({account_name}) (the host-name form of the
        account's name) and C({region}).
      - If not set, no host gets C(aws_role_arn).
    type: str
  role_for_caller:
    description:
      - Give C(aws_role_arn) to the account the credentials belong to as well (usually the
        management account, which needs no role).
    type: bool
    default: false
  hostname:
    description:
      - The host name, with the placeholders of O(role_name); lower-cased, each run of other
        characters than letters and digits made one C(-).
    type: str
    default: "{account_name}-{region}"
  group_tag:
    description:
      - The account tag whose value names the account's groups (separated by commas or spaces),
        for example C(registries) or C(consumers).
      - Empty to make no groups from tags.
    type: str
    default: dockyard:groups
  ou_groups:
    description:
      - Put each account in a group C(ou_NAME) for every organizational unit on its path.
    type: bool
    default: true
  account_tags:
    description:
      - Read each account's tags (one C(ListTagsForResource) per account). Needed for O(group_tag).
    type: bool
    default: true
  statuses:
    description:
      - The account statuses to list.
    type: list
    elements: str
    default: [ACTIVE]
  accounts:
    description:
      - Only these account IDs. If empty, every account.
    type: list
    elements: str
    default: []
  exclude_accounts:
    description:
      - Account IDs to leave out.
    type: list
    elements: str
    default: []
notes:
  - Needs C(organizations:ListRoots), C(organizations:ListOrganizationalUnitsForParent),
    C(organizations:ListAccountsForParent) and C(organizations:ListTagsForResource), in the
    management account or a delegated administrator account. Without the tree permissions it
    falls back to C(organizations:ListAccounts), and the accounts have no OU path.
  - C(sts:GetCallerIdentity) tells which account the credentials belong to.
seealso:
  - plugin: amazon.aws.aws_ec2
    plugin_type: inventory
    description: The same options for credentials, roles and caching.
  - module: dockyard.ecr.ecr_login
  - name: The multi-account guide
    description: From discovery to a pinned deployment.
    link: https://github.com/dockyard/ecr/blob/main/docs/multi-account.md
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
"""

EXAMPLES = r"""
# inventories/org/aws_accounts.yml: every active account in two regions. Accounts tagged
# dockyard:groups=registries hold the repositories; dockyard:groups=consumers pull from them.
plugin: dockyard.ecr.aws_accounts
regions:
  - us-east-1
  - eu-west-1
role_name: OrganizationAccountAccessRole
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-aws-accounts
cache_timeout: 3600
keyed_groups:
  - key: aws_account_tags.team | default('none')
    prefix: team
compose:
  # A registry reached through a VPC endpoint host name.
  ecr_registry_host: "'vpce-0abc.dkr.ecr.' ~ aws_region ~ '.vpce.amazonaws.com'"

# Only the production OU's accounts, as hosts named after the account ID.
# plugin: dockyard.ecr.aws_accounts
# regions: [eu-west-1]
# hostname: "{account_id}-{region}"
# ou_groups: true
# groups:
#   production: "'production' in aws_organizational_units"
"""

from ansible.errors import AnsibleError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase
from ansible_collections.dockyard.ecr.plugins.module_utils._api.organizations import (
    OrganizationsError,
    caller_account,
    read_accounts,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.accounts_inventory import (
    InventoryError,
    hosts,
    validate,
)

PLAN_OPTIONS = (
    "regions",
    "role_name",
    "role_for_caller",
    "hostname",
    "group_tag",
    "ou_groups",
    "statuses",
    "accounts",
    "exclude_accounts",
)


class InventoryModule(AWSInventoryBase):
    NAME = "dockyard.ecr.aws_accounts"
    INVENTORY_FILE_SUFFIXES = ("aws_accounts.yml", "aws_accounts.yaml")

    def _plan_options(self):
        return {name: self.get_option(name) for name in PLAN_OPTIONS}

    def _read(self, options):
        """What the organization holds (cached as it is; the hosts are made from it on every run)."""
        region = options["regions"][0]
        try:
            accounts = read_accounts(
                self.client("organizations", AWSRetry.jittered_backoff(), region=region),
                tags=self.get_option("account_tags"),
            )
            caller = caller_account(self.client("sts", region=region))
        except OrganizationsError as e:
            raise AnsibleError(f"{self.NAME}: {e.message}") from e
        return {"accounts": accounts, "caller": caller}

    def _populate(self, data, options):
        strict = self.get_option("strict")
        for host in hosts(data["accounts"], options, caller_account=data["caller"]):
            name = host["name"]
            self.inventory.add_host(name)
            for group in host["groups"]:
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            for key, value in host["vars"].items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option("compose"), host["vars"], name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host["vars"], name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host["vars"], name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        options = self._plan_options()
        try:
            validate(options)
        except InventoryError as e:
            raise AnsibleError(f"{self.NAME} ({path}): {e}") from e

        was_cached, data = self.get_cached_result(path, cache)
        if not was_cached:
            data = self._read(options)
        try:
            self._populate(data, options)
        except InventoryError as e:
            raise AnsibleError(f"{self.NAME} ({path}): {e}") from e
        self.update_cached_result(path, cache, data)
