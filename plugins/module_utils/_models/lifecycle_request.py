# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The lifecycle policy a request asks for, pure: rules, a whole document, or presets -> a validated document."""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import LifecycleError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_name,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_guard import validate_max_expire_percent
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_presets import (
    PRESET_OPTIONS,
    presets_to_rules,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_validation import (
    validate_document,
    validate_rules,
)


def desired_document(wanted, features=None):
    """The validated, normalised policy ``wanted`` asks for (``state``, ``rules``, ``policy`` and the presets,
    missing keys left out); None for ``state: absent`` (no policy). ``features``: what the installed botocore
    supports (``lifecycle_rules.supported_features``); None (the default) checks none: writing a policy needs no
    botocore feature, and the evaluation checks what it needs (``_converge.lifecycle.check_lifecycle``). Raises
    LifecycleError naming the option."""
    if wanted.get("state") == "absent":
        return None
    presets = [option for option in PRESET_OPTIONS if wanted.get(option) is not None]
    kinds = [option for option in ("rules", "policy") if wanted.get(option) is not None]
    if presets:
        kinds.append("the presets (" + ", ".join(presets) + ")")
    if len(kinds) > 1:
        raise LifecycleError(
            message=(
                f"give one of rules, policy or the presets (keep_last, expire_untagged_after_days, "
                f"keep_tag_prefixes), not {' and '.join(kinds)}"
            ),
            option="lifecycle",
        )
    if not kinds:
        raise LifecycleError(
            message=(
                "state=present needs rules, policy or a preset (keep_last, expire_untagged_after_days, "
                "keep_tag_prefixes); use state: absent to remove the lifecycle policy, or leave lifecycle out to "
                "leave it alone"
            ),
            option="lifecycle",
        )
    if wanted.get("rules") is not None:
        return validate_rules(wanted["rules"], features)
    if wanted.get("policy") is not None:
        return validate_document(wanted["policy"], features)
    rules = presets_to_rules(**{option: wanted.get(option) for option in PRESET_OPTIONS})
    if not rules:
        raise LifecycleError(
            message="keep_tag_prefixes: empty, and no other preset is given; give keep_last or expire_untagged_after_days",
            option="keep_tag_prefixes",
        )
    return validate_rules(rules, features)


def validate_params(params):
    """``ecr_lifecycle``'s options checked before any AWS call; the policy itself is checked by
    ``desired_document`` once the client says which features botocore knows."""
    return {
        "repository": validate_name(params["repository"], option="repository"),
        "registry_id": validate_registry_id(params.get("registry_id")),
        "max_expire_percent": validate_max_expire_percent(params.get("max_expire_percent")),
        "preview": bool(params.get("preview")),
        "state": params.get("state") or "present",
        "wanted": {key: params.get(key) for key in ("state", "rules", "policy")},
    }
