#!/usr/bin/env bash
# Integration test of the dockyard.ecr.aws_accounts inventory plugin against the local emulator
# (moto serves Organizations). ansible-test passes the emulator's variables as "$@" (-e @FILE).
#
#   setup     an organization with OUs and tagged accounts; the inventory file (with a cache)
#   list      the hosts, groups and host variables a play sees (verify.yml)
#   use       the discovered hosts as playbooks use them: assume each host's role, act in its account
#   cache     an account added later is not seen from the cache, and is after --flush-cache
#   bad       a bad option fails naming it
set -eux -o pipefail

ARGS=("$@")
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dockyard-accounts.XXXXXX")"
cleanup() {
    ansible-playbook playbooks/setup.yml -e work_dir="$WORK" -e state=absent "${ARGS[@]}" || true
    rm -rf "$WORK"
}
trap cleanup EXIT
export ANSIBLE_INVENTORY_UNPARSED_FAILED=true
INVENTORY="$WORK/org.aws_accounts.yml"

ansible-playbook playbooks/setup.yml -e work_dir="$WORK" "${ARGS[@]}"

ansible-inventory -i "$INVENTORY" --list >/dev/null
# Without ansible-test's extra vars (-e aws_region=... would hide the hosts' own aws_region).
ansible-playbook playbooks/verify.yml -i "$INVENTORY" -e work_dir="$WORK" -e phase=first

# The hosts as playbooks use them: each assumes its aws_role_arn and acts in aws_account_id.
ansible-playbook playbooks/use.yml -i "$INVENTORY" --limit "$(cat "$WORK/limit")" "${ARGS[@]}"

# A new account: the cached inventory does not see it, --flush-cache does.
ansible-playbook playbooks/setup.yml -e work_dir="$WORK" -e late=true "${ARGS[@]}"
ansible-playbook playbooks/verify.yml -i "$INVENTORY" -e work_dir="$WORK" -e phase=cached
ansible-playbook playbooks/verify.yml -i "$INVENTORY" --flush-cache -e work_dir="$WORK" -e phase=flushed

# A bad option is refused, naming it.
sed 's/^regions:.*/regions: [moon-1]/' "$INVENTORY" >"$WORK/bad.aws_accounts.yml"
if ansible-inventory -i "$WORK/bad.aws_accounts.yml" --list >"$WORK/bad.out" 2>&1; then
    echo "a bad region was accepted" >&2
    exit 1
fi
grep -q "regions: 'moon-1' is not an AWS region name" "$WORK/bad.out"
