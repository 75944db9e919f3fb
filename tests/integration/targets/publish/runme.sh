#!/usr/bin/env bash
# Integration test of the publish role and playbooks/publish.yml (dockyard.ecr.publish) against the
# local emulator, with each engine for real: podman, buildah, and docker through podman's
# Docker-compatible API service. ansible-test passes the emulator's variables as "$@" (-e @FILE).
#
# Runs of the playbook on an inventory of the emulated accounts (first and again with every engine,
# all four with podman):
#   first       pushes the version and latest to every account; the image pulls with the written
#               credentials and matches
#   again       nothing changed: PLAY RECAP changed=0 on every host, no manifest or blob reaches a registry
#   release     more tags on the same commit (-e publish_extra_tags=v1.0.0,stable): only they are pushed,
#               no blob is uploaded again
#   new_commit  after a commit: the new version and latest are pushed, the old version stays
# then playbooks/features.yml (several images, a compose file, dirty contexts, manifest lists with
# podman and buildah), playbooks/failures.yml (immutable tags, no version outside git, a missing
# repository) and every publishing command of the documentation, exactly as written.
set -eux -o pipefail

ARGS=("$@")
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dockyard-publish.XXXXXX")"
SERVICE_PID=""
export BUILDAH_ISOLATION=chroot  # RUN steps need it where podman cannot start containers

cleanup() {
    if [ -f "$WORK/inventory.yml" ]; then
        ansible-playbook playbooks/cleanup.yml -i "$WORK/inventory.yml" "${ARGS[@]}" || true
    fi
    if [ -n "$SERVICE_PID" ]; then
        kill "$SERVICE_PID" || true
    fi
    if [ -f "$WORK/test_prefix" ]; then
        podman images --format '{{.ID}}' --filter "reference=localhost/$(cat "$WORK/test_prefix")-publish/*" |
            sort -u | xargs -r podman rmi -f >/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

ansible-playbook playbooks/setup.yml -e work_dir="$WORK" "${ARGS[@]}"

# The docker engine's Docker API: podman's compatible service on a socket of this test's own.
podman system service --time=0 "unix://$WORK/podman.sock" >"$WORK/podman-service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 100); do
    [ -S "$WORK/podman.sock" ] && break
    sleep 0.1
done
[ -S "$WORK/podman.sock" ]

publish() {
    local engine=$1 scenario=$2
    shift 2
    ansible-playbook playbooks/run.yml -i "$WORK/inventory.yml" -e engine="$engine" -e scenario="$scenario" \
        "${ARGS[@]}" "$@" | tee "$WORK/$engine-$scenario.log"
}

recap_unchanged() {
    # Every host of the run reports changed=0 (the checks after the publish run change nothing either).
    sed -n '/^PLAY RECAP/,$p' "$1" >"$1.recap"
    grep -q 'changed=0' "$1.recap"
    if grep -E 'changed=[1-9]' "$1.recap"; then
        echo "a rerun with nothing changed reported changes: $1" >&2
        exit 1
    fi
}

commit() {
    (
        cd "$WORK/app"
        echo "<p>$1</p>" >>site/index.html
        git -c user.name=dockyard -c user.email=dockyard@example.invalid commit -q -a -m "$1"
    )
}

# Each engine builds, pushes and reruns for real; the tag logic, which does not depend on the engine,
# is exercised once, with podman.
for engine in podman buildah docker; do
    publish "$engine" first
    publish "$engine" again
    recap_unchanged "$WORK/$engine-again.log"
    if [ "$engine" = podman ]; then
        # Release tags as an AWX survey's text answer gives them.
        publish "$engine" release -e publish_extra_tags=v1.0.0,stable
        commit "after $engine"
        publish "$engine" new_commit
    fi
done

# Several images, compose files, dirty contexts, manifest lists.
ansible-playbook playbooks/features.yml -i "$WORK/inventory.yml" "${ARGS[@]}"

ansible-playbook playbooks/failures.yml -i "$WORK/inventory.yml" "${ARGS[@]}"

# Every publishing command of the documentation, exactly as written (tests/docs/doc_commands.py finds
# them), in a checkout that holds what they name: the collection's inventories, playbooks and examples,
# .venv, the guide's inventory.yml (pointed at the emulator) and path/to (a copy of examples/hello).
ROOT=""
IFS=: read -r -a COLLECTION_PATHS <<<"${ANSIBLE_COLLECTIONS_PATH:-}"
for base in "${COLLECTION_PATHS[@]}"; do
    if [ -f "$base/ansible_collections/dockyard/ecr/galaxy.yml" ]; then
        ROOT="$base/ansible_collections/dockyard/ecr"
        break
    fi
done
[ -n "$ROOT" ]
DOCS="$WORK/docs"
mkdir -p "$DOCS/path/to"
cp -a "$ROOT/inventories" "$ROOT/playbooks" "$ROOT/examples" "$DOCS/"
cp -a "$ROOT/examples/hello/." "$DOCS/path/to/"
cp "$WORK/docs-inventory.yml" "$DOCS/inventory.yml"
# .venv/bin holds the commands the guide names, the ones this test runs with.
mkdir -p "$DOCS/.venv/bin"
ln -s "$(command -v ansible-playbook)" "$DOCS/.venv/bin/ansible-playbook"
ln -s "$(command -v python)" "$DOCS/.venv/bin/python"
(
    cd "$DOCS"
    git init -q .
    git add -A
    git -c user.name=dockyard -c user.email=dockyard@example.invalid commit -q -m "docs"
)
python "$ROOT/tests/docs/doc_commands.py" "$ROOT" >"$WORK/doc-commands.jsonl"
[ -s "$WORK/doc-commands.jsonl" ]
while IFS= read -r line; do
    where=$(python -c 'import json, sys; c = json.loads(sys.argv[1]); print(c["source"] + ":" + str(c["line"]))' "$line")
    command=$(python -c 'import json, sys; print(json.loads(sys.argv[1])["command"])' "$line")
    echo "=== $where: $command"
    (
        cd "$DOCS"
        # shellcheck disable=SC1091
        . "$WORK/docs-env.sh"
        bash -euo pipefail -c "$command"
    ) </dev/null | tee "$WORK/doc-command.log"
    grep -q 'failed=0' "$WORK/doc-command.log"
done <"$WORK/doc-commands.jsonl"
