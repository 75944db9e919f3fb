# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_models/policy_request.py: owners sharing a policy, the plan (access-based with purge_statements) and the
warnings naming the statements of others a run removes (pure, no AWS)."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import options as common_options
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_grants, policy_request

A1 = "111111111111"
A2 = "222222222222"
A3 = "333333333333"
BOOK = {
    "Version": "2008-10-17",
    "Statement": [
        {
            "Sid": "RemoteAccountAccess",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A1}:root"},
            "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"],
        }
    ],
}
FOREIGN = {
    "Sid": "TeamB",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{A3}:root"},
    "Action": "ecr:ListImages",
}


def grants(**kwargs):
    return policy_grants.validate_grants(kwargs)


def sids(document):
    return sorted(s.get("Sid") for s in (document or {}).get("Statement", []))


def converge(current, desired, owner, purge_statements=False, state="present"):
    """One run: the document after it (what converge would write, or the current one when nothing changes)."""
    planned = policy_request.plan(current, desired, purge_statements, state, owner=owner)
    return (planned["target"] if planned["changed"] else current), planned["changed"]


# ---------------------------------------------------------------------------------------------
# owner
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["TeamA", "a", "Team42", "X" * 64])
def test_valid_owners(owner):
    assert policy_request.validate_owner(owner) == owner


@pytest.mark.parametrize(
    "owner, hint",
    [
        ("team-a", "TeamA"),
        ("team a", "TeamA"),
        ("", "TeamA"),
        ("X" * 65, "1 to 64"),
        ("équipe", "1 to 64"),
        ("Team_A", "TeamA"),
    ],
)
def test_invalid_owners_name_the_option_and_the_fix(owner, hint):
    with pytest.raises(PolicyError) as exc:
        policy_request.validate_owner(owner)
    assert exc.value.option == "owner"
    assert exc.value.message.startswith("owner: ")
    assert hint in exc.value.message
    assert "A-Z, a-z and 0-9" in exc.value.message


def params(**kwargs):
    base = {name: None for name in ("repository", "registry_id", "policy", "owner") + common_options.GRANT_OPTIONS}
    base.update(scope="repository", state="present", purge_statements=True, allow_public=False)
    base.update(kwargs)
    return base


def test_validate_params_checks_the_owner_first():
    with pytest.raises(PolicyError) as exc:
        policy_request.validate_params(params(repository="team/app", pull=[A1], owner="team-a"))
    assert exc.value.option == "owner"
    request = policy_request.validate_params(params(repository="team/app", pull=[A1], owner="TeamA"))
    assert request["owner"] == "TeamA"
    absent = policy_request.validate_params(params(repository="team/app", state="absent", owner="TeamA"))
    assert absent["owner"] == "TeamA" and absent["desired"] is None


def test_owner_is_for_grants():
    with pytest.raises(PolicyError) as exc:
        policy_request.validate_params(params(repository="team/app", policy=BOOK, owner="TeamA"))
    assert exc.value.option == "owner"
    assert "DockyardPullTeamA" in exc.value.message


def test_grant_sids_carry_the_owner():
    target = policy_request.desired_document(
        None, grants(pull=[A1], push=[A2], services=["codebuild.amazonaws.com"]), owner="TeamA"
    )
    assert sids(target) == ["DockyardPullTeamA", "DockyardPushTeamA", "DockyardServicePullTeamA"]
    assert policy_request.owned_sids(owner="TeamA") == {
        "DockyardPullTeamA",
        "DockyardPushTeamA",
        "DockyardServicePullTeamA",
        "DockyardOrgPullTeamA",
    }
    assert policy_request.owned_sids() == set(policy_grants.GRANT_SIDS)
    assert policy_request.owned_sids(BOOK, owner="Ignored") == {"RemoteAccountAccess"}


# ---------------------------------------------------------------------------------------------
# Two owners, one policy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["TeamA", "TeamB"])
def test_two_owners_converging_in_turn_both_end_unchanged(first):
    wanted = {"TeamA": grants(pull=[A1]), "TeamB": grants(pull=[A2], push=[A3])}
    second = "TeamB" if first == "TeamA" else "TeamA"
    policy, changed = converge(None, wanted[first], first)
    assert changed
    policy, changed = converge(policy, wanted[second], second)
    assert changed
    for owner in (first, second, first, second):
        policy, changed = converge(policy, wanted[owner], owner)
        assert not changed, owner
    assert sids(policy) == ["DockyardPullTeamA", "DockyardPullTeamB", "DockyardPushTeamB"]


def test_an_owner_changes_and_removes_only_its_own_statements():
    policy = converge({"Version": "2012-10-17", "Statement": [FOREIGN]}, grants(pull=[A1]), "TeamA")[0]
    policy = converge(policy, grants(pull=[A2]), "TeamB")[0]
    # Team A changes its grant: team B's statement and the foreign one stay as they are
    changed_policy, changed = converge(policy, grants(pull=[A1, A3]), "TeamA")
    assert changed
    kept = [s for s in changed_policy["Statement"] if s["Sid"] != "DockyardPullTeamA"]
    assert kept == [s for s in policy["Statement"] if s["Sid"] != "DockyardPullTeamA"]
    # Team A drops every grant (empty lists): its statement goes, the others stay
    policy, changed = converge(changed_policy, None, "TeamA", state="absent")
    assert changed
    assert sids(policy) == ["DockyardPullTeamB", "TeamB"]
    # again: nothing of team A is left
    assert not converge(policy, None, "TeamA", state="absent")[1]


def test_absent_removes_only_the_owners_statements_and_deletes_the_policy_when_nothing_remains():
    policy = converge(None, grants(pull=[A1]), "TeamA")[0]
    policy = converge(policy, grants(pull=[A2]), "TeamB")[0]
    policy, changed = converge(policy, None, "TeamB", state="absent")
    assert changed and sids(policy) == ["DockyardPullTeamA"]
    policy, changed = converge(policy, None, "TeamA", state="absent")
    assert changed and policy is None


def test_an_owner_does_not_touch_the_statements_without_owner():
    policy = converge(None, grants(pull=[A1]), None)[0]
    policy, changed = converge(policy, grants(pull=[A2]), "TeamA")
    assert changed and sids(policy) == ["DockyardPull", "DockyardPullTeamA"]
    policy, changed = converge(policy, None, None, state="absent")
    assert changed and sids(policy) == ["DockyardPullTeamA"]


# ---------------------------------------------------------------------------------------------
# purge_statements=true: access, and warnings for the statements of others
# ---------------------------------------------------------------------------------------------


def test_the_book_document_then_the_same_grants_is_no_change():
    planned = policy_request.plan(BOOK, grants(pull=[A1]))
    assert planned == {
        "target": policy_request.desired_document(BOOK, grants(pull=[A1])),
        "changed": False,
        "warnings": [],
    }


def test_removing_the_account_later_removes_its_access_and_names_the_statement():
    planned = policy_request.plan(BOOK, grants(pull=[A2]))
    assert planned["changed"]
    [warning] = planned["warnings"]
    assert warning.startswith("statement 'RemoteAccountAccess' was not written by this task and is removed")
    assert f"access removed: arn:aws:iam::{A1}:root: Allow ecr:BatchCheckLayerAvailability" in warning


def test_a_replaced_statement_whose_access_stays_is_named_too():
    planned = policy_request.plan(BOOK, grants(pull=[A1, A2]))
    assert planned["changed"]
    [warning] = planned["warnings"]
    assert "'RemoteAccountAccess'" in warning
    assert "the access it granted stays" in warning


def test_own_statements_are_not_named():
    current = policy_request.desired_document(None, grants(pull=[A1], services=["codebuild.amazonaws.com"]))
    planned = policy_request.plan(current, grants(pull=[A2]))
    assert planned["changed"] and planned["warnings"] == []
    # the same with an owner
    current = policy_request.desired_document(None, grants(pull=[A1]), owner="TeamA")
    planned = policy_request.plan(current, grants(pull=[A2]), owner="TeamA")
    assert planned["changed"] and planned["warnings"] == []


def test_another_owners_statements_are_named():
    current = policy_request.desired_document(None, grants(pull=[A1]), owner="TeamB")
    planned = policy_request.plan(current, grants(pull=[A2]), owner="TeamA")
    [warning] = planned["warnings"]
    assert warning.startswith("statement 'DockyardPullTeamB'")


def test_statements_without_sid_are_named_by_position():
    current = {
        "Version": "2012-10-17",
        "Statement": [dict(FOREIGN, Sid=None), {k: v for k, v in FOREIGN.items() if k != "Sid"}],
    }
    planned = policy_request.plan(current, grants(pull=[A1]))
    assert [w.split(" was ")[0] for w in planned["warnings"]] == ["statement 0 (no Sid)", "statement 1 (no Sid)"]


def test_deleting_the_whole_policy_names_every_statement_of_others():
    current = dict(
        BOOK, Statement=BOOK["Statement"] + policy_request.desired_document(None, grants(pull=[A2]))["Statement"]
    )
    planned = policy_request.plan(current, None, state="absent")
    assert planned["target"] is None and planned["changed"]
    [warning] = planned["warnings"]
    assert "'RemoteAccountAccess'" in warning and "deleted with the policy" in warning


def test_a_document_owns_its_sids():
    mine = dict(FOREIGN, Sid="Mine", Action="ecr:DescribeImages")
    current = {"Version": "2012-10-17", "Statement": [FOREIGN, mine]}
    planned = policy_request.plan(
        current, {"Version": "2012-10-17", "Statement": [dict(mine, Action="ecr:ListImages")]}
    )
    [warning] = planned["warnings"]
    assert warning.startswith("statement 'TeamB'")


def test_without_purge_nothing_is_named():
    planned = policy_request.plan(BOOK, grants(pull=[A2]), purge_statements=False, owner="TeamA")
    assert planned["changed"] and planned["warnings"] == []
    assert sids(planned["target"]) == ["DockyardPullTeamA", "RemoteAccountAccess"]


def test_without_purge_ownership_is_by_sid_even_when_access_is_the_same():
    # the book's statement grants A1 already, but it is not team A's: team A writes its own, which it can
    # then remove again without touching the other
    planned = policy_request.plan(BOOK, grants(pull=[A1]), purge_statements=False, owner="TeamA")
    assert planned["changed"]
    assert sids(planned["target"]) == ["DockyardPullTeamA", "RemoteAccountAccess"]


# ---------------------------------------------------------------------------------------------
# Owners and scoped service grants
# ---------------------------------------------------------------------------------------------

CODEBUILD = {"service": "codebuild.amazonaws.com", "source_accounts": [A1]}
LAMBDA = {"service": "lambda.amazonaws.com", "source_arns": [f"arn:aws:lambda:eu-west-1:{A2}:function:*"]}


def test_a_scoped_service_sid_carries_the_owner():
    target = policy_request.desired_document(None, grants(services=[CODEBUILD, LAMBDA]), owner="TeamA")
    assert sids(target) == ["DockyardServicePullCodebuildTeamA", "DockyardServicePullLambdaTeamA"]
    without = policy_request.desired_document(None, grants(services=[CODEBUILD]))
    assert sids(without) == ["DockyardServicePullCodebuild"]


@pytest.mark.parametrize("owner", [None, "TeamA"])
def test_an_owner_removes_a_scoped_service_it_no_longer_lists(owner):
    policy = converge(None, grants(services=[CODEBUILD, LAMBDA]), owner)[0]
    policy, changed = converge(policy, grants(services=[CODEBUILD]), owner)
    assert changed
    assert sids(policy) == ["DockyardServicePullCodebuild" + (owner or "")]
    assert policy_request.plan(policy, None, False, "absent", owner=owner)["target"] is None


def test_a_task_without_owner_leaves_another_owners_scoped_services():
    policy = converge(None, grants(services=[CODEBUILD, LAMBDA]), "TeamA")[0]
    policy, changed = converge(policy, grants(pull=[A3]), None)
    assert changed
    assert sids(policy) == ["DockyardPull", "DockyardServicePullCodebuildTeamA", "DockyardServicePullLambdaTeamA"]
    policy, changed = converge(policy, None, None, state="absent")
    assert sids(policy) == ["DockyardServicePullCodebuildTeamA", "DockyardServicePullLambdaTeamA"]
    # ... and TeamB leaves TeamA's, TeamA removes its own.
    policy = converge(policy, grants(services=[LAMBDA]), "TeamB")[0]
    assert "DockyardServicePullLambdaTeamA" in sids(policy) and "DockyardServicePullLambdaTeamB" in sids(policy)
    policy = converge(policy, None, "TeamA", state="absent")[0]
    assert sids(policy) == ["DockyardServicePullLambdaTeamB"]


def test_a_statement_shaped_like_a_scoped_grant_but_with_two_services_is_not_claimed():
    foreign = {
        "Sid": "DockyardServicePullCodebuild",
        "Effect": "Allow",
        "Principal": {"Service": ["codebuild.amazonaws.com", "lambda.amazonaws.com"]},
        "Action": "ecr:BatchGetImage",
    }
    policy = {"Version": "2012-10-17", "Statement": [foreign]}
    assert not policy_request.owns(foreign, policy_request.owned_sids(), "")
    # A whole document claims by its own Sids only.
    assert not policy_request.owns(dict(foreign, Principal={"Service": "codebuild.amazonaws.com"}), {"X"}, None)
    assert policy_request.owns(dict(foreign, Principal={"Service": "codebuild.amazonaws.com"}), set(), "")


def test_purge_warnings_do_not_name_the_tasks_own_scoped_services():
    policy = converge(None, grants(services=[CODEBUILD, LAMBDA]), "TeamA")[0]
    planned = policy_request.plan(policy, grants(pull=[A1]), True, "present", owner="TeamA")
    assert planned["changed"] and planned["warnings"] == []
    planned = policy_request.plan(policy, grants(pull=[A1]), True, "present", owner="TeamB")
    assert len(planned["warnings"]) == 2
    assert "DockyardServicePullCodebuildTeamA" in planned["warnings"][0]


def test_registry_wide_grants_carry_the_owner_and_the_resource():
    resource = policy_grants.registry_resource("aws", "eu-west-1", A3)
    policy = converge(None, grants(pull=[A1]), "TeamA")[0]
    planned = policy_request.plan(policy, grants(pull=[A2]), False, "present", owner="TeamB", resource=resource)
    assert sids(planned["target"]) == ["DockyardPullTeamA", "DockyardPullTeamB"]
    assert planned["target"]["Statement"][1]["Resource"] == resource
