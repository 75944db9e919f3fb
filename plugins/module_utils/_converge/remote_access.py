# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the IAM side of one consumer account: the policies that give its roles their ECR grants.

The plan comes from ``_models.estate.account_plan`` (pure). This module reads what IAM holds, decides
every change for every role, checks IAM's limits with the role's real budget (its other inline policies,
its other attached managed policies), and only then writes, in check mode not at all. Reads of a no-op
run: ``ListRoles`` once, and per listed role ``ListRolePolicies``, ``ListAttachedRolePolicies`` and one
read per policy of ours; per other role one ``ListRolePolicies`` (to name roles that still hold our
policy although no longer listed).
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.dockyard.ecr.plugins.module_utils._api import iam
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import partition_for_region
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate


def managed_path(path):
    """An IAM path: ``/`` or ``/a/b/``."""
    path = "/" + str(path or "").strip("/") + "/"
    return path.replace("//", "/")


def _resources(documents):
    """{(level, ARN)} over the EcrPull / EcrPush statements of the documents."""
    found = set()
    for document in documents:
        for statement in (document or {}).get("Statement") or []:
            level = {estate.SID_PULL: "pull", estate.SID_PUSH: "push"}.get(statement.get("Sid"))
            if not level:
                continue
            resources = statement.get("Resource") or []
            for arn in resources if isinstance(resources, list) else [resources]:
                found.add((level, arn))
    return found


def _differs(current, desired):
    if current is None or desired is None:
        return current is not desired
    return compare_policies(current, desired)


class RemoteAccess:
    """One account's IAM side: ``read()``, then ``decide()`` (limits checked for every role), then ``apply()``."""

    def __init__(
        self,
        client,
        plan,
        account_id,
        region,
        policy_type="inline",
        policy_name=estate.DEFAULT_POLICY_NAME,
        path="/",
        managed_per_role=estate.MANAGED_PER_ROLE_DEFAULT,
        purge=False,
        universe=None,
    ):
        self.client = client
        self.plan = plan
        self.account_id = str(account_id)
        self.partition = partition_for_region(region)
        self.policy_type = policy_type
        self.policy_name = policy_name
        self.path = managed_path(path)
        self.managed_per_role = managed_per_role
        self.purge = purge
        self.universe = universe or {}
        self.current = {}
        self.unlisted = []
        self.decisions = []

    def managed_arn(self, name):
        return f"arn:{self.partition}:iam::{self.account_id}:policy{self.path}{name}"

    def _ours_re(self, role):
        return re.compile(rf"^{re.escape(self.policy_name)}-{re.escape(role)}(?:-[0-9]+)?$")

    def _is_ours(self, role, name):
        """Whether managed policy ``name`` is one of ``role``'s: NAME-ROLE or NAME-ROLE-N, and not the policy of
        another role of the account whose name is longer (NAME-app-2 is role app-2's, not app's second).
        """
        if not self._ours_re(role).match(name):
            return False
        return not any(
            len(other) > len(role) and other.startswith(role) and self._ours_re(other).match(name)
            for other in getattr(self, "account_roles", {})
        )

    # -- read ----------------------------------------------------------------------------------

    def read(self):
        self.account_roles = iam.list_roles(self.client)
        listed = list(self.plan["roles"])
        missing = [r["name"] for r in listed if r["state"] == "present" and r["name"] not in self.account_roles]
        if missing:
            raise ECRError(
                message=(
                    f"roles: {', '.join(missing)} {'does' if len(missing) == 1 else 'do'} not exist in account "
                    f"{self.account_id}; create {'it' if len(missing) == 1 else 'them'} first (amazon.aws.iam_role) or "
                    "remove them from remote_access_roles. Nothing was written"
                ),
                option="roles",
            )
        self.managed = {
            name: info
            for name, info in iam.list_local_policies(self.client, self.path).items()
            if name.startswith(self.policy_name + "-")
        }
        for role in listed:
            if role["name"] not in self.account_roles:
                continue
            self.current[role["name"]] = self._read_role(role["name"])
        names = set(r["name"] for r in listed)
        for name in sorted(set(self.account_roles) - names):
            has_inline = self.policy_name in iam.list_role_policies(self.client, name)
            has_managed = any(self._is_ours(name, p) for p in self.managed)
            if has_inline or has_managed:
                self.unlisted.append(name)
                if self.purge:
                    self.current[name] = self._read_role(name, inline_names=[self.policy_name] if has_inline else [])

    def _read_role(self, role, inline_names=None):
        inline_names = iam.list_role_policies(self.client, role) if inline_names is None else inline_names
        attached = iam.list_attached_role_policies(self.client, role)
        state = {
            "inline": None,
            "other_inline": [n for n in inline_names if n != self.policy_name],
            "managed": {},
            "attached": set(),
            "other_attached": 0,
        }
        if self.policy_name in inline_names:
            state["inline"] = iam.get_role_policy(self.client, role, self.policy_name)
        for policy in attached:
            if self._is_ours(role, policy["PolicyName"]) and policy["PolicyArn"] == self.managed_arn(
                policy["PolicyName"]
            ):
                state["attached"].add(policy["PolicyName"])
            else:
                state["other_attached"] += 1
        for name, info in self.managed.items():
            if self._is_ours(role, name):
                state["managed"][name] = iam.get_policy_version(self.client, info["arn"], info["default_version"])
        return state

    # -- decide --------------------------------------------------------------------------------

    def _desired(self, role, state):
        if role["state"] != "present":
            return []
        budget = estate.INLINE_ROLE_TOTAL_MAX
        if self.policy_type == "inline" and state["other_inline"]:
            for name in state["other_inline"]:
                budget -= estate.policy_size(iam.get_role_policy(self.client, role["name"], name) or {})
        return estate.role_documents(
            role["name"],
            role["pull"],
            role["push"],
            self.policy_type,
            self.policy_name,
            self.universe,
            inline_budget=budget,
            managed_slots=self.managed_per_role - state["other_attached"],
        )

    def _check_names(self, role, desired):
        """Refuse, before any write, a managed policy of ``role`` whose name is another role's: the second and
        later policies of a split are NAME-ROLE-2, NAME-ROLE-3..., which is the first policy of a role named
        ROLE-2 (IAM policy names are unique in an account, so the two roles would write one policy in turn)."""
        start = len(self.policy_name) + 1  # after NAME-
        for document in desired[1:]:
            other = document["name"][start:]
            if other in self.account_roles:
                raise ECRError(
                    message=(
                        f"roles: role {role} needs {len(desired)} managed policies, and its policy {document['name']} "
                        f"would have the name of role {other}'s own policy (IAM policy names are unique in an "
                        f"account); grant whole repository prefixes so that role {role} needs fewer policies, use "
                        "remote_access_policy_type: inline, or rename one of the two roles. Nothing was written"
                    ),
                    option="roles",
                )

    def decide(self):
        roles = list(self.plan["roles"])
        if self.purge:
            roles += [{"name": name, "state": "absent", "pull": [], "push": []} for name in self.unlisted]
        for role in roles:
            state = self.current.get(role["name"])
            if state is None:  # absent and not in the account: nothing to do
                self.decisions.append({"role": role, "ops": [], "before": {}, "after": {}})
                continue
            desired = self._desired(role, state)
            self._check_names(role["name"], desired)
            ops, before, after = [], {}, {}
            if state["inline"] is not None:
                before[self.policy_name] = state["inline"]
            for name, document in state["managed"].items():
                before[name] = document
            wanted = {d["name"]: d["document"] for d in desired}
            if self.policy_type == "inline":
                if self.policy_name in wanted:
                    if _differs(state["inline"], wanted[self.policy_name]):
                        ops.append(("put_inline", self.policy_name, wanted[self.policy_name]))
                elif state["inline"] is not None:
                    ops.append(("delete_inline", self.policy_name, None))
                for name in state["managed"]:
                    ops.append(("delete_managed", name, None))
            else:
                if state["inline"] is not None:
                    ops.append(("delete_inline", self.policy_name, None))
                for name, document in wanted.items():
                    if name not in state["managed"]:
                        ops.append(("create_managed", name, document))
                    elif _differs(state["managed"][name], document):
                        ops.append(("update_managed", name, document))
                    if name not in state["attached"]:
                        ops.append(("attach", name, None))
                for name in state["managed"]:
                    if name not in wanted:
                        ops.append(("delete_managed", name, None))
            after = dict(wanted)
            was = _resources(before.values())
            will = _resources(after.values())
            self.decisions.append(
                {
                    "role": role,
                    "ops": ops,
                    "before": before,
                    "after": after,
                    "added": sorted(f"{level} {arn}" for level, arn in will - was),
                    "removed": sorted(f"{level} {arn}" for level, arn in was - will),
                    "sizes": {d["name"]: d["size"] for d in desired},
                }
            )
        return self.decisions

    # -- apply ---------------------------------------------------------------------------------

    def apply(self, check_mode=False):
        if check_mode:
            return
        for decision in self.decisions:
            role = decision["role"]["name"]
            for op, name, document in decision["ops"]:
                arn = self.managed_arn(name)
                if op == "put_inline":
                    iam.put_role_policy(self.client, role, name, document)
                elif op == "delete_inline":
                    iam.delete_role_policy(self.client, role, name)
                elif op == "create_managed":
                    iam.create_policy(
                        self.client,
                        name,
                        self.path,
                        document,
                        f"ECR access of IAM role {role}, managed by dockyard.ecr",
                    )
                elif op == "update_managed":
                    iam.replace_policy_document(self.client, arn, document)
                elif op == "attach":
                    iam.attach_role_policy(self.client, role, arn)
                elif op == "delete_managed":
                    iam.delete_policy(self.client, arn)

    # -- report --------------------------------------------------------------------------------

    def results(self):
        roles = []
        diff = []
        for decision in self.decisions:
            role = decision["role"]
            changed = bool(decision["ops"])
            roles.append(
                {
                    "name": role["name"],
                    "state": role["state"],
                    "changed": changed,
                    "pull": list(role.get("pull") or []),
                    "push": list(role.get("push") or []),
                    "policies": sorted(decision["after"]),
                    "sizes": decision.get("sizes") or {},
                    "added": decision.get("added") or [],
                    "removed": decision.get("removed") or [],
                }
            )
            if changed:
                diff.append(
                    {
                        "before_header": f"IAM role {role['name']}",
                        "after_header": f"IAM role {role['name']}",
                        "before": decision["before"],
                        "after": decision["after"],
                    }
                )
        return roles, diff


def converge(client, plan, account_id, region, check_mode=False, **options):
    """Read, decide (every limit checked), then write unless ``check_mode``. Returns the module's result."""
    engine = RemoteAccess(client, plan, account_id, region, **options)
    if not plan["visible"]:
        return {
            "changed": False,
            "roles": [],
            "diff": [],
            "notes": plan["notes"],
            "unlisted": [],
            "purged": False,
        }
    engine.read()
    engine.decide()
    engine.apply(check_mode)
    roles, diff = engine.results()
    return {
        "changed": any(r["changed"] for r in roles),
        "roles": roles,
        "diff": diff,
        "notes": plan["notes"],
        "unlisted": engine.unlisted,
        "purged": bool(engine.purge and engine.unlisted),
        "registries": plan["registries"],
    }
