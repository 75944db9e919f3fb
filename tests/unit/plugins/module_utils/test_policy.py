# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/policy.py: grants, validation, normalisation and comparison (pure, no AWS)."""

import json

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common import options as common_options
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_document as models_policy_document
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_grants as models_policy_grants
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_request as models_policy_request
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_validation as models_policy_validation

A1 = "111111111111"
A2 = "222222222222"
ROLE = "arn:aws:iam::333333333333:role/ci/publisher"
ORG = "o-a1b2c3d4e5"


def doc(*statements, version="2012-10-17"):
    document = {"Statement": list(statements)}
    if version:
        document["Version"] = version
    return document


def pull_statement(*principals, sid="DockyardPull"):
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": list(models_policy_grants.PULL_ACTIONS),
    }


# ---------------------------------------------------------------------------------------------
# Action sets
# ---------------------------------------------------------------------------------------------


def test_action_sets_follow_aws_documentation():
    assert set(models_policy_grants.PULL_ACTIONS) == {
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
    }
    assert set(models_policy_grants.PUSH_ACTIONS) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:PutImage",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
    }
    assert set(models_policy_grants.PULL_PUSH_ACTIONS) == set(models_policy_grants.PULL_ACTIONS) | set(
        models_policy_grants.PUSH_ACTIONS
    )
    assert list(models_policy_grants.PULL_PUSH_ACTIONS) == sorted(models_policy_grants.PULL_PUSH_ACTIONS)


# ---------------------------------------------------------------------------------------------
# Grants
# ---------------------------------------------------------------------------------------------


def test_grants_to_statements_one_per_kind_with_stable_sids():
    grants = models_policy_grants.validate_grants(
        {
            "pull": [A2, A1],
            "push": [ROLE],
            "services": ["lambda.amazonaws.com", "codebuild.amazonaws.com"],
            "organizations": [ORG],
        }
    )
    statements = models_policy_grants.grants_to_statements(grants)
    assert [s["Sid"] for s in statements] == ["DockyardPull", "DockyardPush", "DockyardServicePull", "DockyardOrgPull"]
    pull, push, services, org = statements
    assert pull == {
        "Sid": "DockyardPull",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{A1}:root", f"arn:aws:iam::{A2}:root"]},
        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    }
    assert push["Principal"] == {"AWS": [ROLE]}
    assert push["Action"] == list(models_policy_grants.PULL_PUSH_ACTIONS)
    assert services["Principal"] == {"Service": ["codebuild.amazonaws.com", "lambda.amazonaws.com"]}
    assert services["Action"] == list(models_policy_grants.PULL_ACTIONS)
    assert "Condition" not in services
    assert org == {
        "Sid": "DockyardOrgPull",
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(models_policy_grants.PULL_ACTIONS),
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": [ORG]}},
    }


def test_grants_to_statements_is_independent_of_input_order_and_duplicates():
    a = models_policy_grants.grants_to_statements(models_policy_grants.validate_grants({"pull": [A1, A2, A1]}))
    b = models_policy_grants.grants_to_statements(
        models_policy_grants.validate_grants({"pull": [A2, f"arn:aws:iam::{A1}:root"]})
    )
    assert a == b


def test_push_principals_are_left_out_of_pull():
    statements = models_policy_grants.grants_to_statements(
        models_policy_grants.validate_grants({"pull": [A1, A2], "push": [A2]})
    )
    assert statements[0]["Principal"] == {"AWS": [f"arn:aws:iam::{A1}:root"]}
    assert statements[1]["Principal"] == {"AWS": [f"arn:aws:iam::{A2}:root"]}
    only_push = models_policy_grants.grants_to_statements(
        models_policy_grants.validate_grants({"pull": [A1], "push": [A1]})
    )
    assert [s["Sid"] for s in only_push] == ["DockyardPush"]


def test_empty_kinds_give_no_statement():
    statements = models_policy_grants.grants_to_statements(
        models_policy_grants.validate_grants({"pull": [A1], "push": [], "services": None})
    )
    assert [s["Sid"] for s in statements] == ["DockyardPull"]


def test_partition_for_account_ids():
    statements = models_policy_grants.grants_to_statements(
        models_policy_grants.validate_grants({"pull": [A1]}), partition="aws-cn"
    )
    assert statements[0]["Principal"] == {"AWS": [f"arn:aws-cn:iam::{A1}:root"]}


def test_grants_to_document():
    document = models_policy_grants.grants_to_document({"pull": [A1]})
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["DockyardPull"]


@pytest.mark.parametrize(
    "grants, option, fragment",
    [
        ({"pull": ["12345678901"]}, "pull", "11 digits: quote account IDs in YAML"),
        ({"pull": ["1111-2222-3333"]}, "pull", "not an AWS account ID or IAM principal ARN"),
        ({"pull": [A1, "arn:aws:iam::1111:root"]}, "pull", "pull[1]"),
        ({"push": ["arn:aws:s3:::bucket"]}, "push", "push[0]"),
        ({"push": ["arn:aws:iam::111111111111:group/devs"]}, "push", "is an IAM group"),
        ({"pull": [""]}, "pull", "pull[0]: empty"),
        ({"pull": [None]}, "pull", "pull[0]: empty"),
        ({"pull": ["*"]}, "pull", "allow_public=true"),
        ({"services": ["codebuild"]}, "services", "did you mean codebuild.amazonaws.com"),
        ({"services": ["https://codebuild.amazonaws.com"]}, "services", "not an AWS service principal"),
        ({"organizations": ["ou-ab12-cdefgh12"]}, "organizations", "not an AWS Organizations ID"),
        ({"organizations": ["o-short"]}, "organizations", "organizations[0]"),
        ({"pull": []}, "pull", "would grant nothing"),
        ({"pull": [], "services": []}, "pull", "(pull, services) are empty"),
        ({"pull": "111111111111"}, "pull", "give a list"),
        ({"pulls": [A1]}, "pulls", "not a grant"),
    ],
)
def test_validate_grants_errors(grants, option, fragment):
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_grants.validate_grants(grants)
    assert exc.value.option == option
    assert fragment in exc.value.message
    assert isinstance(exc.value, ECRError)


def test_validate_grants_cleans():
    assert models_policy_grants.validate_grants({"pull": [f" {A1} ", A1], "push": None}) == {
        "pull": [A1],
        "push": [],
        "services": [],
        "organizations": [],
    }
    assert models_policy_grants.validate_grants({}) is None
    assert models_policy_grants.validate_grants({"pull": None}) is None
    assert models_policy_grants.validate_grants({"pull": ["*"]}, allow_public=True)["pull"] == ["*"]


# ---------------------------------------------------------------------------------------------
# Document validation
# ---------------------------------------------------------------------------------------------

GOOD = doc({"Sid": "S", "Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:BatchGetImage"})


@pytest.mark.parametrize(
    "document, where",
    [
        (
            {"Statement": [{"Effect": "allow", "Principal": {"AWS": A1}, "Action": "ecr:X"}]},
            "policy.Statement[0].Effect:",
        ),
        ({"Version": "2013-01-01", "Statement": GOOD["Statement"]}, "policy.Version:"),
        ({"Statement": []}, "policy.Statement:"),
        ({"Version": "2012-10-17"}, "'Statement' is a required property"),
        ({"Statement": "x"}, "policy.Statement:"),
        ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "12345"}, "Action": "ecr:X"}]}, "Principal.AWS:"),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [A1, "bad"]}, "Action": "ecr:X"}]},
            "Principal.AWS[1]:",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"Services": "x"}, "Action": "ecr:X"}]},
            "'Services' was unexpected",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild"}, "Action": "ecr:X"}]},
            "Principal.Service:",
        ),
        ({"Statement": [{"Effect": "Allow", "Principal": "someone", "Action": "ecr:X"}]}, "Principal:"),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "BatchGetImage"}]},
            "Statement[0].Action:",
        ),
        ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": A1}, "Action": []}]}, "Statement[0].Action:"),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": A1}}]},
            "exactly one of Action and NotAction, neither",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:X", "NotAction": "ecr:Y"}]},
            "exactly one of Action and NotAction, both",
        ),
        ({"Statement": [{"Effect": "Allow", "Action": "ecr:X"}]}, "exactly one of Principal and NotPrincipal"),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:X", "Foo": 1}]},
            "'Foo' was unexpected",
        ),
        ({"Statement": [{"Principal": {"AWS": A1}, "Action": "ecr:X"}]}, "'Effect' is a required property"),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:X", "Condition": {"StringEquals": "x"}}
                ]
            },
            "Condition.StringEquals:",
        ),
        ({"Statemnt": []}, "policy:"),
        ('{"Statement": [', "not valid JSON"),
        ("[1]", "JSON object"),
        ("   ", "empty"),
    ],
)
def test_validate_document_errors_name_the_element(document, where):
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_document.validate_document(document)
    assert exc.value.option == "policy"
    assert where in exc.value.message


def test_validate_document_accepts_json_text_and_single_values():
    assert models_policy_document.validate_document(json.dumps(GOOD)) == GOOD
    single = {"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": [A1]}, "NotAction": ["ecr:PutImage"]}}
    assert models_policy_document.validate_document(single) == single


def test_validate_document_accepts_aws_examples():
    lambda_pull = doc(
        {
            "Sid": "LambdaECRImageCrossAccountRetrievalPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Condition": {"StringLike": {"aws:sourceARN": "arn:aws:lambda:us-east-1:111111111111:function:*"}},
        }
    )
    assert models_policy_document.validate_document(lambda_pull) == lambda_pull
    deleted_role = doc({"Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEID1234567"}, "Action": "ecr:*"})
    assert models_policy_document.validate_document(deleted_role)
    bools = doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "ecr:*",
            "Condition": {"Bool": {"aws:SecureTransport": False}, "NumericLessThan": {"x:y": 3}},
        }
    )
    assert models_policy_document.validate_document(bools)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "ecr:BatchGetImage"},
        {"Effect": "Allow", "Principal": {"AWS": [A1, "*"]}, "Action": "ecr:BatchGetImage"},
        {"Effect": "Allow", "NotPrincipal": {"AWS": A1}, "Action": "ecr:BatchGetImage"},
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage", "Condition": {}},
    ],
)
def test_public_statements_need_allow_public(statement):
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_document.validate_document(doc(statement))
    assert "allow_public=true" in exc.value.message
    assert "policy.Statement[0]" in exc.value.message
    assert models_policy_document.validate_document(doc(statement), allow_public=True)


@pytest.mark.parametrize(
    "statement",
    [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "ecr:BatchGetImage",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        },
        {"Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage"},
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "ecr:BatchGetImage"},
    ],
)
def test_not_public(statement):
    assert models_policy_document.validate_document(doc(statement))


def test_registry_documents_are_checked_against_the_registry_policy_scope():
    replication = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A1}:root"},
            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
            "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*",
        }
    )
    assert models_policy_document.validate_document(replication, scope="registry")
    assert not models_policy_validation.needs_v2_scope(replication)
    models_policy_validation.check_registry_scope(replication, "V1")
    pull = doc({"Effect": "Allow", "Principal": {"AWS": A1}, "Action": ["ecr:CreateRepository", "ecr:BatchGetImage"]})
    # Every ECR action is a registry action on V2 (ECR's default): the document alone is fine.
    assert models_policy_document.validate_document(pull, scope="registry")
    assert models_policy_validation.needs_v2_scope(pull)
    models_policy_validation.check_registry_scope(pull, "V2")
    models_policy_validation.check_registry_scope(pull, None)  # ECR did not say: its default, V2
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_validation.check_registry_scope(pull, "V1")
    assert "policy.Statement[0].Action: 'ecr:BatchGetImage'" in exc.value.message
    assert "REGISTRY_POLICY_SCOPE is V1" in exc.value.message
    assert "ecr_account_setting" in exc.value.message and "aws ecr put-account-setting" in exc.value.message
    assert models_policy_document.validate_document(pull)  # fine for a repository


def test_validate_document_without_jsonschema(monkeypatch):
    monkeypatch.setattr(models_policy_document, "HAS_JSONSCHEMA", False)
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_document.validate_document(GOOD)
    assert "jsonschema" in exc.value.message


# ---------------------------------------------------------------------------------------------
# Normalisation and comparison
# ---------------------------------------------------------------------------------------------

# What real ECR returns for a policy set with account IDs and single values: pretty-printed, account
# IDs rewritten to root ARNs (as in https://github.com/crossplane-contrib/provider-aws/issues/700).
AWS_RETURNED = """{
  "Version" : "2012-10-17",
  "Statement" : [ {
    "Sid" : "DockyardPush",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::333333333333:role/ci/publisher"
    },
    "Action" : [ "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                 "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart" ]
  }, {
    "Sid" : "DockyardPull",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : [ "arn:aws:iam::222222222222:root", "arn:aws:iam::111111111111:root" ]
    },
    "Action" : [ "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability" ]
  } ]
}"""


def test_grants_match_the_document_as_aws_returns_it():
    desired = models_policy_grants.grants_to_document(
        models_policy_grants.validate_grants({"pull": [A1, A2], "push": [ROLE]})
    )
    assert not models_policy_document.policies_differ(AWS_RETURNED, desired)
    assert not models_policy_document.policies_differ(desired, AWS_RETURNED)
    assert models_policy_document.normalize(AWS_RETURNED) == models_policy_document.normalize(desired)


def test_grants_match_the_document_as_given_back():
    # moto (and ECR for ARNs it does not rewrite) returns the text as it was sent.
    desired = models_policy_grants.grants_to_document(
        models_policy_grants.validate_grants({"pull": [A1, A2], "push": [ROLE]})
    )
    assert not models_policy_document.policies_differ(json.dumps(desired), desired)


@pytest.mark.parametrize(
    "a, b",
    [
        # statement order
        (
            doc(pull_statement(A1, sid="A"), pull_statement(A2, sid="B")),
            doc(pull_statement(A2, sid="B"), pull_statement(A1, sid="A")),
        ),
        # list order
        (doc(pull_statement(A1, A2)), doc(pull_statement(A2, A1))),
        # single value vs one-item list
        (doc(pull_statement(A1)), doc(dict(pull_statement(), Principal={"AWS": A1}))),
        (
            doc({"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:BatchGetImage"}),
            doc({"Effect": "Allow", "Principal": {"AWS": [A1]}, "Action": ["ecr:BatchGetImage"]}),
        ),
        # account ID vs root ARN (and in another partition)
        (doc(pull_statement(A1)), doc(pull_statement(f"arn:aws:iam::{A1}:root"))),
        (doc(pull_statement(A1)), doc(pull_statement(f"arn:aws-cn:iam::{A1}:root"))),
        # Version
        (doc(pull_statement(A1), version="2008-10-17"), doc(pull_statement(A1))),
        (doc(pull_statement(A1), version=None), doc(pull_statement(A1))),
        # * vs {"AWS": "*"}
        (
            doc({"Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage"}),
            doc({"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": "ecr:PutImage"}),
        ),
        # a Statement object vs a list of one
        ({"Statement": pull_statement(A1)}, doc(pull_statement(A1))),
        # condition values: single vs list, booleans as AWS returns them
        (
            doc(
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "ecr:*",
                    "Condition": {"Bool": {"aws:SecureTransport": False}},
                }
            ),
            doc(
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "ecr:*",
                    "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
                }
            ),
        ),
        # duplicates
        (doc(pull_statement(A1, A1)), doc(pull_statement(A1))),
        (doc(pull_statement(A1), pull_statement(A1)), doc(pull_statement(A1))),
        # JSON text vs dict
        (json.dumps(doc(pull_statement(A1))), doc(pull_statement(A1))),
        # no policy
        (None, None),
        (None, {}),
        ("", None),
    ],
)
def test_no_difference(a, b):
    assert not models_policy_document.policies_differ(a, b)
    assert not models_policy_document.policies_differ(b, a)


@pytest.mark.parametrize(
    "a, b",
    [
        (doc(pull_statement(A1)), doc(pull_statement(A1, A2))),
        (doc(pull_statement(A1)), doc(pull_statement(A2))),
        (doc(pull_statement(A1)), doc(pull_statement(A1, sid="Other"))),
        (doc(pull_statement(A1)), doc(dict(pull_statement(A1), Effect="Deny"))),
        (doc(pull_statement(A1)), doc(dict(pull_statement(A1), Action=list(models_policy_grants.PULL_PUSH_ACTIONS)))),
        (doc(pull_statement(A1)), doc(pull_statement(A1), pull_statement(A2, sid="B"))),
        (doc(pull_statement(A1)), doc(pull_statement("arn:aws:iam::111111111111:role/x"))),
        (
            doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "ecr:*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                }
            ),
            doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "ecr:*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}},
                }
            ),
        ),
        (
            doc({"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "ecr:*"}),
            doc({"Effect": "Allow", "Principal": {"AWS": "codebuild.amazonaws.com"}, "Action": "ecr:*"}),
        ),
        (None, doc(pull_statement(A1))),
        (doc(pull_statement(A1)), {}),
    ],
)
def test_difference(a, b):
    assert models_policy_document.policies_differ(a, b)
    assert models_policy_document.policies_differ(b, a)


def test_normalize_canonical_form():
    document = {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Sid": "B",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "ecr:PutImage",
                "Condition": {"Bool": {"aws:SecureTransport": False}},
            },
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"AWS": [A2, A1, A2]},
                "Action": ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"],
            },
        ],
    }
    assert models_policy_document.normalize(document) == {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{A1}:root", f"arn:aws:iam::{A2}:root"]},
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage"],
            },
            {
                "Sid": "B",
                "Effect": "Deny",
                "Principal": {"AWS": ["*"]},
                "Action": ["ecr:PutImage"],
                "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
            },
        ],
    }
    assert models_policy_document.normalize(document) == models_policy_document.normalize(json.dumps(document))
    assert models_policy_document.normalize(
        models_policy_document.normalize(document)
    ) == models_policy_document.normalize(document)
    assert models_policy_document.normalize(None) == {}
    assert models_policy_document.normalize("") == {}
    assert (
        models_policy_document.normalize(document, partition="aws-cn")["Statement"][0]["Principal"]["AWS"][0]
        == f"arn:aws-cn:iam::{A1}:root"
    )


def test_normalize_does_not_modify_its_argument():
    document = doc(pull_statement(A2, A1))
    before = json.dumps(document, sort_keys=True)
    models_policy_document.normalize(document)
    models_policy_document.policies_differ(document, None)
    assert json.dumps(document, sort_keys=True) == before


def test_normalize_tolerates_what_it_does_not_know():
    odd = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:X", "Condition": {"Op": "x"}}]}
    assert models_policy_document.normalize(odd)["Statement"][0]["Condition"] == {"Op": "x"}
    assert models_policy_document.normalize("not json") == "not json"


# ---------------------------------------------------------------------------------------------
# The desired document
# ---------------------------------------------------------------------------------------------

FOREIGN = {
    "Sid": "TeamB",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
    "Action": "ecr:BatchGetImage",
}


def test_desired_with_purge_is_only_the_request():
    current = doc(FOREIGN, pull_statement(A2))
    grants = models_policy_grants.validate_grants({"pull": [A1]})
    target = models_policy_request.desired_document(current, grants)
    assert target == {"Version": "2012-10-17", "Statement": models_policy_grants.grants_to_statements(grants)}


def test_desired_without_purge_keeps_foreign_statements_and_replaces_owned_ones():
    current = {"Version": "2008-10-17", "Id": "shared", "Statement": [FOREIGN, pull_statement(A2)]}
    grants = models_policy_grants.validate_grants({"pull": [A1]})
    target = models_policy_request.desired_document(current, grants, purge_statements=False)
    assert target["Version"] == "2008-10-17" and target["Id"] == "shared"
    assert target["Statement"] == [FOREIGN] + models_policy_grants.grants_to_statements(grants)


def test_desired_without_purge_and_no_current_policy():
    grants = models_policy_grants.validate_grants({"pull": [A1]})
    assert models_policy_request.desired_document(
        None, grants, purge_statements=False
    ) == models_policy_grants.grants_to_document(grants)


def test_desired_document_without_purge_does_not_double_statements_without_sid():
    statement = {"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:BatchGetImage"}
    current = doc(
        FOREIGN, {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{A1}:root"]}, "Action": ["ecr:BatchGetImage"]}
    )
    target = models_policy_request.desired_document(current, doc(statement), purge_statements=False)
    assert target["Statement"] == [FOREIGN, statement]
    assert not models_policy_document.policies_differ(current, target)


def test_desired_document_owns_its_sids():
    mine = {"Sid": "Mine", "Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:BatchGetImage"}
    current = doc(FOREIGN, dict(mine, Principal={"AWS": A2}))
    target = models_policy_request.desired_document(current, doc(mine), purge_statements=False)
    assert target["Statement"] == [FOREIGN, mine]


def test_desired_document_gets_a_version():
    target = models_policy_request.desired_document(None, {"Statement": [FOREIGN]})
    assert target == {"Version": "2012-10-17", "Statement": [FOREIGN]}


def test_desired_absent():
    current = doc(FOREIGN, pull_statement(A1))
    assert models_policy_request.desired_document(current, None, state="absent") is None
    assert models_policy_request.desired_document(current, None, purge_statements=False, state="absent") == doc(FOREIGN)
    assert (
        models_policy_request.desired_document(doc(pull_statement(A1)), None, purge_statements=False, state="absent")
        is None
    )
    mine = doc(dict(FOREIGN, Sid="Mine"))
    assert models_policy_request.desired_document(
        doc(FOREIGN, dict(FOREIGN, Sid="Mine")), mine, False, "absent"
    ) == doc(FOREIGN)


@pytest.mark.parametrize("desired", [None, {}, {"pull": []}, {"Statement": []}])
def test_desired_present_without_statements_is_refused(desired):
    # Nothing asked for never deletes a policy; that takes state=absent.
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_request.desired_document(doc(FOREIGN), desired)
    assert "use state=absent" in exc.value.message


def test_classify_desired():
    assert models_policy_request.classify_desired(None) == (None, None)
    assert models_policy_request.classify_desired(GOOD) == ("policy", GOOD)
    assert models_policy_request.classify_desired(json.dumps(GOOD)) == ("policy", GOOD)
    assert models_policy_request.classify_desired({"pull": [A1]}) == ("grants", {"pull": [A1]})
    with pytest.raises(common_errors.PolicyError):
        models_policy_request.classify_desired({"Version": "2012-10-17"})


def test_policy_text_fits_ecr_limit():
    text = models_policy_document.policy_text(doc(pull_statement(A1)))
    assert json.loads(text) == doc(pull_statement(A1))
    many = doc(pull_statement(*[f"arn:aws:iam::{A1}:role/r{i:04d}" for i in range(200)]))
    compact = models_policy_document.policy_text(many)
    assert len(compact) <= models_policy_document.POLICY_TEXT_MAX and "\n" not in compact
    too_many = doc(pull_statement(*[f"arn:aws:iam::{A1}:role/role-with-a-long-name-{i:04d}" for i in range(300)]))
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_document.policy_text(too_many, option="pull")
    assert exc.value.option == "pull"
    assert "at most 10240" in exc.value.message


# ---------------------------------------------------------------------------------------------
# A module's request
# ---------------------------------------------------------------------------------------------


def params(**kwargs):
    base = {name: None for name in ("repository", "registry_id", "policy") + common_options.GRANT_OPTIONS}
    base.update(scope="repository", state="present", purge_statements=True, allow_public=False)
    base.update(kwargs)
    return base


@pytest.mark.parametrize(
    "kwargs, option, fragment",
    [
        (dict(repository="team/app", policy=json.dumps(GOOD), pull=[A1]), "policy", "not both"),
        (dict(repository="team/app"), "policy", "state=present needs"),
        (dict(pull=[A1]), "repository", "required with scope=repository"),
        (dict(repository="Team/App", pull=[A1]), "repository", "lower case"),
        (dict(repository="team/app", pull=[A1], registry_id="12345"), "registry_id", "not an AWS account ID"),
        (dict(scope="registry", repository="team/app", policy=json.dumps(GOOD)), "repository", "scope=registry"),
        (dict(scope="registry", services=["codebuild.amazonaws.com"]), "services", "per repository"),
        (dict(scope="registry"), "policy", "needs a document in policy"),
        (
            dict(
                scope="registry",
                policy=json.dumps(doc({"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "s3:*"})),
            ),
            "policy",
            "not an Amazon ECR action",
        ),
        (dict(repository="team/app", pull=[A1], policy=json.dumps(GOOD)), "policy", "not both"),
        (dict(repository="team/app", policy=json.dumps(GOOD), pull_through_cache=True), "pull_through_cache", "list"),
        (dict(repository="team/app", policy=""), "policy", "empty"),
        (dict(repository="team/app", pull=["*"]), "pull", "allow_public"),
        (dict(repository="team/app", state="gone", pull=[A1]), "state", "present, absent"),
        (dict(repository="team/app", scope="account", pull=[A1]), "scope", "repository, registry"),
    ],
)
def test_validate_params_errors(kwargs, option, fragment):
    with pytest.raises(ECRError) as exc:
        models_policy_request.validate_params(params(**kwargs))
    assert exc.value.option == option
    assert fragment in exc.value.message


def test_validate_params():
    request = models_policy_request.validate_params(params(repository="team/app", pull=[A1], purge_statements=False))
    assert request == {
        "scope": "repository",
        "state": "present",
        "repository": "team/app",
        "registry_id": None,
        "desired": {"pull": [A1], "push": [], "services": [], "organizations": []},
        "purge_statements": False,
        "allow_public": False,
    }
    absent = models_policy_request.validate_params(params(repository="team/app", state="absent"))
    assert absent["desired"] is None
    registry = models_policy_request.validate_params(params(scope="registry", state="absent", registry_id=A1))
    assert registry["repository"] is None and registry["registry_id"] == A1
    document = models_policy_request.validate_params(params(repository="team/app", policy=json.dumps(GOOD)))
    assert document["desired"] == GOOD
