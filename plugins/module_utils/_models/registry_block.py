# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A registry account's own settings, from the ``registry`` block of its ``ecr_registries`` entry, pure.

The block holds what is configured once per registry (account and region) rather than per repository::

    registry:
      account_settings: {REGISTRY_POLICY_SCOPE: V2}
      scanning: {scan_type: ENHANCED, rules: [{scan_frequency: SCAN_ON_PUSH, repository_filters: ["*"]}]}
      pull_through_cache: [{ecr_repository_prefix: ecr-public, upstream_registry_url: public.ecr.aws}]
      creation_templates: [{prefix: ROOT, applied_for: [replication], lifecycle: {keep_last: 50}}]

(Replication is the entry's own ``replication`` key, see ``estate.validate_registries`` and ``replication``.)

``registry_plan`` checks every part with the validation of the module that will apply it (the same messages,
placed under ``ecr_registries[N].registry``), before anything is written, and returns the module parameters the
``repositories`` role passes on: each option present (None when not set, so the module leaves it alone).
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, RegistrySettingsError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    account_setting,
    creation_template,
    pull_through_cache,
    registry_scanning,
)

BLOCK_KEYS = ("account_settings", "scanning", "pull_through_cache", "creation_templates")
SCANNING_KEYS = ("scan_type", "rules")
RULE_KEYS = (
    "ecr_repository_prefix",
    "state",
    "upstream_registry_url",
    "upstream_repository_prefix",
    "credential_arn",
    "custom_role_arn",
)
TEMPLATE_KEYS = (
    "prefix",
    "state",
    "applied_for",
    "description",
    "image_tag_mutability",
    "image_tag_mutability_exclusion_filters",
    "encryption",
    "tags",
    "purge_tags",
    "lifecycle",
    "pull",
    "push",
    "services",
    "organizations",
    "policy",
    "allow_public",
    "custom_role_arn",
)
DEFAULTS = {"state": "present", "purge_tags": True, "allow_public": False}


def empty_plan():
    """The plan of a registry without a ``registry`` block: nothing to do."""
    return {
        "account_settings": [],
        "scanning": None,
        "pull_through_cache": [],
        "creation_templates": [],
    }


def _fail(option, message):
    raise RegistrySettingsError(message=f"{option}: {message}", option=option)


def _dict(value, option, keys):
    if not isinstance(value, dict):
        _fail(option, f"give a dict with {', '.join(keys)}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        _fail(f"{option}.{unknown[0]}", f"not an option here; use {', '.join(keys)}")
    return {key: value.get(key, DEFAULTS.get(key)) for key in keys}


def _list(value, option):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        _fail(option, "give a list")
    return list(value)


def _checked(where, check):
    """Run a module's validation; its message placed under ``where``."""
    try:
        return check()
    except ECRError as e:
        raise RegistrySettingsError(message=f"{where}.{e.message}", option=where) from e


def _unique(items, key, option):
    seen = {}
    for index, item in enumerate(items):
        if item in seen:
            _fail(f"{option}[{index}].{key}", f"{item!r} is also {option}[{seen[item]}]; list each once")
        seen[item] = index


def registry_plan(block, region=None, option="registry"):
    """The module parameters for a ``registry`` block (see the module docstring); RegistrySettingsError naming
    the part and the option at fault."""
    plan = empty_plan()
    if block is None:
        return plan
    block = _dict(block, option, BLOCK_KEYS)
    plan["account_settings"] = _checked(option, lambda: account_setting.validate_settings(block["account_settings"]))
    if block["scanning"] is not None:
        scanning = _dict(block["scanning"], f"{option}.scanning", SCANNING_KEYS)
        _checked(f"{option}.scanning", lambda: registry_scanning.validate_params(scanning))
        plan["scanning"] = scanning
    where = f"{option}.pull_through_cache"
    prefixes = []
    for index, raw in enumerate(_list(block["pull_through_cache"], where)):
        rule = _dict(raw, f"{where}[{index}]", RULE_KEYS)
        request = _checked(f"{where}[{index}]", lambda: pull_through_cache.validate_params(rule, region))
        prefixes.append(request["ecr_repository_prefix"])
        plan["pull_through_cache"].append(rule)
    _unique(prefixes, "ecr_repository_prefix", where)
    where = f"{option}.creation_templates"
    prefixes = []
    for index, raw in enumerate(_list(block["creation_templates"], where)):
        template = _dict(raw, f"{where}[{index}]", TEMPLATE_KEYS)
        request = _checked(f"{where}[{index}]", lambda: creation_template.validate_params(template))
        if request["state"] == "present" and not request["wanted"].get("applied_for"):
            _fail(
                f"{where}[{index}].applied_for", "give one or more of replication, pull_through_cache, create_on_push"
            )
        prefixes.append(request["prefix"])
        plan["creation_templates"].append(template)
    _unique(prefixes, "prefix", where)
    return plan
