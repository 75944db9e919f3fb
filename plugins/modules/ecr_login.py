#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_login
version_added: 0.1.0
short_description: Log docker, podman, buildah and skopeo in to Amazon ECR registries
description:
  - Writes ECR registry credentials straight into the files the container tools read, for every
    registry a play needs, with no daemon and no command line holding the password.
  - C(aws ecr get-login-password | docker login) needs a running daemon, logs in to one registry
    at a time and fetches a new token on every run. This module makes one C(GetAuthorizationToken)
    call per region for all the registries in it, and only when a file lacks a token that stays
    valid for O(min_validity).
  - A registry whose stored token is still valid long enough is left alone; no C(GetAuthorizationToken)
    call is made and the task reports no change.
  - Only the entries of the registries asked for are written or removed. Other registries,
    C(credsStore), other credential helpers and keys the module does not know are kept.
  - Files are written atomically (a temporary file in the same directory, then a rename) with mode
    C(0600); missing parent directories are created with mode C(0700). Concurrent runs writing the
    same file (forks logging in to different accounts) take turns through a lock on C(FILE.lock),
    so no login is lost.
  - The token and the password never appear in the results, the diff, warnings or verbose output;
    the module also registers them with Ansible's no_log masking.
author:
  - dockyard.ecr developers (@dockyard)
options:
  registries:
    description:
      - The registries to log in to (or out of, with O(state=absent)).
      - If neither O(registries) nor O(registry_ids) is set, the registry of the account the
        credentials belong to, in O(region).
      - Mutually exclusive with O(registry_ids).
    type: list
    elements: dict
    suboptions:
      registry_id:
        description:
          - The AWS account ID (12 digits) of the registry.
          - If not set, the account the credentials belong to, found with C(sts:GetCallerIdentity).
        type: str
      region:
        description:
          - The region of the registry.
          - If not set, O(region).
        type: str
      host:
        description:
          - The host name (C(HOST) or C(HOST:PORT)) the container tools use for this registry, in place
            of C(ACCOUNT.dkr.ecr.REGION.amazonaws.com).
          - For registries reached through a VPC endpoint host name or a proxy, and for a local
            emulator whose registry listens on C(127.0.0.1:PORT).
          - A scheme (C(https://)) and trailing slashes are dropped. The port, when given, is 1 to 65535; a host
            name does not start with C(-).
          - With O(credential_helper=true), only ECR's own host name of this registry, C(ACCOUNT.dkr.ecr.REGION.SUFFIX)
            or its FIPS form. C(docker-credential-ecr-login) cannot serve any other host, so the module refuses one;
            log in to a VPC endpoint alias or a proxy with a token (O(credential_helper=false)).
        type: str
  registry_ids:
    description:
      - A short form of O(registries) for registries in O(region) under ECR's own host names.
      - Mutually exclusive with O(registries).
    type: list
    elements: str
  auth_files:
    description:
      - Which files to write.
      - V(docker) is C($DOCKER_CONFIG/config.json), or C(~/.docker/config.json) when C(DOCKER_CONFIG)
        is not set; O(docker_config) overrides it. The docker CLI and compose read it.
      - V(podman) is C($REGISTRY_AUTH_FILE); else C($XDG_RUNTIME_DIR/containers/auth.json); else
        C(/run/containers/UID/auth.json), the containers default (C(~/.config/containers/auth.json)
        on macOS); O(podman_auth_file) overrides it. podman, buildah and skopeo read it first, before
        the docker file.
      - The variables are read in the environment of the module, on the target.
    type: list
    elements: str
    choices: [docker, podman]
    default: [docker, podman]
  docker_config:
    description:
      - The docker configuration directory (what C(docker --config) and C(DOCKER_CONFIG) name); the module
        writes C(config.json) in it, creating the directory with mode C(0700) when it does not exist.
      - An existing file, or a path that does not exist and whose name ends in C(.json), is the file to write
        itself.
      - Needs V(docker) in O(auth_files).
    type: path
  podman_auth_file:
    description:
      - The containers auth file (containers-auth.json(5)) to write.
      - Needs V(podman) in O(auth_files).
    type: path
  min_validity:
    description:
      - A stored token that stays valid at least this long is reused.
      - Seconds as a number (V(3600)) or a duration with units C(d), C(h), C(m), C(s) (V(1h), V(30m), V(1h30m)).
      - Less than 12 hours (the lifetime of an ECR token); V(0) reuses any token that has not expired.
      - The expiry of a stored token is read from the expiry cache the module keeps next to each
        auth file (C(FILE.dockyard-ecr.json)), and otherwise from the token, where ECR encodes it.
        A token whose expiry is known from neither is replaced.
    type: raw
    default: 1h
  credential_helper:
    description:
      - Write a C(credHelpers) entry that sends the registries to C(docker-credential-ecr-login)
        (amazon-ecr-credential-helper) instead of a token. The helper then fetches tokens itself
        with the AWS credentials of whoever runs the container tool.
      - The registries' token entries are removed from the files, since the helper entry takes
        precedence over them.
      - No C(GetAuthorizationToken) call is made. A warning says when C(docker-credential-ecr-login)
        is not on the C(PATH) of the module.
      - Both docker and the containers tools (podman, buildah, skopeo) honour C(credHelpers).
      - The helper serves ECR's own registry host names only; a O(registries[].host) that is not the registry's
        ECR host name is refused.
    type: bool
    default: false
  state:
    description:
      - V(present) logs in.
      - V(absent) removes the registries' C(auths) entries and their C(credHelpers) entries that
        name C(ecr-login), and nothing else; no AWS call is made except C(sts:GetCallerIdentity)
        when a registry's account is not given.
      - Every key the container tools read as the host goes, C(HOST), C(https://HOST) and C(http://HOST/)
        (what C(docker login) wrote). A warning names each C(auths) entry removed that this module did not
        write; whether a C(credHelpers) entry naming C(ecr-login) was written by it cannot be told.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the files, says which would change and writes nothing. It does not call
        C(GetAuthorizationToken), so RV(registries[].expires_at) of a token that would be fetched is V(null).
  diff_mode:
    support: full
    details:
      - The diff shows, per file, the logins of the registries asked for (token and expiry, or
        credential helper), never the token.
  idempotent:
    support: full
    details:
      - A second run reports no change while the stored tokens stay valid for O(min_validity).
notes:
  - ECR's token is valid for 12 hours for every registry the credentials may access.
    The module does not pass C(registryIds) to C(GetAuthorizationToken); that parameter only
    changes the proxy endpoint in the answer.
  - The expiry of a token just fetched is the response's C(expiresAt). If that is missing or
    already past (the moto emulator answers 2015-01-01), the module records ECR's documented
    12 hours from now, marked C(assumed) in the expiry cache.
  - The expiry cache holds, per registry host, the expiry, where it came from and a SHA-256 hash
    of the stored C(auth) value (to recognise an entry rewritten by someone else); no secret.
  - A docker file that sets C(credsStore) makes the docker CLI ask that helper for every registry
    without a C(credHelpers) entry, ignoring the tokens in C(auths); the module warns. podman,
    buildah and skopeo ignore C(credsStore).
  - Permissions used are C(ecr:GetAuthorizationToken) and, when a registry's account is not given,
    C(sts:GetCallerIdentity).
seealso:
  - module: community.docker.docker_login
    description: Logs in through the docker daemon, fetching a new token on every run.
  - module: containers.podman.podman_login
    description: Runs C(podman login), with the password on its command line.
  - module: amazon.aws.sts_assume_role
    description: Credentials in another account, to log in to its registry.
  - name: Private registry authentication in Amazon ECR
    description: The ECR user guide.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html
  - name: containers-auth.json(5)
    description: The format of the containers auth file, including C(credHelpers).
    link: https://github.com/containers/image/blob/main/docs/containers-auth.json.5.md
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log docker and podman in to the caller's registry in eu-west-1
  dockyard.ecr.ecr_login:
    region: eu-west-1

- name: Log in to several registries, one GetAuthorizationToken call per region
  dockyard.ecr.ecr_login:
    region: eu-west-1
    registries:
      - registry_id: "123456789012"
      - registry_id: "123456789012"
        region: us-east-1
      - registry_id: "111111111111"

- name: The same, short form for registries in the module's region
  dockyard.ecr.ecr_login:
    region: eu-west-1
    registry_ids:
      - "123456789012"
      - "111111111111"

- name: Log in to a registry reached through a VPC endpoint host name, podman only
  dockyard.ecr.ecr_login:
    region: eu-west-1
    auth_files: [podman]
    registries:
      - registry_id: "123456789012"
        host: 123456789012.dkr.ecr.eu-west-1.vpce-0abc.example.internal

- name: Log in to another account's registry with credentials of a role in it
  block:
    - name: Assume the role
      amazon.aws.sts_assume_role:
        role_arn: arn:aws:iam::111111111111:role/registry-push
        role_session_name: ecr-login
      register: assumed

    - name: Log in with its credentials
      dockyard.ecr.ecr_login:
        access_key: "{{ assumed.sts_creds.access_key }}"
        secret_key: "{{ assumed.sts_creds.secret_key }}"
        session_token: "{{ assumed.sts_creds.session_token }}"
        region: eu-west-1
        registry_ids: ["111111111111"]

- name: Write to an explicit docker config directory and refresh tokens valid for less than 3 hours
  dockyard.ecr.ecr_login:
    region: eu-west-1
    auth_files: [docker]
    docker_config: /srv/ci/.docker
    min_validity: 3h

- name: Let docker-credential-ecr-login fetch the tokens
  dockyard.ecr.ecr_login:
    region: eu-west-1
    registry_ids: ["123456789012"]
    credential_helper: true

- name: Log out (remove only these registries' entries)
  dockyard.ecr.ecr_login:
    region: eu-west-1
    registry_ids: ["123456789012", "111111111111"]
    state: absent
"""

RETURN = r"""
registries:
  description: The registries, in the order given (duplicates merged).
  returned: always
  type: list
  elements: dict
  contains:
    registry_id:
      description: The AWS account ID of the registry.
      returned: always
      type: str
      sample: "123456789012"
    region:
      description: The region of the registry.
      returned: always
      type: str
      sample: eu-west-1
    host:
      description: The registry host the files hold the login for.
      returned: always
      type: str
      sample: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    username:
      description: The user name of the login (ECR's is always C(AWS)); V(null) with O(state=absent).
      returned: always
      type: str
      sample: AWS
    expires_at:
      description:
        - When the stored token expires (ISO 8601, UTC).
        - V(null) with O(credential_helper=true), with O(state=absent), and in check mode for a token
          that would be fetched.
      returned: always
      type: str
      sample: "2026-11-23T21:00:00Z"
    reused:
      description: Whether a stored token (or helper entry) was used, with no new token fetched.
      returned: always
      type: bool
      sample: true
    credential_helper:
      description: Whether the login is a C(credHelpers) entry.
      returned: always
      type: bool
      sample: false
    changed:
      description: Whether an auth file changed (or would change) for this registry.
      returned: always
      type: bool
      sample: false
auth_files:
  description: The auth files the module read and wrote, with their kind.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(docker) or V(podman).
      returned: always
      type: str
      sample: docker
    path:
      description: The absolute path of the file (symbolic links resolved).
      returned: always
      type: str
      sample: /home/ci/.docker/config.json
diff:
  description:
    - Per auth file, the logins of the registries asked for, before and after.
    - A login is a dict with C(token) (V(true)) and C(expires_at), or with C(credential_helper) (the helper's name).
  returned: always
  type: dict
  contains:
    before:
      description: Before the run.
      returned: always
      type: dict
      sample:
        /root/.docker/config.json: {}
    after:
      description: After the run (predicted in check mode).
      returned: always
      type: dict
      sample:
        /root/.docker/config.json:
          123456789012.dkr.ecr.eu-west-1.amazonaws.com:
            token: true
            expires_at: "2026-11-23T21:00:00Z"
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.caller import caller_account
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.login import login, logout
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_file import (
    AUTH_FILE_KINDS,
    check_writable,
    resolve_auth_files,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_token import validate_min_validity
from ansible_collections.dockyard.ecr.plugins.module_utils._models.login_plan import (
    region_warnings,
    resolve_registries,
    validate_registries,
)


def main():
    honour_security_token()
    argument_spec = dict(
        registries=dict(
            type="list",
            elements="dict",
            options=dict(
                registry_id=dict(type="str"),
                region=dict(type="str"),
                host=dict(type="str"),
            ),
        ),
        registry_ids=dict(type="list", elements="str"),
        auth_files=dict(type="list", elements="str", choices=list(AUTH_FILE_KINDS), default=list(AUTH_FILE_KINDS)),
        docker_config=dict(type="path"),
        podman_auth_file=dict(type="path"),
        min_validity=dict(type="raw", default="1h"),
        credential_helper=dict(type="bool", default=False),
        state=dict(type="str", choices=list(STATES), default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("registries", "registry_ids")],
        supports_check_mode=True,
    )
    params = module.params

    try:
        min_validity = validate_min_validity(params["min_validity"])
        helper = params["credential_helper"] and params["state"] == "present"
        specs = validate_registries(
            params["registries"], params["registry_ids"], module.region, credential_helper=helper
        )
        for warning in region_warnings(specs):
            module.warn(warning)  # now: a failure below (an unknown region's endpoint) still shows it
        auth_files = resolve_auth_files(params["auth_files"], params["docker_config"], params["podman_auth_file"])
        if params["state"] == "present":
            for auth_file in auth_files:
                check_writable(auth_file)
        registries = resolve_registries(
            specs,
            lambda region: caller_account(module, region, hint="; give registry_id instead"),
            credential_helper=helper,
        )
        if params["state"] == "absent":
            result = logout(registries, auth_files, check_mode=module.check_mode)
        else:
            result = login(
                registries,
                auth_files,
                lambda region: ecr_client(module, region=region),
                min_validity=min_validity,
                credential_helper=params["credential_helper"],
                check_mode=module.check_mode,
                on_secret=module.no_log_values.add,
            )
    except ECRError as e:
        module.fail_json_aws_error(e)

    for warning in result["warnings"]:
        module.warn(warning)
    module.exit_json(
        changed=result["changed"],
        registries=result["registries"],
        auth_files=[{"kind": f.kind, "path": f.path} for f in auth_files],
        diff=result["diff"],
    )


if __name__ == "__main__":
    main()
