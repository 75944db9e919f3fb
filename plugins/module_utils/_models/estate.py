# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The estate as data: registries with their repositories and grants, consumers with their roles.

Pure (no boto3, no AWS call): it turns the declarative input that every host of every AWX slice
sees (``ecr_registries``, inventory-level or ``group_vars/all``) plus one host's own variables
into that account's plan:

- a registry host finds its own entry (``find_registry``) and its repositories with the registry's
  defaults filled in (``merged_repositories``);
- a consumer host gets, per IAM role of ``remote_access_roles``, the repository ARNs it may pull
  from and push to (``consumer_grants``), derived from the very statements the registry side writes
  (``policy_grants.grants_to_statements``): a grant to an account reaches the account's listed roles, a
  grant to a role ARN reaches that role only, and the actions are ``PULL_ACTIONS`` /
  ``PULL_PUSH_ACTIONS`` of the same module, so both halves of a grant come from one function;
- the IAM documents of each role (``role_documents``), sized the way IAM counts (JSON without
  whitespace) and kept within IAM's limits before anything is written: one inline policy of at
  most 10,240 characters per role, or managed policies of at most 6,144 characters each, at most
  10 attached per role. When the exact list does not fit, repository-prefix wildcards are used,
  but only for prefixes every declared repository under which is granted; when even that does not
  fit, ``EstateError`` names the role and the sizes.

Nothing here reads another host's variables: a consumer's plan only depends on ``ecr_registries``
and its own ``remote_access_roles``, so a slice, a ``--limit`` or a typo can only narrow what a run
adds; a consumer that sees no registry data leaves its grants alone (``visible=False``).
"""

import json
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import (
    partition_for_region,
    repository_arn,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import ACCOUNT_ID_RE
from ansible_collections.dockyard.ecr.plugins.module_utils._models import replication
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import (
    PULL_ACTIONS,
    PULL_PUSH_ACTIONS,
    grants_to_statements,
    validate_grants,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.registry_block import registry_plan

# IAM's quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), counted
# without whitespace.
INLINE_ROLE_TOTAL_MAX = 10240
MANAGED_POLICY_MAX = 6144
MANAGED_PER_ROLE_DEFAULT = 10
POLICY_NAME_MAX = 128

DEFAULT_POLICY_NAME = "dockyard-ecr"
POLICY_TYPES = ("inline", "managed")
ACCESS_LEVELS = ("pull", "push")

SID_TOKEN = "EcrAuthorizationToken"
SID_PULL = "EcrPull"
SID_PUSH = "EcrPush"

ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
POLICY_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
# The keys of an ecr_registries entry.
REGISTRY_KEYS = ("name", "account_id", "region", "repository_defaults", "repositories", "replication", "registry")
REGISTRY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# arn:PARTITION:iam::ACCOUNT:root | arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
_ROOT_RE = re.compile(r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):root$")
_ROLE_RE = re.compile(r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):role/(?:[^/]+/)*(?P<name>[^/]+)$")


class EstateError(ECRError):
    """The estate's data cannot be planned as given; the message names the variable and the fix."""


def _fail(option, message):
    raise EstateError(message=f"{option}: {message}", option=option)


def policy_size(document):
    """The size IAM counts: the document's JSON without whitespace."""
    return len(json.dumps(document, separators=(",", ":")))


# ---------------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------------


def registry_name(registry):
    """A registry's name: its ``name``, else ``ACCOUNT-REGION``."""
    return registry.get("name") or f"{registry.get('account_id')}-{registry.get('region')}"


def _registry_header(raw, where):
    """One registry's own keys checked (not its repositories): {name, account_id, region, repository_defaults}."""
    if not isinstance(raw, dict):
        _fail(where, "give a dict with name, account_id, region and repositories")
    unknown = sorted(set(raw) - set(REGISTRY_KEYS))
    if unknown:
        _fail(
            f"{where}.{unknown[0]}",
            f"not a registry key; a registry takes {', '.join(REGISTRY_KEYS)}",
        )
    account = str(raw.get("account_id") if raw.get("account_id") is not None else "").strip()
    if not ACCOUNT_ID_RE.fullmatch(account):
        _fail(
            f"{where}.account_id",
            f"{account or '(unset)'!s} is not a 12-digit AWS account ID; quote it in YAML so leading zeros stay",
        )
    region = str(raw.get("region") or "").strip()
    if not region:
        _fail(f"{where}.region", "give the registry's region, for example us-east-1")
    name = str(raw.get("name") or f"{account}-{region}")
    if not REGISTRY_NAME_RE.match(name):
        _fail(
            f"{where}.name",
            f"{name!r} is not a valid name; use letters, digits, '.', '_' and '-'",
        )
    defaults = raw.get("repository_defaults") or {}
    if not isinstance(defaults, dict):
        _fail(f"{where}.repository_defaults", "give a dict of repository options")
    header = {"name": name, "account_id": account, "region": region, "repository_defaults": dict(defaults)}
    if raw.get("replication") is not None:
        # The rules as ecr_replication takes them, checked on every host so a bad rule stops them all before any write.
        try:
            replication.validate_rules(raw["replication"], account, region, f"{where}.replication")
        except ECRError as e:
            raise EstateError(message=e.message, option=e.option) from e
        header["replication"] = list(raw["replication"])
    if raw.get("registry") is not None:
        # The registry block (account settings, scanning, templates, pull through cache): checked by registry_settings.
        header["registry"] = raw["registry"]
    return header


def _registry_repositories(raw, where):
    """One registry's repositories checked (each a dict with a name, names unique) and copied."""
    repositories = raw.get("repositories") or []
    if not isinstance(repositories, (list, tuple)):
        _fail(f"{where}.repositories", "give a list of repositories")
    seen = {}
    for position, entry in enumerate(repositories):
        if not isinstance(entry, dict) or not entry.get("name"):
            _fail(
                f"{where}.repositories[{position}]",
                "give a dict with at least the repository's name",
            )
        if entry["name"] in seen:
            _fail(
                f"{where}.repositories[{position}].name",
                f"{entry['name']!r} is also repositories[{seen[entry['name']]}]; list each repository once",
            )
        seen[entry["name"]] = position
    return [dict(entry) for entry in repositories]


def registry_headers(registries, option="ecr_registries"):
    """``ecr_registries``' own keys checked, without reading any registry's repositories: [(index, header, raw)].

    Names and (account, region) pairs must be unique. This is what one host needs of the other registries:
    a registry host reads the repositories of its own entry only, so the work per host does not grow with
    the estate (every host of a fleet of 50 registry accounts would otherwise read all 50 entries'
    repositories, and Ansible templates every value it is given).
    """
    if registries is None:
        return []
    if not isinstance(registries, (list, tuple)):
        _fail(
            option,
            "give a list of registries, each {name, account_id, region, repositories}",
        )
    found, names, places = [], {}, {}
    for index, raw in enumerate(registries):
        where = f"{option}[{index}]"
        header = _registry_header(raw, where)
        name, place = header["name"], (header["account_id"], header["region"])
        if name in names:
            _fail(
                f"{where}.name",
                f"{name!r} is also the name of {option}[{names[name]}]; give each registry its own",
            )
        if place in places:
            _fail(
                where,
                f"account {place[0]} in {place[1]} is also {option}[{places[place]}]; "
                "list each registry once, with all its repositories",
            )
        names[name] = index
        places[place] = index
        found.append((index, header, raw))
    return found


def validate_registries(registries, option="ecr_registries"):
    """``ecr_registries`` checked and cleaned: each {name, account_id, region, repository_defaults, repositories}.

    Account IDs must be 12-digit strings, regions region names, names and (account, region) pairs unique,
    repositories a list of entries with a ``name``.
    """
    return [
        dict(header, repositories=_registry_repositories(raw, f"{option}[{index}]"))
        for index, header, raw in registry_headers(registries, option)
    ]


def _is_registry(header, account_id, region, name):
    """Whether a checked entry (``registry_headers``) is the one named ``name``, or without a name the one of this
    account and region: how a registry host finds its own entry."""
    if name:
        return header["name"] == name
    return header["account_id"] == str(account_id) and header["region"] == region


def find_registry(registries, account_id=None, region=None, name=None):
    """The registry of ``ecr_registries`` with this name, or with this account and region; None when none.

    Only the entry found has its repositories read and checked (``registry_headers``)."""
    for index, header, raw in registry_headers(registries):
        if _is_registry(header, account_id, region, name):
            return dict(header, repositories=_registry_repositories(raw, f"ecr_registries[{index}]"))
    return None


def host_registries(registries, groups, account_id=None, region=None, name=None, template=None):
    """``ecr_registries`` as one host's check (``host_check``) reads it, with ``template`` (a function that returns
    one value rendered) applied to the parts it reads and to nothing else.

    Every entry's own keys are read (``registry_headers``: names, accounts and regions unique, replication), so each
    entry without its ``repositories`` is templated; the ``repositories`` only of the entries whose repositories the
    host reads: every entry for a consumer (its grants come from all of them), its own entry for a registry host
    (found as ``find_registry`` finds it), none for another host. The other entries' repositories are passed on as
    given, never read. So the work per host does not grow with the estate: rendering, or even searching for a
    template in, every registry's repositories on every host touched the whole estate in every worker process, and
    a fleet paid the square of its size (docs/performance.md). A template that cannot be rendered fails the hosts
    that read it, not the others. Data that is not a list of dicts is templated whole (the check names it)."""
    if template is None:
        return registries
    if not isinstance(registries, (list, tuple)):
        return template(registries)
    entries = []
    for raw in registries:
        if isinstance(raw, dict) and "repositories" in raw:
            entry = template({key: value for key, value in raw.items() if key != "repositories"})
            entry = dict(entry, repositories=raw["repositories"]) if isinstance(entry, dict) else entry
        else:
            entry = template(raw)
        entries.append(entry)
    groups = list(groups or [])
    if "consumers" in groups:
        read = list(range(len(entries)))
    elif "registries" in groups:
        try:
            headers = registry_headers(entries)
        except EstateError:
            return entries  # the check fails the host with this error and reads no repositories
        read = [index for index, header, _raw in headers if _is_registry(header, account_id, region, name)][:1]
    else:
        read = []
    for index in read:
        entry = entries[index]
        if isinstance(entry, dict) and "repositories" in entry:
            entries[index] = dict(entry, repositories=template(entry["repositories"]))
    return entries


def merged_repositories(registry):
    """The registry's repositories with its ``repository_defaults`` filled in; an entry's key replaces the
    default's whole (tags, grants and lifecycle are not merged key by key)."""
    defaults = (registry or {}).get("repository_defaults") or {}
    # An entry that is not a dict passes unchanged: ecr_repositories refuses it with its index and the fix.
    return [
        dict(defaults, **entry) if isinstance(entry, dict) else entry
        for entry in (registry or {}).get("repositories") or []
    ]


def registry_block_plan(block, region=None, option="repositories_registry"):
    """The plan of one ``registry`` block given on its own (the ``repositories`` role's ``repositories_registry``)."""
    try:
        return registry_plan(block or None, region, option=option)
    except ECRError as e:
        raise EstateError(message=e.message, option=e.option) from e


def registry_settings(registries, account_id, region, name=None, plan=True):
    """The plan of the ``registry`` block of this account and region's entry (or the one named): the module
    parameters for its account settings, scanning, pull through cache rules and creation templates
    (``registry_block.registry_plan``); nothing to do when the entry has no block, EstateError when there is no
    entry or the block is invalid. With ``plan=False``, the block as written (checked). Only the entry's own
    keys are read (``registry_headers``), not any registry's repositories."""
    for index, header, _raw in registry_headers(registries):
        if _is_registry(header, account_id, region, name):
            try:
                settings = registry_plan(
                    header.get("registry"), header["region"], option=f"ecr_registries[{index}].registry"
                )
            except ECRError as e:
                raise EstateError(message=e.message, option=e.option) from e
            return settings if plan else (header.get("registry") or {})
    which = f"named {name}" if name else f"for account {account_id} in {region}"
    _fail("ecr_registries", f"no registry {which}; add it to ecr_registries in group_vars/all")


def select_registries(registries, names=None, option="configure_registries"):
    """The registries a consumer uses: all of them, or those ``names`` lists. An unknown name fails, before
    anything is written, with the known names. Only the registries used have their repositories read."""
    headers = registry_headers(registries)
    if names:
        if isinstance(names, str):
            names = [names]
        by_name = {header["name"]: (index, header, raw) for index, header, raw in headers}
        unknown = [n for n in names if str(n) not in by_name]
        if unknown:
            known = ", ".join(sorted(by_name)) or "none: ecr_registries is empty or not visible"
            _fail(
                option,
                f"{', '.join(map(str, unknown))} {'is' if len(unknown) == 1 else 'are'} not the name of a registry "
                f"of ecr_registries (known: {known}); fix the name or add the registry to ecr_registries",
            )
        headers = [by_name[str(n)] for n in names]
    return [
        dict(header, repositories=_registry_repositories(raw, f"ecr_registries[{index}]"))
        for index, header, raw in headers
    ]


# ---------------------------------------------------------------------------------------------
# Grants: both sides from policy_grants.grants_to_statements
# ---------------------------------------------------------------------------------------------


def _level_of(actions):
    actions = set(actions or [])
    if actions == set(PULL_PUSH_ACTIONS):
        return "push"
    if actions == set(PULL_ACTIONS):
        return "pull"
    return None


def repository_principals(registry, entry):
    """[(principal ARN, "pull"|"push")] the registry side grants on one repository, read back from the
    statements ``policy_grants.grants_to_statements`` writes for it (accounts as root ARNs). An entry without
    pull/push, absent, or given as a whole ``policy`` document grants nothing here."""
    if (entry.get("state") or "present") != "present" or entry.get("policy") is not None:
        return []
    grants = {key: entry.get(key) for key in ("pull", "push") if entry.get(key)}
    if not grants:
        return []
    try:
        grants = validate_grants(grants, allow_public=True)
    except PolicyError as e:
        raise EstateError(
            message=f"ecr_registries ({registry['name']}) repository {entry.get('name')!r}: {e.message}",
            option="ecr_registries",
        ) from e
    found = []
    for statement in grants_to_statements(grants, partition_for_region(registry["region"])):
        principal = statement.get("Principal")
        level = _level_of(statement.get("Action"))
        if not isinstance(principal, dict) or level is None:
            continue
        for arn in principal.get("AWS") or []:
            found.append((arn, level))
    return found


def principal_target(arn, account_id):
    """Whom a principal ARN reaches in ``account_id``: ("account", None), ("role", NAME) or (None, None)."""
    match = _ROOT_RE.match(arn)
    if match and match.group("account") == account_id:
        return "account", None
    match = _ROLE_RE.match(arn)
    if match and match.group("account") == account_id:
        return "role", match.group("name")
    return None, None


def validate_roles(roles, option="remote_access_roles"):
    """``remote_access_roles`` checked: each {name, access, repositories, state}, names unique."""
    if roles is None:
        return []
    if not isinstance(roles, (list, tuple)):
        _fail(option, "give a list of roles, each {name, access, repositories, state}")
    cleaned, seen = [], {}
    for index, raw in enumerate(roles):
        where = f"{option}[{index}]"
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, dict):
            _fail(where, "give a dict with the role's name")
        name = str(raw.get("name") or "")
        if not ROLE_NAME_RE.match(name):
            _fail(
                f"{where}.name",
                f"{name!r} is not an IAM role name (its name, not its ARN; 1 to 64 characters)",
            )
        if name in seen:
            _fail(
                f"{where}.name",
                f"{name} is also {option}[{seen[name]}]; give each IAM role once, with the highest access it needs",
            )
        seen[name] = index
        access = raw.get("access") or "pull"
        if access not in ACCESS_LEVELS:
            _fail(f"{where}.access", f"{access!r}: use pull or push")
        state = raw.get("state") or "present"
        if state not in STATES:
            _fail(f"{where}.state", f"{state!r}: use present or absent")
        repositories = raw.get("repositories")
        if repositories is not None and not isinstance(repositories, (list, tuple)):
            _fail(f"{where}.repositories", "give a list of repository names")
        cleaned.append(
            {
                "name": name,
                "access": access,
                "state": state,
                "repositories": (None if repositories is None else [str(r) for r in repositories]),
            }
        )
    return cleaned


def consumer_grants(account_id, roles, registries, configure_registries=None, region=None):
    """What every role of ``remote_access_roles`` gets in the consumer account ``account_id``.

    Returns {"visible": bool, "registries": [names], "roles": [{name, state, pull: [ARN], push: [ARN],
    names: {ARN: repository name}}], "notes": [str]}. ``visible`` is False when no registry data is
    visible to this host (``ecr_registries`` unset or empty): the caller must then leave the grants alone.
    """
    account_id = str(account_id)
    roles = validate_roles(roles)
    registries = validate_registries(registries)
    notes = []
    if not registries:
        return {
            "visible": False,
            "registries": [],
            "roles": [],
            "notes": ["ecr_registries is not visible to this host: the IAM grants of its roles are left as they are"],
        }
    selected = select_registries(registries, configure_registries)
    listed = {role["name"]: role for role in roles}
    own_partition = partition_for_region(region) if region else None
    granted = {role["name"]: {} for role in roles}  # role -> {arn: level}
    names = {}
    unlisted = set()
    for registry in selected:
        partition = partition_for_region(registry["region"])
        if own_partition and partition != own_partition:
            notes.append(
                f"registry {registry['name']} is in partition {partition}, this account in {own_partition}: "
                "no grant can cross partitions"
            )
            continue
        for entry in merged_repositories(registry):
            arn = repository_arn(registry["account_id"], registry["region"], entry["name"])
            for principal, level in repository_principals(registry, entry):
                kind, role_name = principal_target(principal, account_id)
                if kind == "account":
                    reached = list(listed)
                elif kind == "role":
                    if role_name not in listed:
                        unlisted.add(role_name)
                        continue
                    reached = [role_name]
                else:
                    continue
                for name in reached:
                    role = listed[name]
                    if role["repositories"] is not None and entry["name"] not in role["repositories"]:
                        continue
                    level_here = "push" if level == "push" and role["access"] == "push" else "pull"
                    if granted[name].get(arn) != "push":
                        granted[name][arn] = level_here
                    names[arn] = entry["name"]
    for name in sorted(unlisted):
        notes.append(f"a repository grants role {name}, which remote_access_roles does not list: it gets no IAM policy")
    planned = []
    for role in roles:
        arns = granted[role["name"]]
        pull = sorted(a for a, lvl in arns.items() if lvl == "pull")
        push = sorted(a for a, lvl in arns.items() if lvl == "push")
        state = "present" if role["state"] == "present" and (pull or push) else "absent"
        planned.append(
            {
                "name": role["name"],
                "state": state,
                "pull": pull if state == "present" else [],
                "push": push if state == "present" else [],
                "names": ({a: names[a] for a in pull + push} if state == "present" else {}),
            }
        )
    return {
        "visible": True,
        "registries": [r["name"] for r in selected],
        "roles": planned,
        "notes": notes,
    }


def declared_names(registries):
    """{(account, region): set of present repository names} over ``ecr_registries``, for prefix wildcards."""
    universe = {}
    for registry in validate_registries(registries):
        names = universe.setdefault((registry["account_id"], registry["region"]), set())
        for entry in merged_repositories(registry):
            if (entry.get("state") or "present") == "present":
                names.add(entry["name"])
    return universe


# ---------------------------------------------------------------------------------------------
# IAM documents, sized and limited
# ---------------------------------------------------------------------------------------------

_REPO_ARN_RE = re.compile(r"^(?P<base>arn:[^:]+:ecr:(?P<region>[^:]+):(?P<account>[0-9]{12}):repository/)(?P<name>.+)$")


def compact(arns, universe, covered=None):
    """The ARNs with repository-prefix wildcards (``team/*``) where every declared repository under the prefix
    (``universe``: {(account, region): names}) is in ``covered`` (default: ``arns``); others stay exact.
    """
    covered = set(covered if covered is not None else arns)
    covered_names = {}
    for arn in covered:
        match = _REPO_ARN_RE.match(arn)
        if match:
            covered_names.setdefault((match.group("account"), match.group("region")), set()).add(match.group("name"))
    result = set()
    for arn in arns:
        match = _REPO_ARN_RE.match(arn)
        if not match:
            result.add(arn)
            continue
        key = (match.group("account"), match.group("region"))
        declared = universe.get(key, set())
        name = match.group("name")
        parts = name.split("/")
        chosen = None
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth]) + "/"
            under = {n for n in declared if n.startswith(prefix)}
            if len(under) > 1 and under <= covered_names.get(key, set()):
                chosen = prefix
                break
        result.add(match.group("base") + (chosen + "*" if chosen else name))
    return sorted(result)


def _document(pull, push, token=True):
    statements = []
    if token:
        statements.append(
            {
                "Sid": SID_TOKEN,
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            }
        )
    if pull:
        statements.append(
            {
                "Sid": SID_PULL,
                "Effect": "Allow",
                "Action": list(PULL_ACTIONS),
                "Resource": list(pull),
            }
        )
    if push:
        statements.append(
            {
                "Sid": SID_PUSH,
                "Effect": "Allow",
                "Action": list(PULL_PUSH_ACTIONS),
                "Resource": list(push),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _split(pull, push, maximum):
    """The resources spread over as few documents of at most ``maximum`` characters as fill them in order;
    the first carries ecr:GetAuthorizationToken. None when one ARN alone does not fit.
    """
    documents = []
    current = {"pull": [], "push": []}
    for level, arn in [("pull", a) for a in pull] + [("push", a) for a in push]:
        trial = dict(current, **{level: current[level] + [arn]})
        if policy_size(_document(trial["pull"], trial["push"], token=not documents)) <= maximum:
            current = trial
            continue
        if not current["pull"] and not current["push"]:
            return None
        documents.append(_document(current["pull"], current["push"], token=not documents))
        current = {"pull": [], "push": []}
        current[level] = [arn]
        if policy_size(_document(current["pull"], current["push"], token=not documents)) > maximum:
            return None
    if current["pull"] or current["push"] or not documents:
        documents.append(_document(current["pull"], current["push"], token=not documents))
    return documents


def policy_names(policy_name, role, count):
    """The names of a role's policies: inline ``NAME``; managed ``NAME-ROLE``, then ``NAME-ROLE-2``..."""
    return [f"{policy_name}-{role}" + (f"-{i + 1}" if i else "") for i in range(count)]


def role_documents(
    role,
    pull,
    push,
    policy_type="inline",
    policy_name=DEFAULT_POLICY_NAME,
    universe=None,
    inline_budget=INLINE_ROLE_TOTAL_MAX,
    managed_slots=MANAGED_PER_ROLE_DEFAULT,
):
    """The IAM policies of one role: [{"name", "document", "size"}], within IAM's limits.

    Inline: one policy of at most ``inline_budget`` characters (10,240 less the role's other inline
    policies). Managed: policies of at most 6,144 characters, at most ``managed_slots`` of them (10 less
    the role's other attached policies). The exact ARNs first; then prefix wildcards where allowed; else
    EstateError naming the role and the sizes, before anything is written.
    """
    exact = _document(pull, push)
    tried = [("exact", pull, push)]
    if universe:
        wild_push = compact(push, universe)
        wild_pull = [a for a in compact(pull, universe, covered=list(pull) + list(push)) if a not in wild_push]
        if (wild_pull, wild_push) != (list(pull), list(push)):
            tried.append(("prefix", wild_pull, wild_push))
    if policy_type == "inline":
        for _how, p, q in tried:
            document = _document(p, q)
            if policy_size(document) <= inline_budget:
                return [
                    {
                        "name": policy_name,
                        "document": document,
                        "size": policy_size(document),
                    }
                ]
        smallest = min(policy_size(_document(p, q)) for _how, p, q in tried)
        wildcards = (
            f"{smallest} with repository-prefix wildcards where allowed"
            if len(tried) > 1
            else "no repository-prefix wildcard allowed: not every repository under a prefix is granted"
        )
        raise EstateError(
            message=(
                f"remote_access_roles: the inline policy of role {role} would be {policy_size(exact)} characters "
                f"({wildcards}), over the {inline_budget} IAM leaves "
                f"for it (10240 per role, less its other inline policies), with {len(pull) + len(push)} repositories;"
                " use remote_access_policy_type: managed, or grant whole prefixes. Nothing was written"
            ),
            option="remote_access_roles",
        )
    for _how, p, q in tried:
        documents = _split(p, q, MANAGED_POLICY_MAX)
        if documents is not None and len(documents) <= managed_slots:
            named = policy_names(policy_name, role, len(documents))
            if len(named[-1]) > POLICY_NAME_MAX:
                _fail(
                    "remote_access_policy_name",
                    f"{named[-1]} is longer than {POLICY_NAME_MAX} characters",
                )
            return [{"name": n, "document": d, "size": policy_size(d)} for n, d in zip(named, documents)]
    needed = len(_split(pull, push, MANAGED_POLICY_MAX) or [])
    raise EstateError(
        message=(
            f"remote_access_roles: role {role} needs {policy_size(exact)} characters of managed policy for "
            f"{len(pull) + len(push)} repositories: {needed} policies of at most {MANAGED_POLICY_MAX}, more than "
            f"the {managed_slots} it has room for (10 attached per role, less its other attached policies), even "
            "with repository-prefix wildcards where allowed; raise the role's quota (remote_access_managed_policies_per_role)"
            " or grant whole prefixes. Nothing was written"
        ),
        option="remote_access_roles",
    )


def account_plan(
    account_id,
    roles,
    registries,
    configure_registries=None,
    region=None,
    policy_type="inline",
    policy_name=DEFAULT_POLICY_NAME,
    state="present",
    managed_per_role=MANAGED_PER_ROLE_DEFAULT,
):
    """The IAM side of one consumer account: ``consumer_grants`` plus each present role's documents, checked
    against the limits for every role before the caller writes anything."""
    if policy_type not in POLICY_TYPES:
        _fail("remote_access_policy_type", f"{policy_type!r}: use inline or managed")
    if not POLICY_NAME_RE.match(str(policy_name or "")):
        _fail(
            "remote_access_policy_name",
            f"{policy_name} is not a valid IAM policy name; use 1 to 128 of the characters A-Z a-z 0-9 + = , . @ _ -",
        )
    plan = consumer_grants(account_id, roles, registries, configure_registries, region)
    universe = declared_names(registries)
    for role in plan["roles"]:
        if state == "absent":
            role.update(state="absent", pull=[], push=[], names={})
        role["documents"] = (
            role_documents(
                role["name"],
                role["pull"],
                role["push"],
                policy_type,
                policy_name,
                universe,
                managed_slots=managed_per_role,
            )
            if role["state"] == "present"
            else []
        )
    return plan


# ---------------------------------------------------------------------------------------------
# The plan, shown
# ---------------------------------------------------------------------------------------------


def _principals(document):
    found = set()
    for statement in (document or {}).get("Statement") or []:
        if not isinstance(statement, dict):
            continue
        principal = statement.get("Principal")
        values = principal.get("AWS") if isinstance(principal, dict) else principal
        values = values if isinstance(values, list) else [values] if values else []
        sid = statement.get("Sid") or "statement"
        for value in values:
            found.add(f"{value} ({sid})")
    return found


def registry_summary(result, check_mode=False):
    """Lines for a registry account from ``ecr_repositories``' result: repositories created / updated / deleted
    and grants added / removed in repository policies."""
    verb = "would be" if check_mode else ""
    summary = (result or {}).get("summary") or {}
    lines = []
    for key in ("created", "updated", "deleted"):
        names = [r["name"] for r in (result or {}).get("repositories") or [] if r.get("action") == key]
        if names:
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
            lines.append(f"repositories {verb + ' ' if verb else ''}{key}: {len(names)} ({shown})")
    added, removed = 0, 0
    for repository in (result or {}).get("repositories") or []:
        diff = repository.get("diff") or {}
        before = _principals((diff.get("before") or {}).get("policy"))
        after = _principals((diff.get("after") or {}).get("policy"))
        added += len(after - before)
        removed += len(before - after)
    if added or removed:
        lines.append(
            f"registry grants {'to add' if check_mode else 'added'}: {added}, {'to remove' if check_mode else 'removed'}: {removed}"
        )
    lines.extend(lifecycle_expiry_lines(result, check_mode))
    if summary.get("failed"):
        lines.append(f"repositories failed: {summary['failed']} ({', '.join(summary.get('failed_names') or [])})")
    if not lines:
        lines.append(f"{summary.get('total', 0)} repositories, nothing to change")
    return lines


def size_text(count):
    """A byte count as a person reads it: ``512 bytes``, ``1.5 MB`` (decimal units, as ECR's console shows)."""
    if count < 1000:
        return f"{count} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        count /= 1000.0
        if count < 1000 or unit == "TB":
            return f"{count:.1f} {unit}"
    return f"{count} bytes"  # not reached


def lifecycle_expiry_lines(result, check_mode=False):
    """What the changed lifecycle policies would expire (check mode) or will expire (real run: ECR acts within 24
    hours), from each repository's ``lifecycle_preview`` totals: one line, the largest repositories first."""
    found = []
    for repository in (result or {}).get("repositories") or []:
        totals = (repository.get("lifecycle_preview") or {}).get("totals") or {}
        if repository.get("changed") and not repository.get("failed") and totals.get("expired_images"):
            found.append((repository["name"], totals["expired_images"], totals.get("expired_bytes") or 0))
    if not found:
        return []
    found.sort(key=lambda item: (-item[2], item[0]))
    images, size = sum(item[1] for item in found), sum(item[2] for item in found)
    shown = ", ".join(f"{name} {count} ({size_text(nbytes)})" for name, count, nbytes in found[:10])
    more = f" and {len(found) - 10} more" if len(found) > 10 else ""
    verb = "would expire" if check_mode else "set will expire, within 24 hours,"
    return [f"lifecycle policies {verb} {images} images ({size_text(size)}): {shown}{more}"]


def consumer_summary(result, check_mode=False):
    """Lines for a consumer account from ``ecr_remote_access``' result."""
    result = result or {}
    lines = list(result.get("notes") or [])
    added = sum(len(r.get("added") or []) for r in result.get("roles") or [])
    removed = sum(len(r.get("removed") or []) for r in result.get("roles") or [])
    changed = [r["name"] for r in result.get("roles") or [] if r.get("changed")]
    if added or removed:
        lines.append(
            f"IAM grants {'to add' if check_mode else 'added'}: {added}, {'to remove' if check_mode else 'removed'}: "
            f"{removed}" + (f" (roles {', '.join(changed)})" if changed else "")
        )
    elif changed:
        lines.append(f"IAM policies {'to rewrite' if check_mode else 'rewritten'}: roles {', '.join(changed)}")
    if result.get("unlisted"):
        unlisted = ", ".join(result["unlisted"])
        if result.get("purged"):
            verb = "would remove" if check_mode else "removed"
            lines.append(f"{verb} the policy of roles no longer listed: {unlisted}")
        else:
            lines.append(
                f"roles no longer listed keep their policy (set remote_access_purge: true to remove it): {unlisted}"
            )
    if not (added or removed or changed):
        lines.append(f"{len(result.get('roles') or [])} roles, nothing to change")
    return lines


def summary_lines(
    account_id,
    region,
    name,
    registry_result=None,
    consumer_result=None,
    check_mode=False,
):
    """The short plan (check mode) or record (real run) of one account, as a person reads it."""
    where = " ".join(str(part) for part in (account_id, region) if part)
    account = f": account {where}" if where else ""
    mode = " (check mode: nothing was changed)" if check_mode else ""
    head = f"{name}{account}{mode}"
    lines = [head]
    if registry_result is not None:
        lines.extend("  " + line for line in registry_summary(registry_result, check_mode))
    if consumer_result is not None:
        lines.extend("  " + line for line in consumer_summary(consumer_result, check_mode))
    return lines


# ---------------------------------------------------------------------------------------------
# Errors: the real cause
# ---------------------------------------------------------------------------------------------

_CAUSES = (
    (
        (
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "token included in the request is expired",
        ),
        "the credentials' session token has expired: renew the credentials (aws sso login, a new AWX job, "
        "a fresh AWS_SESSION_TOKEN) and run again",
    ),
    (
        (
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
            "AuthFailure",
        ),
        "the credentials are not valid (unknown access key, or wrong secret key or session token): check "
        "the AWS credential the run uses",
    ),
    (
        ("NoCredentialsError", "Unable to locate credentials", "NoCredentialProviders"),
        "no AWS credentials were found: give an AWS credential (AWX), environment variables or aws_profile",
    ),
    (
        (
            "Could not connect to the endpoint URL",
            "EndpointConnectionError",
            "ConnectTimeout",
            "Connection refused",
            "Name or service not known",
            "ConnectionClosedError",
            "timed out",
        ),
        "the AWS endpoint cannot be reached: check aws_endpoint_url (if set), the region, the network, proxies "
        "and DNS",
    ),
)


def failure_cause(result, action=None, role_arn=None):
    """What went wrong for an account, named after its real cause, from a failed task's result."""
    result = result or {}
    error = result.get("error") if isinstance(result.get("error"), dict) else {}
    code = str(error.get("code") or error.get("Code") or "")
    message = str(result.get("msg") or "failed")
    message = re.sub(r"^(Task failed: )?(Module failed: )?", "", message).rstrip(".")
    text = " ".join([code, message, str(result.get("exception") or "")[-2000:]])
    for needles, cause in _CAUSES:
        if any(needle in text for needle in needles):
            return f"{cause} ({message})"
    denied = code in ("AccessDenied", "AccessDeniedException") or "AccessDenied" in text or "not authorized" in text
    if action and "sts_assume_role" in str(action) and denied:
        return (
            f"the role {role_arn} cannot be assumed: it must exist in the account and its trust policy must let the "
            f"credentials that run this playbook assume it ({message})"
        )
    return message


# ---------------------------------------------------------------------------------------------
# A host's data, checked before anything is written
# ---------------------------------------------------------------------------------------------

_ROLE_ARN_RE = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9]{12}):role/.+$")


def host_problems(
    host,
    groups,
    account_id=None,
    region=None,
    role_arn=None,
    registries=None,
    configure_registries=None,
    roles=None,
    legacy_repositories=None,
    registry=None,
):
    """What is wrong with one host's data (account, region, role, its part of the estate), as messages naming
    the variable and the fix; empty when it can go on. Pure: used before any AWS call.
    """
    problems = []
    account = str(account_id if account_id is not None else "")
    if not ACCOUNT_ID_RE.fullmatch(account):
        problems.append(f"aws_account_id: give the account's 12-digit ID, quoted (not {account or '(unset)'})")
    if not region:
        problems.append("aws_region: give the region of this account's host, for example us-east-1")
    if role_arn:
        match = _ROLE_ARN_RE.match(str(role_arn))
        if not match or match.group("account") != account:
            problems.append(
                f"aws_role_arn: {role_arn} is not a role of account {account}; give "
                f"arn:{partition_for_region(region) if region else 'aws'}:iam::{account}:role/NAME (a role in this "
                "host's account), or fix aws_account_id"
            )
        elif region and match.group("partition") != partition_for_region(region):
            problems.append(
                f"aws_role_arn: {role_arn} is in partition {match.group('partition')}, but region {region} is in "
                f"{partition_for_region(region)}"
            )
    groups = list(groups or [])
    # The registries' own keys for every host; repositories only where this host uses them: its own entry
    # (a registry host), all of them (a consumer, whose grants come from every registry it uses).
    try:
        headers = registry_headers(registries)
        if "consumers" in groups:
            validate_registries(registries)
    except EstateError as e:
        return problems + [e.message]
    if "registries" in groups:
        if not headers and legacy_repositories:
            problems.append(
                "ecr_repositories: configure.yml reads the estate from ecr_registries ([{name, account_id, region, "
                "repository_defaults, repositories}], in group_vars/all); move this host's ecr_repositories and "
                "ecr_repository_defaults into an entry of ecr_registries (docs/multi-account.md)"
            )
        elif ACCOUNT_ID_RE.fullmatch(account):
            try:
                found = find_registry(registries, account, region, registry)
            except EstateError as e:
                return problems + [e.message]
            if found is None:
                which = f"named {registry}" if registry else f"for account {account} in {region}"
                problems.append(
                    f"ecr_registries: no registry {which} (registry host {host}); add it to ecr_registries in "
                    "group_vars/all, or take the host out of the group registries"
                )
            else:
                try:
                    registry_settings(registries, account, region, registry)
                except EstateError as e:
                    problems.append(e.message)
    if "consumers" in groups:
        try:
            validate_roles(roles)
            # Without any registry data (not visible to this host) the grants are left alone, not checked.
            if configure_registries and headers:
                select_registries(registries, configure_registries)
        except EstateError as e:
            problems.append(e.message)
    return problems


def host_check(
    host,
    groups,
    account_id=None,
    region=None,
    role_arn=None,
    registries=None,
    configure_registries=None,
    roles=None,
    legacy_repositories=None,
    registry=None,
):
    """One host's check (``host_problems``) and, when it passes, what the later steps of configure.yml do for it,
    so that a step with nothing to do is skipped by one condition:

    - ``replication_policy``: the registry policy document the estate's registries that replicate into this
      account and region need (``replication.registry_replication_policy``), None when none does;
    - ``replication``: for a registry host, its entry's replication rules, None when the entry has no
      ``replication`` key (its replication configuration is left alone);
    - ``registry``: for a registry host, its entry's ``registry`` block as written (checked), None when it has
      none (or an empty one);
    - ``converge_registry``: whether any of these three has something to converge in this account (one condition
      for all the registry-level steps);
    - ``repositories``: for a registry host, its entry's repositories with the entry's ``repository_defaults``
      filled in (``merged_repositories``), as ecr_repositories takes them.

    ``problems`` lists what is wrong, as messages naming the variable and the fix; the other keys are None then.
    Pure: used before any AWS call.
    """
    check = {
        "problems": [],
        "replication_policy": None,
        "replication": None,
        "registry": None,
        "converge_registry": False,
        "repositories": None,
    }
    problems = host_problems(
        host,
        groups,
        account_id=account_id,
        region=region,
        role_arn=role_arn,
        registries=registries,
        configure_registries=configure_registries,
        roles=roles,
        legacy_repositories=legacy_repositories,
        registry=registry,
    )
    if problems:
        return dict(check, problems=problems)
    account = str(account_id)
    try:
        check["replication_policy"] = replication.registry_replication_policy(registries or [], account, region)
        if "registries" in list(groups or []):
            found = find_registry(registries, account, region, registry)
            check["replication"] = found.get("replication")
            check["registry"] = registry_settings(registries, account, region, registry, plan=False) or None
            check["repositories"] = merged_repositories(found)
    except ECRError as e:
        return dict(check, problems=[e.message])
    check["converge_registry"] = any(
        check[key] is not None for key in ("replication_policy", "replication", "registry")
    )
    return check


def check_message(host, account_id, region, problems):
    """The failure message of a host whose data has problems (``host_check``), naming the account."""
    return (
        f"Account {account_id if account_id is not None else '(unknown)'} ({host}, {region or 'no region'}): "
        f"{'; '.join(problems)}. Nothing was changed in this account; the other accounts go on."
    )


def registry_replication(registries, account_id, region, name=None):
    """The replication rules of the registry of this account and region (or name), as ecr_replication takes them;
    None when the estate says nothing about its replication (or has no such registry)."""
    found = find_registry(registries, account_id, region, name)
    return None if found is None else found.get("replication")


def registry_repositories(registries, account_id, region, name=None):
    """The merged repositories of the registry of this account and region (or name); EstateError when none."""
    found = find_registry(registries, account_id, region, name)
    if found is None:
        which = f"named {name}" if name else f"for account {account_id} in {region}"
        _fail(
            "ecr_registries",
            f"no registry {which}; add it to ecr_registries in group_vars/all",
        )
    return merged_repositories(found)


def registries_from_repositories(repositories, account_id, option="repositories"):
    """The older ``remote_access_repositories`` form ({name, registry_id, region, access}) as registries
    granting this account, so it goes through the same derivation."""
    by_place = {}
    for index, repository in enumerate(repositories or []):
        if not isinstance(repository, dict) or not repository.get("name"):
            _fail(
                f"{option}[{index}]",
                "give a dict with name, registry_id, region and access",
            )
        registry_id = str(repository.get("registry_id") or "")
        if not ACCOUNT_ID_RE.fullmatch(registry_id):
            _fail(
                f"{option}[{index}].registry_id",
                "registry_id must be the 12-digit account ID of the registry, as a quoted string "
                f"(not {registry_id or '(unset)'})",
            )
        access = repository.get("access") or "pull"
        if access not in ACCESS_LEVELS:
            _fail(f"{option}[{index}].access", f"{access!r}: use pull or push")
        place = (registry_id, str(repository.get("region") or ""))
        entry = by_place.setdefault(
            place,
            {
                "name": f"{place[0]}-{place[1]}",
                "account_id": place[0],
                "region": place[1],
                "repositories": [],
            },
        )
        if all(r["name"] != repository["name"] for r in entry["repositories"]):
            entry["repositories"].append({"name": repository["name"], access: [str(account_id)]})
    return list(by_place.values())
