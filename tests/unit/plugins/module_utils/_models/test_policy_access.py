# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_models/policy_access.py: the access a policy document grants, compared and shown (pure, no AWS)."""

import json

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_access, policy_grants, policy_request

A1 = "111111111111"
A2 = "222222222222"
ROLE = "arn:aws:iam::333333333333:role/ci/publisher"
ORG = "o-a1b2c3d4e5"
PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

# The document of "Docker on Amazon Web Services" (ch. 5), as the ECR console wrote it for a pull grant to
# another account: Version 2008-10-17, Sid RemoteAccountAccess, a single principal, its own action order.
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


def grants(**kwargs):
    return policy_grants.validate_grants(kwargs)


def grants_document(**kwargs):
    return policy_grants.grants_to_document(grants(**kwargs))


def doc(*statements, version="2012-10-17"):
    document = {"Statement": list(statements)}
    if version:
        document["Version"] = version
    return document


def allow(principal, actions, sid=None, **extra):
    statement = {"Effect": "Allow", "Principal": principal, "Action": actions}
    if sid:
        statement["Sid"] = sid
    statement.update(extra)
    return statement


# ---------------------------------------------------------------------------------------------
# Same access, however written
# ---------------------------------------------------------------------------------------------


def test_the_book_document_grants_what_pull_grants():
    assert policy_access.same_access(BOOK, grants_document(pull=[A1]))
    assert policy_access.same_access(json.dumps(BOOK), grants_document(pull=[A1]))


@pytest.mark.parametrize(
    "one, other",
    [
        # Sids, Version, statement order
        (doc(allow({"AWS": A1}, PULL, sid="One")), doc(allow({"AWS": A1}, PULL, sid="Two"), version="2008-10-17")),
        (doc(allow({"AWS": A1}, PULL)), doc(allow({"AWS": A1}, PULL), version=None)),
        # statements split (per principal, per action) or merged
        (
            doc(allow({"AWS": [A1, A2]}, PULL)),
            doc(allow({"AWS": A2}, PULL), allow({"AWS": A1}, PULL[:1]), allow({"AWS": A1}, PULL[1:])),
        ),
        # an account ID against its root ARN (any partition), a single value against a list
        (
            doc(allow({"AWS": A1}, "ecr:BatchGetImage")),
            doc(allow({"AWS": [f"arn:aws:iam::{A1}:root"]}, ["ecr:BatchGetImage"])),
        ),
        (
            doc(allow({"AWS": A1}, "ecr:BatchGetImage")),
            doc(allow({"AWS": f"arn:aws-cn:iam::{A1}:root"}, "ecr:BatchGetImage")),
        ),
        # the case of action names and condition keys; condition values as booleans or strings
        (doc(allow({"AWS": A1}, "ecr:batchgetimage")), doc(allow({"AWS": A1}, "ecr:BatchGetImage"))),
        (
            doc(allow("*", "ecr:BatchGetImage", Condition={"StringEquals": {"aws:principalorgid": ORG}})),
            doc(allow({"AWS": "*"}, ["ecr:BatchGetImage"], Condition={"StringEquals": {"aws:PrincipalOrgID": [ORG]}})),
        ),
        (
            doc(allow({"AWS": A1}, "ecr:BatchGetImage", Condition={"Bool": {"aws:SecureTransport": True}})),
            doc(allow({"AWS": A1}, "ecr:BatchGetImage", Condition={"Bool": {"aws:SecureTransport": "true"}})),
        ),
        # duplicates
        (doc(allow({"AWS": A1}, PULL), allow({"AWS": A1}, PULL)), doc(allow({"AWS": A1}, PULL))),
        # no policy
        (None, {}),
        (None, ""),
    ],
)
def test_same_access(one, other):
    assert policy_access.same_access(one, other)
    assert policy_access.same_access(other, one)


@pytest.mark.parametrize(
    "one, other",
    [
        (BOOK, grants_document(pull=[A1, A2])),
        (BOOK, grants_document(push=[A1])),
        (BOOK, None),
        (doc(allow({"AWS": A1}, PULL)), doc(allow({"AWS": A1}, PULL, Resource="*"))),
        (doc(allow({"AWS": A1}, PULL)), doc(dict(allow({"AWS": A1}, PULL), Effect="Deny"))),
        (doc(allow({"AWS": A1}, PULL)), doc(allow({"AWS": ROLE}, PULL))),
        (doc(allow({"AWS": A1}, PULL)), doc(allow({"Service": "codebuild.amazonaws.com"}, PULL))),
        # a condition belongs to its statement: it does not spread to the other statement's principal
        (
            doc(
                allow({"AWS": A1}, PULL), allow({"AWS": A2}, PULL, Condition={"Bool": {"aws:SecureTransport": "true"}})
            ),
            doc(allow({"AWS": [A1, A2]}, PULL, Condition={"Bool": {"aws:SecureTransport": "true"}})),
        ),
        # everyone but A1 is not A1
        (doc({"Effect": "Allow", "NotPrincipal": {"AWS": A1}, "Action": PULL}), doc(allow({"AWS": A1}, PULL))),
        # NotAction stays one element: not the same as Action
        (doc({"Effect": "Allow", "Principal": {"AWS": A1}, "NotAction": PULL}), doc(allow({"AWS": A1}, PULL))),
        # condition values are case-sensitive
        (
            doc(allow("*", PULL, Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
            doc(allow("*", PULL, Condition={"StringEquals": {"aws:PrincipalOrgID": ORG.upper()}})),
        ),
    ],
)
def test_different_access(one, other):
    assert not policy_access.same_access(one, other)
    assert not policy_access.same_access(other, one)


def test_version_counts_only_with_policy_variables():
    variable = allow({"AWS": A1}, PULL, Condition={"StringEquals": {"aws:userid": "${aws:userid}"}})
    assert not policy_access.same_access(doc(variable), doc(variable, version="2008-10-17"))
    # IAM reads a document without Version as 2008-10-17
    assert policy_access.same_access(doc(variable, version=None), doc(variable, version="2008-10-17"))


def test_text_that_is_not_json_is_compared_as_text():
    assert policy_access.access_of("{not json") is None
    assert policy_access.same_access("{not json", "{not json")
    assert not policy_access.same_access("{not json", BOOK)


def test_access_of_expands_principals_actions_and_resources():
    access = policy_access.access_of(doc(allow({"AWS": [A1, A2]}, PULL[:2], Resource=["r1", "r2"])))
    assert len(access) == 2 * 2 * 2
    assert ("Allow", ("AWS", A1), "ecr:batchgetimage", "r2", frozenset()) in access


# ---------------------------------------------------------------------------------------------
# The view (diff) and the one-line description (warnings)
# ---------------------------------------------------------------------------------------------


def test_access_view_shows_who_may_do_what():
    view = policy_access.access_view(
        doc(
            allow({"AWS": [A1, ROLE]}, PULL, sid="DockyardPullTeamA"),
            allow("*", PULL, sid="Org", Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}),
            allow({"Service": "codebuild.amazonaws.com"}, "ecr:BatchGetImage", Resource="*"),
        )
    )
    assert view == {
        "access": {
            "*": [{"effect": "Allow", "actions": PULL, "condition": {"StringEquals": {"aws:PrincipalOrgID": [ORG]}}}],
            "Service:codebuild.amazonaws.com": [{"effect": "Allow", "actions": ["ecr:BatchGetImage"], "resource": "*"}],
            f"arn:aws:iam::{A1}:root": [{"effect": "Allow", "actions": PULL}],
            ROLE: [{"effect": "Allow", "actions": PULL}],
        },
        "sids": ["(no Sid)", "DockyardPullTeamA", "Org"],
    }


def test_access_view_is_the_same_for_the_book_and_the_grants_but_for_the_sids():
    book = policy_access.access_view(BOOK)
    ours = policy_access.access_view(grants_document(pull=[A1]))
    assert book["access"] == ours["access"]
    assert (book["sids"], ours["sids"]) == (["RemoteAccountAccess"], ["DockyardPull"])


def test_access_view_of_nothing_and_of_text():
    assert policy_access.access_view(None) == {}
    assert policy_access.access_view({}) == {}
    assert policy_access.access_view("{not json") == {"text": "{not json"}


def test_access_view_partition_and_not_elements():
    view = policy_access.access_view(
        doc({"Effect": "Deny", "NotPrincipal": {"AWS": A1}, "NotAction": ["ecr:BatchGetImage"]}), partition="aws-cn"
    )
    assert view["access"] == {
        f"everyone except arn:aws-cn:iam::{A1}:root": [{"effect": "Deny", "actions": ["all but ecr:BatchGetImage"]}]
    }


def test_describe_access():
    text = policy_access.describe_access(policy_access.access_of(BOOK), BOOK)
    assert text == f"arn:aws:iam::{A1}:root: Allow {', '.join(PULL)}"


def test_view_is_stable():
    document = grants_document(pull=[A1, A2], push=[ROLE], organizations=[ORG])
    assert json.dumps(policy_access.access_view(document)) == json.dumps(
        policy_access.access_view(
            policy_request.desired_document(None, grants(organizations=[ORG], push=[ROLE], pull=[A2, A1]))
        )
    )
