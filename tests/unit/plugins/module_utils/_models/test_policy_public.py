# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_models/policy_document.py: the public check, reasoning as IAM Access Analyzer does (pure, no AWS)."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_document

ORG = "o-a1b2c3d4e5"
A1 = "111122223333"


def everyone(condition=None, principal="*", effect="Allow"):
    statement = {"Effect": effect, "Principal": principal, "Action": "ecr:BatchGetImage"}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def refused(statement):
    with pytest.raises(PolicyError) as exc:
        policy_document.validate_document({"Version": "2012-10-17", "Statement": [statement]})
    assert exc.value.option == "policy"
    assert exc.value.message.startswith("policy.Statement[0]: allows everyone (")
    assert "allow_public=true" in exc.value.message
    # allow_public lets it through
    assert policy_document.validate_document({"Version": "2012-10-17", "Statement": [statement]}, allow_public=True)
    return exc.value.message


@pytest.mark.parametrize(
    "condition, why",
    [
        (None, "without a Condition"),
        ({}, "without a Condition"),
        # about the request, not the caller
        ({"Bool": {"aws:SecureTransport": "true"}}, "aws:SecureTransport does not say who the caller is"),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "aws:SourceIp does not say who the caller is"),
        ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "aws:CurrentTime"),
        # wildcards and policy variables in the value
        ({"StringLike": {"aws:PrincipalOrgID": "o-*"}}, "'o-*' is not one fixed"),
        ({"StringEquals": {"aws:PrincipalOrgID": "*"}}, "'*' is not one fixed"),
        ({"StringLike": {"aws:PrincipalAccount": "1111222233?3"}}, "is not one fixed"),
        ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}, "is not one fixed"),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy"}}, "is not one fixed"),
        ({"StringLike": {"aws:SourceVpce": "vpce-*"}}, "is not one fixed"),
        ({"StringLike": {"aws:PrincipalOrgPaths": "o-*/r-ab12/*"}}, "is not one fixed"),
        ({"StringEquals": {"aws:PrincipalOrgID": [ORG, "*"]}}, "'*' is not one fixed"),
        # operators that do not restrict
        ({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, "StringNotEquals on aws:PrincipalOrgID does not limit"),
        ({"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{A1}:role/x"}}, "ArnNotLike"),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, "also passes when the key is absent"),
        ({"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, "also passes when the key is absent"),
        ({"Null": {"aws:PrincipalOrgID": "false"}}, "Null on aws:PrincipalOrgID"),
        # one restricting-looking key among others that do not restrict is not enough if it does not restrict
        (
            {"Bool": {"aws:SecureTransport": "true"}, "StringLike": {"aws:PrincipalOrgID": "o-*"}},
            "aws:SecureTransport does not say who the caller is; aws:PrincipalOrgID value",
        ),
    ],
)
def test_everyone_with_a_condition_that_does_not_restrict_the_caller_is_public(condition, why):
    assert why in refused(everyone(condition))


def test_a_condition_without_values_does_not_restrict():
    # (validation may refuse an empty list first; the public check does not count it either way)
    assert "has no value" in policy_document.public_statement_reason(
        everyone({"StringEquals": {"aws:PrincipalOrgID": []}})
    )


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": [A1, "*"]}])
def test_every_form_of_star_is_checked(principal):
    assert "a * principal" in refused(everyone({"Bool": {"aws:SecureTransport": "true"}}, principal=principal))


def test_not_principal_is_everyone_but_a_few():
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": A1}, "Action": "ecr:BatchGetImage"}
    assert "NotPrincipal" in refused(statement)
    restricted = dict(statement, Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})
    assert policy_document.public_statement_reason(restricted) is None


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        {"StringEquals": {"aws:PrincipalOrgID": [ORG, "o-f6g7h8i9j0"]}},
        {"StringEqualsIgnoreCase": {"aws:principalorgid": ORG}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/*"}},
        {"StringEquals": {"aws:PrincipalAccount": A1}},
        {"StringEquals": {"aws:SourceAccount": [A1]}},
        {"StringEquals": {"aws:SourceOwner": A1}},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A1}:role/ci-*"}},
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:codebuild:eu-west-1:{A1}:project/app"}},
        {"StringLike": {"aws:SourceArn": f"arn:aws:lambda:eu-west-1:{A1}:function:*"}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::my-bucket"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}},
        {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}},
        # conditions are all required: one that restricts is enough
        {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalOrgID": ORG}},
    ],
)
def test_everyone_restricted_to_fixed_callers_is_not_public(condition):
    assert policy_document.public_statement_reason(everyone(condition)) is None
    assert policy_document.validate_document({"Version": "2012-10-17", "Statement": [everyone(condition)]})


@pytest.mark.parametrize(
    "statement",
    [
        everyone(effect="Deny"),
        {"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:BatchGetImage"},
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "ecr:BatchGetImage"},
    ],
)
def test_named_principals_and_deny_are_not_public(statement):
    assert policy_document.public_statement_reason(statement) is None


def test_the_message_names_the_statement_and_the_fix():
    with pytest.raises(PolicyError) as exc:
        policy_document.check_public(
            {
                "Statement": [
                    everyone({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
                    everyone({"Bool": {"aws:SecureTransport": True}}),
                ]
            },
            option="repositories[0].policy",
        )
    message = exc.value.message
    assert message.startswith("repositories[0].policy.Statement[1]: allows everyone (a * principal whose Condition")
    assert "IAM Access Analyzer" in message
    assert "aws:PrincipalOrgID" in message and "allow_public=true" in message
