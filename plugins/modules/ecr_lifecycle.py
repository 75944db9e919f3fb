#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_lifecycle
version_added: 0.1.0
short_description: Manage an Amazon ECR repository's lifecycle policy, with a local dry run
description:
  - Set or remove the lifecycle policy of an Amazon ECR repository, written as snake_case O(rules)
    or as a whole ECR lifecycle policy document (O(policy)).
  - The policy is validated before any AWS call, with the structure and the rules ECR documents
    (unique priorities, the place of the C(any) rule, tag lists, count types and units, actions).
    A message names the rule by its priority and the field, for example
    C(rules[priority=2].count_unit).
  - The policy is compared by meaning, not by text. The order of rules and of tag lists does not
    matter, and neither does the way ECR re-serialises the document. Nothing is written when
    nothing differs.
  - With O(preview=true), the module lists what the policy would do to the images in the
    repository. It computes the list itself from C(DescribeImages), following ECR's documented
    evaluation rules. Unlike ECR's own lifecycle policy preview, the answer comes at once and
    needs no ECR preview API. In check mode, this is a dry run that writes nothing.
  - Safe by default. A new policy that would leave a repository with no tagged image is refused, and
    one that would expire more than half of the images warns (O(max_expire_percent)).
  - The module does not create the repository; use M(dockyard.ecr.ecr_repo) for that.
author:
  - dockyard.ecr developers (@dockyard)
options:
  repository:
    description:
      - The name of the repository, for example C(team/app).
    type: str
    required: true
    aliases: [name, repository_name]
  state:
    description:
      - Whether the repository should have a lifecycle policy.
      - With V(present), one of O(rules) or O(policy) is required.
      - With V(absent), the policy is deleted. A repository that does not exist has no policy to
        delete, which is no change.
    type: str
    choices: [present, absent]
    default: present
  rules:
    description:
      - The lifecycle policy as a list of rules, converted to ECR's JSON.
      - ECR applies the rules in order of O(rules[].priority), lowest number first. An image is
        acted on by one rule at most. An image that a rule selects by its tags cannot be acted on
        by a rule with a higher priority number, even when the first rule leaves it alone.
      - Mutually exclusive with O(policy).
    type: list
    elements: dict
    suboptions:
      priority:
        description:
          - The rule priority, an integer from 1; unique within the policy. Lower numbers are applied first.
          - Required.
        type: int
      description:
        description:
          - What the rule is for.
        type: str
      tag_status:
        description:
          - Which images the rule selects. V(tagged) selects images with tags that match
            O(rules[].tag_prefixes) or O(rules[].tag_patterns). V(untagged) selects images without
            tags. V(any) selects all images.
          - One of V(tagged), V(untagged) or V(any).
          - Only one rule may select V(untagged) images. Only one rule may have V(any), and it must
            have the highest priority number. Both limits count the rules of each storage class
            separately.
          - If not set, V(tagged) when O(rules[].tag_prefixes) or O(rules[].tag_patterns) is given;
            otherwise required.
        type: str
      tag_prefixes:
        description:
          - With O(rules[].tag_status=tagged), tag prefixes. An image is selected when each prefix
            starts at least one of its tags.
          - Give either O(rules[].tag_prefixes) or O(rules[].tag_patterns), not both. Two rules
            (for the same storage class) cannot have the same set of prefixes.
        type: list
        elements: str
      tag_patterns:
        description:
          - With O(rules[].tag_status=tagged), tag patterns in which C(*) matches any characters,
            for example V(prod-*) or V(*-rc*). An image is selected when each pattern matches at
            least one of its tags.
          - At most four C(*) per pattern.
        type: list
        elements: str
      storage_class:
        description:
          - The storage class of the images the rule selects, V(standard) (the default) or V(archive).
          - V(archive) only with O(rules[].count_type=since_image_transitioned), which requires it.
          - Needs a botocore that knows ECR's archive storage class.
        type: str
      count_type:
        description:
          - What O(rules[].count) counts. V(image_count_more_than) keeps the O(rules[].count) most
            recently pushed images that the rule selects, and acts on the older ones.
            V(since_image_pushed) acts on images pushed more than O(rules[].count) days ago.
          - V(since_image_pulled) acts on images not pulled for more than O(rules[].count) days
            (the push time counts for images never pulled). It needs O(rules[].action=transition).
          - V(since_image_transitioned) acts on archived images archived more than
            O(rules[].count) days ago. It needs O(rules[].storage_class=archive), O(rules[].action=expire)
            and at least 90 days.
          - V(since_image_pulled) and V(since_image_transitioned) need a botocore that knows ECR's
            archive storage class.
          - ECR's own spelling (V(imageCountMoreThan), ...) is accepted too.
          - Required.
        type: str
      count:
        description:
          - A number of images for V(image_count_more_than), otherwise a number of days; a positive integer.
          - Required.
        type: int
      count_unit:
        description:
          - The unit of O(rules[].count) for the age count types. V(days) is the only unit, and the default for them.
          - Not used with O(rules[].count_type=image_count_more_than).
        type: str
      action:
        description:
          - What happens to the images the rule acts on. V(expire) deletes them. V(transition)
            moves them to the storage class O(rules[].target_storage_class).
          - V(transition) needs a botocore that knows ECR's transition action.
        type: str
        default: expire
      target_storage_class:
        description:
          - With O(rules[].action=transition), the storage class to move images to. V(archive) is
            the only one, and the default.
        type: str
  policy:
    description:
      - The lifecycle policy as ECR's JSON document, a dict or a JSON string with C(rules).
      - Validated like O(rules); messages name fields as in the document, for example
        C(policy.rules[priority=2].selection.countUnit).
      - Mutually exclusive with O(rules).
    type: json
  preview:
    description:
      - Return RV(preview), what the policy asked for would do to the repository's images now.
        Each image gets its action (expire, transition or keep) and the rule that acts on it, and
        totals give the images and bytes expired, transitioned and kept.
      - The images are read before anything is written. In check mode nothing is written, and
        the preview is a dry run.
      - 'What a preview reads: one C(DescribeImages) listing of the repository (archived images too),
        shared with the O(max_expire_percent) guard. C(BatchGetImage), which ECR counts as a pull of the
        image (it updates C(lastRecordedPullTime), which C(since_image_pulled) rules look at), is only
        called for a manifest list (image index) that the policy keeps while it acts on some other image:
        only then can the list keep the images it references. A policy that acts on no image, or expires
        or archives the lists themselves, reads no manifest.'
      - With O(state=absent), the preview is that of no policy; every image is kept.
      - Needs a botocore that knows ECR's archive storage class only when a rule selects archived images
        (O(rules[].storage_class=archive)), to list them.
    type: bool
    default: false
  max_expire_percent:
    description:
      - The guard against a policy that deletes more than you meant. Before a new or changed policy is
        written (in check mode too), the module computes what it would do to the images now, as
        O(preview=true) does, from the same single read.
      - If not set, a policy that would leave a repository that holds tagged images with no tagged image at
        all is refused, and one that would expire more than half of the images is written with a warning
        giving the counts.
      - From V(0) to V(99), also an explicit limit on the share of the images, in percent, the policy may
        expire; over it the module fails and writes nothing. The message gives the counts, per rule too,
        and the value that would let the policy through.
      - V(100) turns every check off (you mean it), and reads no image unless O(preview=true).
      - Only expiry counts; a transition to archive storage keeps the image. Artifacts (signatures, SBOMs)
        count with their subject image. A policy that is already in place is not checked again, and
        O(state=absent) removes a policy without any check.
    type: int
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the rules (snake_case, sorted by priority) before and after.
  idempotent:
    support: full
notes:
  - The evaluator follows the evaluation rules in the Amazon ECR User Guide. Rules are applied by
    priority. Each rule counts every image its selection matches, including images that earlier
    rules selected. An image is acted on by the first rule that selects it, or by none. A manifest
    list that stays keeps the images it references. Signatures and other artifacts follow their
    subject image.
  - The preview reflects the moment it is computed. ECR applies a policy within 24 hours, by which
    time new pushes or pulls may have changed the answer.
  - ECR does not document the order of images pushed at the same instant. The preview orders
    them by digest.
  - Permissions used are C(ecr:GetLifecyclePolicy), C(ecr:PutLifecyclePolicy) and
    C(ecr:DeleteLifecyclePolicy). With O(preview=true), or when a new policy is checked (unless
    O(max_expire_percent=100)), also C(ecr:DescribeImages), and C(ecr:BatchGetImage) for the manifest
    lists whose children's fate depends on them.
  - Signatures, SBOMs and other artifacts (images with a subject, C(subjectManifestDigest) in
    C(DescribeImages)) are expired with their subject image, even when a rule would archive or keep
    them, and archived with it unless a rule expires them.
seealso:
  - module: dockyard.ecr.ecr_repo
  - module: dockyard.ecr.ecr_repo_info
    description: Read repositories with their lifecycle policies.
  - module: community.aws.ecs_ecr
    description: The community.aws module, which sets a lifecycle policy from a whole document without validation or preview.
  - name: Lifecycle policies in Amazon ECR
    description: How ECR evaluates lifecycle policies.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
  - name: Examples of lifecycle policies in Amazon ECR
    description: The documented examples, which the evaluator's tests reproduce.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.registry.registry_id
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep the last 20 release images, expire untagged images after 7 days, and everything else beyond 100
  dockyard.ecr.ecr_lifecycle:
    repository: team/app
    rules:
      - priority: 1
        description: keep the last 20 releases
        tag_patterns: ["v*"]
        count_type: image_count_more_than
        count: 20
      - priority: 2
        description: expire untagged images after a week
        tag_status: untagged
        count_type: since_image_pushed
        count: 7
      - priority: 10
        description: keep at most 100 images in all
        tag_status: any
        count_type: image_count_more_than
        count: 100

- name: See which images a policy would expire, without writing anything
  dockyard.ecr.ecr_lifecycle:
    repository: team/app
    rules:
      - priority: 1
        tag_status: any
        count_type: image_count_more_than
        count: 10
    preview: true
  check_mode: true
  register: dry_run

- name: Show the digests that would be expired
  ansible.builtin.debug:
    msg: "{{ dry_run.preview.images | selectattr('action', 'equalto', 'expire') | map(attribute='digest') | list }}"

- name: Expire every image older than a week, knowing it may empty the repository
  dockyard.ecr.ecr_lifecycle:
    repository: team/scratch
    rules:
      - priority: 1
        tag_status: any
        count_type: since_image_pushed
        count: 7
    max_expire_percent: 100

- name: Refuse a policy that would expire more than a tenth of the images at once
  dockyard.ecr.ecr_lifecycle:
    repository: team/app
    rules:
      - priority: 1
        tag_status: any
        count_type: image_count_more_than
        count: 50
    max_expire_percent: 10

- name: Set a policy written as ECR's JSON document
  dockyard.ecr.ecr_lifecycle:
    repository: team/app
    policy:
      rules:
        - rulePriority: 1
          description: Keep only one untagged image, expire all others
          selection:
            tagStatus: untagged
            countType: imageCountMoreThan
            countNumber: 1
          action:
            type: expire

- name: Archive images nobody pulled for 90 days, delete them after a year in archive
  dockyard.ecr.ecr_lifecycle:
    repository: team/app
    rules:
      - priority: 1
        tag_status: any
        count_type: since_image_pulled
        count: 90
        action: transition
      - priority: 2
        tag_status: any
        storage_class: archive
        count_type: since_image_transitioned
        count: 365

- name: Set the policy of a repository in another account's registry
  dockyard.ecr.ecr_lifecycle:
    repository: shared/base-image
    registry_id: "111111111111"
    rules:
      - priority: 1
        tag_status: untagged
        count_type: since_image_pushed
        count: 14

- name: Remove the lifecycle policy
  dockyard.ecr.ecr_lifecycle:
    repository: team/app
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The lifecycle policy after the run as ECR's document, normalised. Rules are sorted by
      priority and tag lists sorted, and the default storage class is left out.
    - V(null) when the repository has no lifecycle policy.
  returned: always
  type: dict
  sample:
    rules:
      - rulePriority: 1
        selection:
          tagStatus: untagged
          countType: imageCountMoreThan
          countNumber: 1
        action:
          type: expire
rules:
  description:
    - The same policy as snake_case rules, sorted by priority; empty when there is no policy.
  returned: always
  type: list
  elements: dict
  sample:
    - priority: 1
      tag_status: untagged
      count_type: image_count_more_than
      count: 1
      action: expire
preview:
  description:
    - What the policy asked for (none with O(state=absent)) does to the repository's images, computed
      from C(DescribeImages) before anything is written.
  returned: when O(preview=true)
  type: dict
  contains:
    evaluated_at:
      description: The reference time of the age count types (ISO 8601).
      returned: always
      type: str
      sample: "2025-06-30T12:00:00+00:00"
    images:
      description: Every image in the repository, oldest push first (then by digest).
      returned: always
      type: list
      elements: dict
      contains:
        digest:
          description: The image digest.
          returned: always
          type: str
          sample: sha256:4b9f...
        tags:
          description: The image tags, sorted; empty for an untagged image.
          returned: always
          type: list
          elements: str
          sample: [prod-1, beta-1]
        pushed_at:
          description: When the image was pushed (ISO 8601).
          returned: always
          type: str
          sample: "2025-06-01T08:30:00+00:00"
        size_bytes:
          description: The image size as ECR reports it.
          returned: always
          type: int
          sample: 31457280
        storage_class:
          description:
            - V(standard) or V(archive). V(null) for an image being restored from archive.
          returned: always
          type: str
          sample: standard
        action:
          description: V(expire), V(transition) or V(keep).
          returned: always
          type: str
          sample: expire
        target_storage_class:
          description: For V(transition), the storage class the image moves to; otherwise V(null).
          returned: always
          type: str
          sample: null
        rule_priority:
          description: The priority of the rule that acts on the image; V(null) when it is kept.
          returned: always
          type: int
          sample: 2
        selected_by:
          description:
            - The priority of the first rule whose selection matches the image. That rule alone may act on it;
              rules with higher priority numbers cannot.
            - V(null) when no rule selects the image.
          returned: always
          type: int
          sample: 2
        reason:
          description:
            - Why an image is treated differently from what its rule says. A manifest list that stays keeps
              the images it references, and an artifact follows its subject image. Otherwise V(null).
          returned: always
          type: str
          sample: null
    rules:
      description: Per rule, sorted by priority, the images it selects and the images and bytes it acts on.
      returned: always
      type: list
      elements: dict
      contains:
        priority:
          description: The rule priority.
          returned: always
          type: int
        description:
          description: The rule description.
          returned: always
          type: str
        action:
          description: The rule's action.
          returned: always
          type: str
        matched_images:
          description: How many images the rule's selection matches, including those earlier rules select.
          returned: always
          type: int
        acted_images:
          description: How many images the rule acts on.
          returned: always
          type: int
        acted_bytes:
          description: Their total size.
          returned: always
          type: int
    totals:
      description: Images and bytes in all, and expired, transitioned and kept.
      returned: always
      type: dict
      sample:
        images: 7
        bytes: 7350
        expired_images: 4
        expired_bytes: 4100
        transitioned_images: 0
        transitioned_bytes: 0
        kept_images: 3
        kept_bytes: 3250
diff:
  description: The rules before and after (C(rules), snake_case); empty dicts for no policy.
  returned: always
  type: dict
  contains:
    before:
      description: The rules before the run.
      returned: always
      type: dict
    after:
      description: The rules after the run (predicted in check mode).
      returned: always
      type: dict
"""

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import LIFECYCLE_RULE_OPTIONS, STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.lifecycle import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_request import validate_params
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_validation import HAS_JSONSCHEMA


def main():
    honour_security_token()
    argument_spec = dict(
        repository=dict(type="str", required=True, aliases=["name", "repository_name"]),
        registry_id=dict(type="str"),
        state=dict(type="str", choices=list(STATES), default="present"),
        rules=dict(type="list", elements="dict", options=LIFECYCLE_RULE_OPTIONS),
        policy=dict(type="json"),
        preview=dict(type="bool", default=False),
        max_expire_percent=dict(type="int"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("rules", "policy")],
        required_if=[("state", "present", ("rules", "policy"), True)],
    )
    if not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"))

    try:
        request = validate_params(module.params)
        result = run(ecr_client(module), request, check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
