# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Option vocabularies and argument specs shared by several modules (one home each).

``REPOSITORY_OPTIONS`` is what ``ecr_repo`` takes for one repository and what each entry of
``ecr_repositories`` takes; ``LIFECYCLE_RULE_OPTIONS`` is one rule of ``ecr_lifecycle``'s ``rules`` and of a
bulk entry's ``lifecycle.rules``; ``GRANT_SPEC`` the grants of ``ecr_policy`` and of a bulk entry. The module
documentation states the same options (sanity's validate-modules checks that they agree).
"""

STATES = ("present", "absent")
MUTABILITIES = ("mutable", "immutable", "mutable_with_exclusion", "immutable_with_exclusion")
WITH_EXCLUSION = ("mutable_with_exclusion", "immutable_with_exclusion")
ENCRYPTION_TYPES = ("AES256", "KMS", "KMS_DSSE")
KMS_ENCRYPTION_TYPES = ("KMS", "KMS_DSSE")
GRANT_OPTIONS = ("pull", "push", "services", "organizations")
# Options that change what the grants give, without granting anything themselves.
GRANT_FLAGS = ("pull_through_cache",)
# The keys of one scoped ``services`` entry ({service, source_accounts, source_arns}).
SERVICE_GRANT_KEYS = ("service", "source_accounts", "source_arns")
SCOPES = ("repository", "registry")
REPLICATION_FILTER_TYPES = ("PREFIX_MATCH",)

REPOSITORY_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=list(STATES), default="present"),
    image_tag_mutability=dict(type="str", choices=list(MUTABILITIES)),
    image_tag_mutability_exclusion_filters=dict(type="list", elements="str"),
    scan_on_push=dict(type="bool"),
    encryption=dict(
        type="dict",
        options=dict(
            type=dict(type="str", choices=list(ENCRYPTION_TYPES)),
            kms_key=dict(type="str", no_log=False),
        ),
    ),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
)

# The grants of a repository policy: lists of principals, services, organisations. A ``services`` entry is a
# service principal (a string) or {service, source_accounts, source_arns}, checked by policy_grants (raw, so
# both forms pass Ansible's type check and every message can name the entry).
GRANT_SPEC = dict(
    pull=dict(type="list", elements="str"),
    push=dict(type="list", elements="str"),
    services=dict(type="list", elements="raw"),
    organizations=dict(type="list", elements="str"),
    pull_through_cache=dict(type="bool"),
)

# The argument spec of one snake_case rule (what ecr_lifecycle's ``rules`` option declares), for callers
# that validate rules given inside a larger structure with Ansible's ArgumentSpecValidator.
LIFECYCLE_RULE_OPTIONS = dict(
    priority=dict(type="int"),
    description=dict(type="str"),
    tag_status=dict(type="str"),
    tag_prefixes=dict(type="list", elements="str"),
    tag_patterns=dict(type="list", elements="str"),
    storage_class=dict(type="str"),
    count_type=dict(type="str"),
    count=dict(type="int"),
    count_unit=dict(type="str"),
    action=dict(type="str", default="expire"),
    target_storage_class=dict(type="str"),
)

# One rule of ecr_replication's ``rules`` (a registry's replication configuration).
REPLICATION_RULE_OPTIONS = dict(
    destinations=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            region=dict(type="str", required=True),
            registry_id=dict(type="str"),
        ),
    ),
    repository_filters=dict(
        type="list",
        elements="dict",
        options=dict(
            filter=dict(type="str", required=True, aliases=["prefix"]),
            filter_type=dict(type="str", choices=list(REPLICATION_FILTER_TYPES), default="PREFIX_MATCH"),
        ),
    ),
    delete_replication=dict(type="bool", default=False),
)
