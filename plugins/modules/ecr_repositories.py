#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repositories
version_added: 0.1.0
short_description: Converge many Amazon ECR repositories, their policies and lifecycle policies in one task
description:
  - Makes a list of Amazon ECR private repositories match what each entry says. An entry takes what
    M(dockyard.ecr.ecr_repo) takes for the repository's settings, what M(dockyard.ecr.ecr_policy)
    takes for its resource policy, and what M(dockyard.ecr.ecr_lifecycle) takes for its lifecycle
    policy (or three presets), with the same validation, comparison and messages.
  - Built for many repositories in one run. It reads the repositories 100 at a time
    (C(DescribeRepositories)), converges them on a bounded pool of threads (O(concurrency)), reads only
    what an entry manages and writes only what differs. A run where nothing differs makes, per
    existing repository, one read for its policy when the entry manages access, one for its
    lifecycle policy when the entry has O(repositories[].lifecycle), and one for its tags when the
    entry has O(repositories[].tags), plus one C(DescribeRepositories) call per 100 entries.
  - Every entry is validated before any AWS call, and all invalid entries are reported together. A
    message names the entry and the option, for example
    repositories[3] (name 'team/api').lifecycle.rules[priority=2].count_unit.
  - When the AWS calls for some repositories fail, the others are still converged. The task then
    fails with a message naming each failed repository and the error, and still returns
    RV(repositories) and RV(summary), so you can see which repositories converged and what changed.
  - An option left out leaves that part of the repository alone. Without access options
    (O(repositories[].pull), O(repositories[].push), O(repositories[].services),
    O(repositories[].organizations), O(repositories[].policy)) the repository policy is neither
    read nor changed. Without O(repositories[].lifecycle) the lifecycle policy is neither read nor
    changed.
author:
  - dockyard.ecr developers (@dockyard)
options:
  repositories:
    description:
      - The repositories, one entry each. Each name may appear once.
      - The results come back in the same order.
      - Each entry is a dictionary with the suboptions below; an entry of another type fails the task, before any
        AWS call, with a message that names its index.
    type: list
    elements: raw
    required: true
    suboptions:
      name:
        description:
          - The repository name, for example C(team/app).
        type: str
        required: true
      state:
        description:
          - Whether the repository should exist.
          - With V(absent), a repository that holds images is only deleted with
            O(repositories[].force=true). Its policy and lifecycle policy go with it; the access and
            lifecycle options are ignored.
        type: str
        choices: [present, absent]
        default: present
      image_tag_mutability:
        description:
          - As O(dockyard.ecr.ecr_repo#module:image_tag_mutability).
          - If not set, an existing repository keeps its setting; a new one is V(mutable).
        type: str
        choices: [mutable, immutable, mutable_with_exclusion, immutable_with_exclusion]
      image_tag_mutability_exclusion_filters:
        description:
          - As O(dockyard.ecr.ecr_repo#module:image_tag_mutability_exclusion_filters).
        type: list
        elements: str
      scan_on_push:
        description:
          - Whether images are scanned when they are pushed.
          - If not set, an existing repository keeps its setting; a new one does not scan on push.
        type: bool
      encryption:
        description:
          - As O(dockyard.ecr.ecr_repo#module:encryption). Only set when the repository is created; a
            different encryption for an existing repository fails that repository.
        type: dict
        suboptions:
          type:
            description: The encryption type.
            type: str
            choices: [AES256, KMS, KMS_DSSE]
          kms_key:
            description: The KMS key, as a key ID, key ARN, alias name or alias ARN.
            type: str
      tags:
        description:
          - The repository's tags.
          - If not set, the tags are neither read nor changed.
        type: dict
        aliases: [resource_tags]
      purge_tags:
        description:
          - Whether to remove tags that are not in O(repositories[].tags).
        type: bool
        default: true
      force:
        description:
          - With O(repositories[].state=absent), delete the repository even if it holds images.
        type: bool
        default: false
      pull:
        description:
          - Principals that may pull, as in O(dockyard.ecr.ecr_policy#module:pull).
          - Giving every grant as an empty list (for example V([]) for O(repositories[].pull) alone)
            means nobody is granted anything. The grants' statements are removed, and with
            O(repositories[].purge_statements=true) the whole policy (as ecr_policy does with
            O(dockyard.ecr.ecr_policy#module:state=absent)).
        type: list
        elements: str
      push:
        description:
          - Principals that may push and pull, as in O(dockyard.ecr.ecr_policy#module:push).
        type: list
        elements: str
      services:
        description:
          - AWS services that may pull, as in O(dockyard.ecr.ecr_policy#module:services), each a service
            principal or a dict with C(service), C(source_accounts) and C(source_arns).
        type: list
        elements: raw
      pull_through_cache:
        description:
          - Whether the grants also give C(ecr:BatchImportUpstreamImage), as in
            O(dockyard.ecr.ecr_policy#module:pull_through_cache).
        type: bool
      organizations:
        description:
          - AWS Organizations IDs whose principals may pull, as in
            O(dockyard.ecr.ecr_policy#module:organizations).
        type: list
        elements: str
      policy:
        description:
          - A whole repository policy document, as in O(dockyard.ecr.ecr_policy#module:policy).
          - Mutually exclusive with the grants.
        type: json
      purge_statements:
        description:
          - As O(dockyard.ecr.ecr_policy#module:purge_statements). With V(false), statements other
            people wrote (other Sids) are kept. With V(true), the policy holds exactly this entry's access;
            a stored policy that grants the same access (other Sids, Version, statements split or merged) is
            left as it is, and every statement of others that is removed is named in a warning.
        type: bool
        default: true
      owner:
        description:
          - Who the entry's grants belong to, as O(dockyard.ecr.ecr_policy#module:owner) (V(TeamA) writes
            Sids such as C(DockyardPullTeamA)). With O(repositories[].purge_statements=false), this entry
            adds, changes and removes only the owner's statements.
        type: str
      lifecycle:
        description:
          - The repository's lifecycle policy, given as O(repositories[].lifecycle.rules), as a whole
            O(repositories[].lifecycle.policy) document, or as presets
            (O(repositories[].lifecycle.keep_last), O(repositories[].lifecycle.expire_untagged_after_days),
            O(repositories[].lifecycle.keep_tag_prefixes)). Give one of those three forms.
          - O(repositories[].lifecycle.state=absent) removes the lifecycle policy.
          - If not set, V(null) or V({}), the lifecycle policy is neither read nor changed.
        type: dict
        suboptions:
          state:
            description:
              - V(absent) removes the lifecycle policy; the other options are then ignored.
            type: str
            choices: [present, absent]
            default: present
          rules:
            description:
              - The rules, as in O(dockyard.ecr.ecr_lifecycle#module:rules) (C(priority),
                C(description), C(tag_status), C(tag_prefixes), C(tag_patterns), C(storage_class),
                C(count_type), C(count), C(count_unit), C(action), C(target_storage_class)).
            type: list
            elements: dict
          policy:
            description:
              - A whole ECR lifecycle policy document, as in O(dockyard.ecr.ecr_lifecycle#module:policy).
            type: json
          keep_last:
            description:
              - Preset. Keep the N most recently pushed images and expire the others (a rule with tag
                status C(any), applied last).
              - ECR counts every image for it, the images protected by
                O(repositories[].lifecycle.keep_tag_prefixes) and the untagged ones still within
                O(repositories[].lifecycle.expire_untagged_after_days) too, but expires only images
                no earlier rule selects.
            type: int
          expire_untagged_after_days:
            description:
              - Preset. Expire untagged images this many days after they were pushed (priority 1).
            type: int
          keep_tag_prefixes:
            description:
              - Preset. Never expire images with a tag that starts with one of these prefixes.
              - One rule per prefix selects those images (and would only expire beyond 999999 of
                them). An image a rule selects cannot be expired by a later rule, so they are shielded
                from O(repositories[].lifecycle.keep_last), which is required with this preset.
            type: list
            elements: str
          preview:
            description:
              - Return the whole evaluation (every image, with its action and rule) in
                RV(repositories[].lifecycle_preview), as O(dockyard.ecr.ecr_lifecycle#module:preview) does.
              - The images are read once, and C(BatchGetImage) is only called for manifest lists whose
                children's fate depends on them, as ecr_lifecycle explains.
              - With only O(repositories[].lifecycle.preview) and O(repositories[].lifecycle.max_expire_percent),
                the entry asks for no policy, and the lifecycle policy is left alone.
            type: bool
            default: false
          max_expire_percent:
            description:
              - The guard for this repository, as O(dockyard.ecr.ecr_lifecycle#module:max_expire_percent). If not
                set, O(max_expire_percent) applies.
              - V(100) says that this policy is meant even if it leaves the repository no tagged image.
            type: int
  concurrency:
    description:
      - How many repositories are converged at the same time (threads sharing one client), from 1 to 50.
      - ECR's API rate limits are per account and region and shared with every other caller;
        throttled calls are retried with backoff. The default stays well within them.
    type: int
    default: 8
  allow_public:
    description:
      - Allow policies that grant everyone, as O(dockyard.ecr.ecr_policy#module:allow_public), for every entry.
    type: bool
    default: false
  unchanged_details:
    description:
      - Whether the entries of repositories that did not change carry their details (RV(repositories[].repository),
        RV(repositories[].policy), RV(repositories[].lifecycle_policy)).
      - V(false) reduces such an entry to C(name), C(state), C(changed) and C(action). An entry that changed, failed,
        warned or holds a RV(repositories[].lifecycle_preview) keeps everything, and RV(summary) counts them all.
      - At fleet scale the details of a run that changes nothing are most of the result (about 125 kB for 100
        repositories), which Ansible copies and walks on the controller for every account and AWX stores with
        each job event. C(playbooks/configure.yml) sets V(false); it reports from RV(summary) and the changed
        entries.
    type: bool
    default: true
  max_expire_percent:
    description:
      - The lifecycle guard for every entry that does not set O(repositories[].lifecycle.max_expire_percent), as
        O(dockyard.ecr.ecr_lifecycle#module:max_expire_percent).
      - Before anything is written, in check mode too, the module computes for each existing repository whose
        lifecycle policy changes what the new policy would do to its images now. If not set, a policy that would
        leave a repository that holds tagged images with no tagged image at all fails that repository, with the
        counts, and one that would expire more than half of the images is written with a warning. From V(0) to
        V(99), also an explicit limit on the share of images expired. V(100) turns the checks off.
      - Every repository's guard runs before the first write of the run. A refused repository fails, nothing of
        it is written, and the other repositories still converge.
      - Only expiry counts. A policy already in place and a new repository are not checked.
    type: int
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads as a real run and no write. For a repository that does not
        exist yet it reads nothing more, and predicts the policy and lifecycle policy it would get.
      - In check mode, a changed lifecycle policy is evaluated even with O(max_expire_percent=100), so
        RV(repositories[].lifecycle_preview) says how many images and bytes it would expire (one
        C(DescribeImages) listing of that repository).
  diff_mode:
    support: full
    details:
      - Each changed repository's result has its own RV(repositories[].diff). The top-level RV(diff)
        holds one before/after pair per changed repository, headed by its name.
  idempotent:
    support: full
notes:
  - Permissions used are those of M(dockyard.ecr.ecr_repo), M(dockyard.ecr.ecr_policy) and
    M(dockyard.ecr.ecr_lifecycle) for the parts the entries manage.
  - C(DescribeRepositories) fails for a whole batch when one name in it does not exist. The module
    then lists the registry (up to 1000 repositories per call) instead of asking for every name one by
    one.
  - A repository's tags cost one C(ListTagsForResource) call per existing repository on every run, as
    ECR has no batch read for them. Leave O(repositories[].tags) out where you do not manage tags.
  - The C(repositories) role of this collection calls this module once per account.
seealso:
  - module: dockyard.ecr.ecr_repo
  - module: dockyard.ecr.ecr_policy
  - module: dockyard.ecr.ecr_lifecycle
  - module: dockyard.ecr.ecr_repo_info
  - module: community.aws.ecs_ecr
    description: The community.aws module for one repository per task.
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.registry
  - dockyard.ecr.registry.registry_id
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - jsonschema (when an entry has access options or a lifecycle policy)
"""

EXAMPLES = r"""
- name: Converge the team's repositories
  dockyard.ecr.ecr_repositories:
    repositories:
      - name: team/api
        image_tag_mutability: immutable
        scan_on_push: true
        pull:
          - "111122223333"
        push:
          - arn:aws:iam::123456789012:role/ci-publisher
        lifecycle:
          expire_untagged_after_days: 7
          keep_tag_prefixes: [v]
          keep_last: 30
      - name: team/worker
        image_tag_mutability: immutable
        scan_on_push: true
        tags:
          team: platform
        lifecycle:
          rules:
            - priority: 1
              tag_status: any
              count_type: image_count_more_than
              count: 100
      - name: team/old-app
        state: absent
        force: true
  register: repos

- name: Show what changed
  ansible.builtin.debug:
    var: repos.summary.changed_names

- name: Remove a lifecycle policy and every grant, leave the rest alone
  dockyard.ecr.ecr_repositories:
    repositories:
      - name: team/api
        pull: []
        lifecycle:
          state: absent

- name: See what the lifecycle policies would expire, and mean it for a scratch repository
  dockyard.ecr.ecr_repositories:
    repositories:
      - name: team/api
        lifecycle:
          keep_last: 30
          preview: true
      - name: team/scratch
        lifecycle:
          rules:
            - priority: 1
              tag_status: any
              count_type: since_image_pushed
              count: 7
          max_expire_percent: 100
  check_mode: true
  register: plan

- name: Fewer parallel requests in an account other tools also call a lot
  dockyard.ecr.ecr_repositories:
    concurrency: 2
    repositories: "{{ team_repositories }}"
"""

RETURN = r"""
repositories:
  description:
    - One result per entry, in the order of O(repositories).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The repository name.
      returned: always
      type: str
      sample: team/api
    state:
      description: The state asked for.
      returned: always
      type: str
      sample: present
    changed:
      description: Whether anything of this repository changed (would change, in check mode).
      returned: always
      type: bool
    action:
      description: V(created), V(updated), V(deleted) or V(unchanged).
      returned: always
      type: str
      sample: updated
    repository:
      description:
        - The repository after the run, as M(dockyard.ecr.ecr_repo) returns it; an empty dict when it
          does not exist.
        - C(tags) is only there when the entry manages tags or the repository was created, since
          reading them costs a call per repository.
      returned: always, except for a repository that did not change when O(unchanged_details=false)
      type: dict
    policy:
      description:
        - The repository policy after the run (predicted in check mode); an empty dict for none.
        - V(null) when the entry has no access options (the policy was not read).
      returned: always, except for a repository that did not change when O(unchanged_details=false)
      type: dict
    lifecycle_policy:
      description:
        - The lifecycle policy after the run, normalised (predicted in check mode); an empty dict for none.
        - V(null) when the entry has no O(repositories[].lifecycle) (the policy was not read).
      returned: always, except for a repository that did not change when O(unchanged_details=false)
      type: dict
    lifecycle_preview:
      description:
        - What the new lifecycle policy would do to the repository's images now, as computed before anything
          was written; C(totals) (images and bytes in all, expired, transitioned and kept) and C(rules) (per
          rule, the images it selects and acts on), as RV(dockyard.ecr.ecr_lifecycle#module:preview) has them.
        - C(images), every image with its action, only with O(repositories[].lifecycle.preview=true).
      returned: when the entry's lifecycle policy was evaluated (a changed policy of an existing repository
        checked by the guard or in check mode, or O(repositories[].lifecycle.preview=true))
      type: dict
      sample:
        evaluated_at: "2025-06-30T12:00:00+00:00"
        rules:
          - {priority: 1, description: null, action: expire, matched_images: 3, acted_images: 3, acted_bytes: 30}
        totals:
          images: 4
          bytes: 40
          expired_images: 3
          expired_bytes: 30
          transitioned_images: 0
          transitioned_bytes: 0
          kept_images: 1
          kept_bytes: 10
    diff:
      description:
        - C(before) and C(after), each with C(repository) (the settings, as the ecr_repo diff), and
          C(policy) and C(lifecycle_policy) (normalised documents) when the entry manages them.
        - Left out for a repository that did not change, whose before and after are the same.
      returned: when the repository changed (would change, in check mode)
      type: dict
    warnings:
      description:
        - The lifecycle guard's warnings for this repository, and the statements of others that the run removed
          from the repository policy (or would remove, in check mode), each named with its Sid and the access
          that goes with it; also shown as the task's warnings.
      returned: when there are any
      type: list
      elements: str
    failed:
      description: Set when an AWS call for this repository failed; the others were still converged.
      returned: when it failed
      type: bool
    msg:
      description: Why it failed, naming the entry.
      returned: when it failed
      type: str
    error_code:
      description: The AWS error code.
      returned: when AWS refused a call for this repository
      type: str
summary:
  description: Counts over the results.
  returned: always
  type: dict
  contains:
    total:
      description: The number of entries.
      returned: always
      type: int
    changed:
      description: How many repositories changed.
      returned: always
      type: int
    created:
      description: How many were created.
      returned: always
      type: int
    updated:
      description: How many existing repositories had a setting, policy or lifecycle policy changed.
      returned: always
      type: int
    deleted:
      description: How many were deleted.
      returned: always
      type: int
    unchanged:
      description: How many needed no change.
      returned: always
      type: int
    failed:
      description: How many failed.
      returned: always
      type: int
    changed_names:
      description: The names of the repositories that changed, in input order.
      returned: always
      type: list
      elements: str
    failed_names:
      description: The names of the repositories that failed, in input order.
      returned: always
      type: list
      elements: str
  sample:
    total: 3
    changed: 1
    created: 1
    updated: 0
    deleted: 0
    unchanged: 2
    failed: 0
    changed_names: [team/api]
    failed_names: []
diff:
  description:
    - One C(before)/C(after) pair per changed repository, with C(before_header) and C(after_header)
      set to its name (the list form of Ansible's diff).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._api.kms import KmsKeyResolver
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import lazy_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_registry_host,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.bulk import bulk_client, run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.bulk_request import (
    DEFAULT_CONCURRENCY,
    request_warnings,
    validate_concurrency,
    validate_params,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_guard import validate_max_expire_percent
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import supported_features


def main():
    honour_security_token()
    argument_spec = dict(
        # The entries are checked by bulk_request.validate_params (with the same argument spec machinery), so
        # that every message can name the entry; Ansible's own checks of list elements cannot (elements="dict"
        # would refuse a string entry with a message that has no index).
        repositories=dict(type="list", elements="raw", required=True),
        registry_id=dict(type="str"),
        registry_host=dict(type="str"),
        concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
        allow_public=dict(type="bool", default=False),
        max_expire_percent=dict(type="int"),
        unchanged_details=dict(type="bool", default=True),
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        concurrency = validate_concurrency(module.params["concurrency"])
        max_expire_percent = validate_max_expire_percent(module.params["max_expire_percent"])
        registry_id = validate_registry_id(module.params["registry_id"])
        registry_host = validate_registry_host(module.params["registry_host"])
        # The entries' check needs the client's service model, so a role_arn is assumed before it (nothing is
        # written before every entry is checked).
        act_as_role(module)
        client = bulk_client(module, concurrency)
        requests = validate_params(module.params, partition=client.meta.partition or "aws")
        for warning in request_warnings(requests):
            module.warn(warning)
        output, message = run(
            client,
            requests,
            concurrency,
            check_mode=module.check_mode,
            registry_id=registry_id,
            registry_host=registry_host,
            resolver=KmsKeyResolver(lazy_client(module, "kms")),
            max_expire_percent=max_expire_percent,
            features=supported_features(client.meta.service_model),
            unchanged_details=module.params["unchanged_details"],
        )
    except ECRError as e:
        module.fail_json_aws_error(e)

    for repository in output["repositories"]:
        for warning in repository.get("warnings") or []:
            module.warn(warning)
    if message:
        module.fail_json(msg=message, **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
