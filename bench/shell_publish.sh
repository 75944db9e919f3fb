#!/usr/bin/env bash
# make bench: the book's shell workflow for publishing, the baseline publish.yml is measured against.
# For each account: assume its role, `aws ecr get-login-password | podman login`, `podman build`,
# `podman push` per tag (the registry skips layers it has; the manifest is pushed every time).
#
#   shell_publish.sh CONTEXT REPOSITORY VERSION AUTHFILE REGION ACCOUNT=HOST [ACCOUNT=HOST ...]
#
# AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY come from the environment. AWS names
# the `aws` command to use (default: aws).
set -euo pipefail
context=$1 repository=$2 version=$3 authfile=$4 region=$5
shift 5
aws=${AWS:-aws}
for target in "$@"; do
    account=${target%%=*} host=${target#*=}
    read -r key secret token < <(
        $aws sts assume-role --role-arn "arn:aws:iam::$account:role/bench" --role-session-name bench-shell \
            --region "$region" --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text
    )
    AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
        $aws ecr get-login-password --region "$region" |
        podman login --username AWS --password-stdin --authfile "$authfile" "$host" >/dev/null
    AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
        $aws ecr describe-repositories --region "$region" --repository-names "$repository" >/dev/null 2>&1 ||
        AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
            $aws ecr create-repository --region "$region" --repository-name "$repository" >/dev/null
    podman build -q --timestamp 0 -t "$host/$repository:$version" "$context" >/dev/null
    for tag in "$version" latest; do
        podman tag "$host/$repository:$version" "$host/$repository:$tag"
        podman push -q --authfile "$authfile" "$host/$repository:$tag"
    done
done
