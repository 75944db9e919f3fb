# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The account settings ECR exposes (GetAccountSetting/PutAccountSetting), pure: names, values, validation.

- ``REGISTRY_POLICY_SCOPE``: ``V1`` (a registry policy governs replication and pull through cache only:
  ``ecr:ReplicateImage``, ``ecr:CreateRepository``, ``ecr:BatchImportUpstreamImage``) or ``V2`` (any ECR action,
  for every repository of the registry).
- ``BASIC_SCAN_TYPE_VERSION``: ``AWS_NATIVE`` (basic scanning by AWS's own scanner) or ``CLAIR`` (the former one).
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RegistrySettingsError

ACCOUNT_SETTINGS = {
    "BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE", "CLAIR"),
    "REGISTRY_POLICY_SCOPE": ("V1", "V2"),
}


def validate_setting(name, value, option="name"):
    """(NAME, VALUE) in ECR's spelling (upper case); RegistrySettingsError naming the option and the values else."""
    name = to_text(name if name is not None else "").strip().upper()
    if name not in ACCOUNT_SETTINGS:
        raise RegistrySettingsError(
            message=f"{option}: {name or '(empty)'!s} is not an ECR account setting; use one of {', '.join(ACCOUNT_SETTINGS)}",
            option=option,
        )
    value_option = "value" if option == "name" else f"{option}.{name}"
    value = to_text(value if value is not None else "").strip().upper()
    allowed = ACCOUNT_SETTINGS[name]
    if value not in allowed:
        raise RegistrySettingsError(
            message=f"{value_option}: {value or '(empty)'!s} is not a value of {name}; use one of {', '.join(allowed)}",
            option=value_option,
        )
    return name, value


def validate_params(params):
    """``ecr_account_setting``'s request: {name, value}, checked before any AWS call."""
    name, value = validate_setting(params.get("name"), params.get("value"))
    return {"name": name, "value": value}


def validate_settings(settings, option="account_settings"):
    """A dict {NAME: VALUE} (the estate's ``account_settings``) as a list of {name, value}, sorted by name."""
    if settings is None:
        return []
    if not isinstance(settings, dict):
        raise RegistrySettingsError(
            message=f"{option}: give a dict of setting names and values, for example {{REGISTRY_POLICY_SCOPE: V2}}",
            option=option,
        )
    cleaned = {}
    for name, value in settings.items():
        name, value = validate_setting(name, value, option=option)
        cleaned[name] = value
    return [{"name": name, "value": cleaned[name]} for name in sorted(cleaned)]
