# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ECR accepts in a policy (_models/policy_validation.py) and scoped service grants (policy_grants)."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_document as models_policy_document
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_grants as models_policy_grants
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_request as models_policy_request
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_validation as models_policy_validation

A1 = "111111111111"
A2 = "222222222222"
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:111111111111:function:*"
PROJECT_ARN = "arn:aws:codebuild:eu-west-1:111111111111:project/build-app"


def statement(**fields):
    base = {"Effect": "Allow", "Principal": {"AWS": A1}, "Action": "ecr:BatchGetImage"}
    base.update(fields)
    return {"Version": "2012-10-17", "Statement": [base]}


def refused(document, scope="repository"):
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_document.validate_document(document, scope=scope)
    assert exc.value.option == "policy"
    return exc.value.message


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actions",
    [
        ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "ecr:*",
        "*",
        "ecr:Describe*",
        "ecr:batchgetimage",  # IAM ignores the case of action names
        ["ecr:BatchImportUpstreamImage", "ecr:PutImage", "ecr:ListTagsForResource"],
    ],
)
def test_repository_policy_actions_accepted(actions):
    assert models_policy_document.validate_document(statement(Action=actions))


def test_get_authorization_token_is_sent_to_the_iam_side():
    message = refused(statement(Action=["ecr:BatchGetImage", "ecr:GetAuthorizationToken"]))
    assert message.startswith("policy.Statement[0].Action: ecr:GetAuthorizationToken cannot be granted")
    assert "remote_access" in message and "IAM policy" in message


@pytest.mark.parametrize(
    "action, fragment",
    [
        ("ecr:BatchGetImages", "did you mean ecr:BatchGetImage?"),
        ("ecr:PutReplicationConfiguration", "acts on the registry, not on a repository"),
        ("ecr:CreatePullThroughCache*", "acts on the registry"),
        ("s3:GetObject", "not an Amazon ECR action; a repository policy grants ecr: actions only"),
        ("ecr:Nothing*", "is not an Amazon ECR action"),
    ],
)
def test_repository_policy_actions_refused(action, fragment):
    assert fragment in refused(statement(Action=action))
    assert fragment in refused(statement(NotAction=action)) or "NotAction" in refused(statement(NotAction=action))


def test_registry_policy_takes_every_ecr_action_but_no_other():
    registry = statement(Action=["ecr:BatchGetImage", "ecr:PutReplicationConfiguration", "ecr:CreateRepository"])
    assert models_policy_document.validate_document(registry, scope="registry")
    assert "not an Amazon ECR action; a registry policy" in refused(statement(Action="sqs:SendMessage"), "registry")


def test_every_botocore_ecr_operation_is_classified():
    """A new ECR operation must be placed: repository policy, registry level, or not an action of its own."""
    botocore = pytest.importorskip("botocore.session")
    operations = botocore.get_session().get_service_model("ecr").operation_names
    known = {a.split(":", 1)[1] for a in models_policy_validation.ECR_ACTIONS}
    # ListImageReferrers is authorised by another action (the Service Authorization Reference lists no
    # ecr:ListImageReferrers action).
    assert set(operations) - known - {"ListImageReferrers"} == set()
    assert not set(models_policy_validation.REPOSITORY_POLICY_ACTIONS) & set(
        models_policy_validation.REGISTRY_LEVEL_ACTIONS
    )


@pytest.mark.parametrize(
    "actions, scope",
    [
        (["ecr:ReplicateImage", "ecr:CreateRepository"], "V1"),
        ("ecr:*", "V1"),
        (["ecr:BatchGetImage"], "V2"),
        (["ecr:BatchGetImage"], None),
    ],
)
def test_registry_scope_accepts(actions, scope):
    models_policy_validation.check_registry_scope(statement(Action=actions), scope)


@pytest.mark.parametrize("actions", [["ecr:BatchGetImage"], "ecr:Batch*", "*"])
def test_registry_scope_v1_refuses(actions):
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_validation.check_registry_scope(statement(Action=actions), "V1")
    assert "V1 registry policy scope" in exc.value.message
    assert "REGISTRY_POLICY_SCOPE" in exc.value.message


def test_registry_scope_v1_ignores_deny():
    models_policy_validation.check_registry_scope(statement(Effect="Deny", Action="ecr:BatchGetImage"), "V1")


def test_registry_grants_need_v2():
    models_policy_validation.check_registry_grants("V2")
    models_policy_validation.check_registry_grants(None)
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_validation.check_registry_grants("V1", "push")
    assert exc.value.option == "push"
    assert "registry-wide grants need the V2 registry policy scope" in exc.value.message


# ---------------------------------------------------------------------------------------------
# Principals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        A1,
        f"arn:aws:iam::{A1}:root",
        f"arn:aws:iam::{A1}:role/path/deploy",
        f"arn:aws:iam::{A1}:user/alice",
        f"arn:aws:sts::{A1}:assumed-role/deploy/session-1",
        f"arn:aws-cn:iam::{A1}:role/deploy",
        "AROAEXAMPLEEXAMPLE1234",  # what ECR shows for a deleted role
    ],
)
def test_principal_kinds_accepted(principal):
    document = statement(
        Principal={"AWS": principal}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    )
    assert models_policy_document.validate_document(document)


@pytest.mark.parametrize(
    "principal, fragment",
    [
        (f"arn:aws:iam::{A1}:group/developers", "is an IAM group, and a group cannot be the principal"),
        (f"arn:aws:iam::{A1}:role/team-*", "has a wildcard"),
        (f"arn:aws:iam::{A1}:instance-profile/web", "not a principal a resource policy can name"),
        (f"arn:aws:iam::{A1}:policy/read", "not a principal a resource policy can name"),
    ],
)
def test_principal_kinds_refused(principal, fragment):
    message = refused(statement(Principal={"AWS": [A2, principal]}))
    assert message.startswith("policy.Statement[0].Principal.AWS: ")
    assert fragment in message


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    [
        "StringEquals",
        "StringLike",
        "ArnLike",
        "ArnEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIfExists",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringLikeIfExists",
        "Bool",
        "Null",
        "IpAddress",
        "NumericLessThanEquals",
        "DateGreaterThan",
        "BinaryEquals",
        "stringequals",
    ],
)
def test_condition_operators_accepted(operator):
    assert models_policy_validation.operator_known(operator)
    assert models_policy_document.validate_document(statement(Condition={operator: {"aws:SourceAccount": A1}}))


@pytest.mark.parametrize(
    "operator, fragment",
    [
        ("StringEqual", "did you mean StringEquals?"),
        ("ArnLikes", "did you mean ArnLike?"),
        ("NullIfExists", "not an IAM condition operator"),
        ("ForEveryValue:StringEquals", "not an IAM condition operator"),
        ("ForAllValues:ForAnyValue:StringEquals", "not an IAM condition operator"),
        ("StringEqualsIfExistsIfExists", "not an IAM condition operator"),
    ],
)
def test_condition_operators_refused(operator, fragment):
    message = refused(statement(Condition={operator: {"aws:SourceAccount": A1}}))
    assert message.startswith(f"policy.Statement[0].Condition.{operator}: ")
    assert fragment in message


def test_empty_condition_values_refused():
    message = refused(statement(Condition={"StringEquals": {"aws:SourceAccount": []}}))
    assert message.startswith("policy.Statement[0].Condition.StringEquals.aws:SourceAccount: an empty list")


# ---------------------------------------------------------------------------------------------
# Scoped service grants, pull through cache
# ---------------------------------------------------------------------------------------------


def test_scoped_service_grants_statements():
    grants = models_policy_grants.validate_grants(
        {
            "services": [
                {"service": "codebuild.amazonaws.com", "source_accounts": [A1], "source_arns": [PROJECT_ARN]},
                {"service": "lambda.amazonaws.com", "source_arns": LAMBDA_ARN},
                "sagemaker.amazonaws.com",
            ]
        }
    )
    statements = {s["Sid"]: s for s in models_policy_grants.grants_to_statements(grants)}
    assert sorted(statements) == ["DockyardServicePull", "DockyardServicePullCodebuild", "DockyardServicePullLambda"]
    assert statements["DockyardServicePull"]["Principal"] == {"Service": ["sagemaker.amazonaws.com"]}
    assert "Condition" not in statements["DockyardServicePull"]
    assert statements["DockyardServicePullCodebuild"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": [A1]},
        "ArnLike": {"aws:SourceArn": [PROJECT_ARN]},
    }
    assert statements["DockyardServicePullLambda"]["Condition"] == {"ArnLike": {"aws:SourceArn": [LAMBDA_ARN]}}
    assert statements["DockyardServicePullLambda"]["Action"] == list(models_policy_grants.PULL_ACTIONS)
    # The scoped statements are not public (a Service principal), and pass the document's own validation.
    models_policy_document.validate_document({"Statement": list(statements.values())})
    assert models_policy_grants.grant_warnings(grants) == [
        "services: sagemaker.amazonaws.com is granted without aws:SourceAccount or aws:SourceArn, so the service may "
        "pull on behalf of any AWS account (the confused deputy problem). Give {service: ..., source_accounts: "
        "[...], source_arns: [...]} to scope it"
    ]


def test_plain_service_strings_keep_their_statement():
    grants = models_policy_grants.validate_grants({"services": ["codebuild.amazonaws.com", "lambda.amazonaws.com"]})
    assert models_policy_grants.grants_to_statements(grants) == [
        {
            "Sid": "DockyardServicePull",
            "Effect": "Allow",
            "Principal": {"Service": ["codebuild.amazonaws.com", "lambda.amazonaws.com"]},
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }
    ]
    assert len(models_policy_grants.grant_warnings(grants)) == 1
    assert models_policy_grants.grant_warnings(models_policy_grants.validate_grants({"pull": [A1]})) == []


@pytest.mark.parametrize(
    "services, fragment",
    [
        ([{"service": "codebuild"}], "services[0].service: 'codebuild' is not an AWS service principal"),
        ([{"service": "codebuild.amazonaws.com", "source_account": [A1]}], "services[0].source_account: not a key"),
        ([{"service": "codebuild.amazonaws.com", "source_accounts": ["1234"]}], "services[0].source_accounts[0]"),
        ([{"service": "lambda.amazonaws.com", "source_arns": ["lambda:function:x"]}], "services[0].source_arns[0]"),
        ([{"service": "lambda.amazonaws.com", "source_arns": {"a": 1}}], "source_arns: give a list"),
        (
            ["lambda.amazonaws.com", {"service": "lambda.amazonaws.com", "source_accounts": [A1]}],
            "services[1]: lambda.amazonaws.com is also services[0]",
        ),
        ([["codebuild.amazonaws.com"]], "services[0]: give a service principal"),
    ],
)
def test_scoped_service_grants_refused(services, fragment):
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_grants.validate_grants({"services": services})
    assert exc.value.option == "services"
    assert fragment in exc.value.message


def test_service_sid():
    assert models_policy_grants.service_sid("codebuild.amazonaws.com") == "DockyardServicePullCodebuild"
    assert models_policy_grants.service_sid("eks-fargate-pods.amazonaws.com") == "DockyardServicePullEksFargatePods"
    assert models_policy_grants.is_grant_sid("DockyardServicePullLambda")
    assert not models_policy_grants.is_grant_sid("TeamB")


def test_removed_scoped_service_grant_is_removed_with_purge_statements_false():
    current = {
        "Version": "2012-10-17",
        "Statement": models_policy_grants.grants_to_statements(
            models_policy_grants.validate_grants(
                {"services": [{"service": "lambda.amazonaws.com", "source_arns": [LAMBDA_ARN]}]}
            )
        )
        + [{"Sid": "TeamB", "Effect": "Allow", "Principal": {"AWS": A2}, "Action": "ecr:BatchGetImage"}],
    }
    desired = models_policy_grants.validate_grants({"pull": [A1]})
    target = models_policy_request.desired_document(current, desired, purge_statements=False)
    assert [s["Sid"] for s in target["Statement"]] == ["TeamB", "DockyardPull"]
    absent = models_policy_request.desired_document(current, None, purge_statements=False, state="absent")
    assert [s["Sid"] for s in absent["Statement"]] == ["TeamB"]


def test_pull_through_cache_adds_batch_import_upstream_image():
    grants = models_policy_grants.validate_grants(
        {"pull": [A1], "push": [A2], "organizations": ["o-a1b2c3d4e5"], "pull_through_cache": True}
    )
    for item in models_policy_grants.grants_to_statements(grants):
        assert "ecr:BatchImportUpstreamImage" in item["Action"], item["Sid"]
        assert "ecr:CreateRepository" not in item["Action"]
    registry = models_policy_grants.grants_to_statements(
        grants, resource=models_policy_grants.registry_resource("aws", "eu-west-1", A2)
    )
    for item in registry:
        assert {"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"} <= set(item["Action"])
        assert item["Resource"] == f"arn:aws:ecr:eu-west-1:{A2}:repository/*"
    without = models_policy_grants.grants_to_statements(models_policy_grants.validate_grants({"pull": [A1]}))
    assert "ecr:BatchImportUpstreamImage" not in without[0]["Action"]


def test_pull_through_cache_alone_is_refused():
    with pytest.raises(common_errors.PolicyError) as exc:
        models_policy_grants.validate_grants({"pull_through_cache": True})
    assert exc.value.option == "pull_through_cache"
    assert models_policy_grants.validate_grants({"pull_through_cache": False}) is None


def test_registry_request_with_grants():
    request = models_policy_request.validate_params({"scope": "registry", "pull": [A1], "pull_through_cache": True})
    assert request["desired"]["pull"] == [A1] and request["desired"]["pull_through_cache"] is True
    assert models_policy_request.classify_desired(request["desired"])[0] == "grants"
