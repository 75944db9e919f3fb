#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: estate_check
version_added: 0.1.0
short_description: Check one account's part of the estate on the controller, before anything is written
description:
  - Checks one inventory host of C(playbooks/configure.yml) (an AWS account and region) without calling AWS, the
    way the C(dockyard.ecr.estate_problems) filter does, and fails the host with one message naming every
    problem (the variable and the fix) and the account. The other hosts go on.
  - Checks the account ID, region and role ARN, O(registries), and, for a host of the group C(registries), that
    O(registries) has its registry, with a valid C(registry) block; for a host of the group C(consumers),
    O(roles) and that every name of O(configure_registries) is a registry of O(registries).
  - When the host passes, returns what the later steps of C(playbooks/configure.yml) need to know whether they
    have anything to do (RV(replication_policy), RV(replication), RV(registry), in one RV(converge_registry))
    and, for a registry, its repositories (RV(repositories)), so that a step with nothing to do is skipped by
    one condition.
  - Runs on the controller only (an action plugin, no module is sent to the host); it reads only the host's own
    variables and the inventory-level C(ecr_registries), never another host's.
author:
  - dockyard.ecr developers (@dockyard)
options:
  host:
    description:
      - The host's name, in messages.
      - If not set, the variable C(inventory_hostname).
    type: str
  groups:
    description:
      - The host's groups; C(registries) and C(consumers) say what is checked.
      - If not set, the variable C(group_names).
    type: list
    elements: str
  account_id:
    description:
      - The host's account ID, 12 digits.
      - If not set, the variable C(aws_account_id).
    type: raw
  region:
    description:
      - The host's region.
      - If not set, the variable C(aws_region).
    type: str
  role_arn:
    description:
      - The role the modules assume in this account; it must be a role of O(account_id), in the partition of
        O(region).
      - If not set, the variable C(aws_role_arn).
    type: str
  registries:
    description:
      - The estate, a list of C({name, account_id, region, repository_defaults, repositories, replication,
        registry}) (docs/multi-account.md).
      - If not set, the variable C(ecr_registries). The plugin reads it itself, so that the estate of a fleet is
        not a task argument, which Ansible would validate and send back from the worker with every host's result.
      - Read from the variable, only what this host's check reads is templated (when it holds a template) - every
        entry's own keys, and the repositories of the host's own entry (a registry host) or of every entry (a
        consumer) - so the work per host does not grow with the other registries' repositories, and a template
        there that cannot be rendered fails the hosts that read it, not this one.
    type: raw
  configure_registries:
    description:
      - For a consumer, the names of the registries of O(registries) it uses.
      - If not set, the variable C(configure_registries).
    type: raw
  roles:
    description:
      - For a consumer, its roles.
      - If not set, the variable C(remote_access_roles).
    type: raw
  legacy_repositories:
    description:
      - The older layout's repositories, to point a host still using it to the new one.
      - If not set, the variable C(ecr_repositories).
    type: raw
  registry:
    description:
      - The name of this host's registry when it is not found by account and region.
      - If not set, the variable C(ecr_registry).
    type: str
attributes:
  action:
    description: Runs on the controller, as an action plugin.
    support: full
notes:
  - No AWS call. It is not in the C(group/dockyard.ecr.ecr) action group, so the credentials given there do not
    reach it.
seealso:
  - module: dockyard.ecr.ecr_repositories
  - module: dockyard.ecr.ecr_remote_access
  - module: dockyard.ecr.ecr_policy
  - module: dockyard.ecr.ecr_replication
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.info_module
"""

EXAMPLES = r"""
- name: Check this account's data before anything is written (from aws_account_id, aws_region, ecr_registries, ...)
  dockyard.ecr.estate_check: {}
  register: estate

- name: Check a registry account given explicitly
  dockyard.ecr.estate_check:
    groups: [registries]
    account_id: "123456789012"
    region: eu-west-1
    registries:
      - name: main
        account_id: "123456789012"
        region: eu-west-1
        repositories:
          - name: team/app

- name: Let the registries that replicate here do so
  dockyard.ecr.ecr_policy:
    scope: registry
    policy: "{{ estate.replication_policy }}"
    purge_statements: false
  when: estate.replication_policy is not none
"""

RETURN = r"""
problems:
  description: What is wrong with the host's data, one message each; empty when it can go on.
  returned: always
  type: list
  elements: str
  sample: ["aws_region: give the region of this account's host, for example us-east-1"]
replication_policy:
  description:
    - The registry policy document that lets the registries of O(registries) that replicate into this account and
      region from other accounts do so (one statement per source registry, as
      RV(dockyard.ecr.ecr_replication#module:destination_policies) has it), for M(dockyard.ecr.ecr_policy) with
      O(dockyard.ecr.ecr_policy#module:purge_statements=false).
    - V(null) when no registry replicates here, or the host has problems.
  returned: always
  type: dict
replication:
  description:
    - For a host of the group C(registries), the C(replication) rules of its entry, as
      M(dockyard.ecr.ecr_replication) takes them.
    - V(null) when the entry has no C(replication) key (its replication configuration is left alone), for other
      hosts, and when the host has problems.
  returned: always
  type: list
  elements: dict
registry:
  description:
    - For a host of the group C(registries), its entry's C(registry) block as written (checked), as the
      C(repositories) role's C(repositories_registry) takes it; V({}) when the entry has none.
    - V(null) for other hosts, and when the host has problems.
  returned: always
  type: dict
converge_registry:
  description:
    - Whether the account has registry-level settings to converge, that is whether any of RV(replication_policy),
      RV(replication) and RV(registry) is not V(null); C(playbooks/configure.yml) includes its registry-level steps
      on this one condition.
  returned: always
  type: bool
repositories:
  description:
    - For a host of the group C(registries), the repositories of its entry with the entry's C(repository_defaults)
      filled in (a key an entry gives replaces the default's whole), as M(dockyard.ecr.ecr_repositories) takes them
      in O(dockyard.ecr.ecr_repositories#module:repositories).
    - V(null) for other hosts, and when the host has problems.
  returned: always
  type: list
  elements: dict
"""
