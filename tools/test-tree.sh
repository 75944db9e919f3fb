#!/usr/bin/env bash
# ansible-test must run from .../ansible_collections/NAMESPACE/NAME with the dependencies in the
# same collections root. Mirror the checkout (the files git tracks or would track) there and link
# the dependencies from wherever `make setup` installed them. Prints the collection's path.
# The version matrix (tools/version-matrix.py) makes trees of its own: TEST_TREE (the directory to hold
# ansible_collections), TEST_TREE_DEPENDENCIES (the collections to link) and TEST_TREE_SOURCES (the
# ansible_collections directory to link them from) move it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
BASE=${TEST_TREE:-$ROOT/.build/test}
TREE=$BASE/ansible_collections
DEST=$TREE/dockyard/ecr
PURELIB=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
SOURCES=${TEST_TREE_SOURCES:-"$ROOT/.build/collections/ansible_collections $PURELIB/ansible_collections"}

mkdir -p "$DEST"
cd "$ROOT"
# Copy what git knows about (tracked and untracked-but-not-ignored), drop what git no longer has.
git ls-files -z --cached --others --exclude-standard | sort -z -u >"$BASE/files"
( cd "$DEST" && find . -type f -not -path './tests/output/*' -printf '%P\0' | sort -z ) >"$BASE/present"
comm -z -13 "$BASE/files" "$BASE/present" | (cd "$DEST" && xargs -0 -r rm -f)
tar -cf - --null -T "$BASE/files" 2>/dev/null | (cd "$DEST" && tar -xf - --keep-directory-symlink)
find "$DEST" -mindepth 1 -type d -empty -not -path '*/tests/output*' -delete
# ansible-test lists files through git; give the mirror a repository of its own so it sees the same set.
if [ ! -d "$DEST/.git" ]; then
    git -C "$DEST" init -q
    printf 'tests/output/\n' >"$DEST/.git/info/exclude"
fi
git -C "$DEST" add -A >/dev/null 2>&1

for dep in ${TEST_TREE_DEPENDENCIES:-amazon/aws community/docker containers/podman}; do
    src=""
    for base in $SOURCES; do
        if [ -f "$base/$dep/MANIFEST.json" ]; then src=$base/$dep; break; fi
    done
    [ -n "$src" ] || { echo "test-tree: collection ${dep/\//.} is not installed; run make setup" >&2; exit 1; }
    mkdir -p "$TREE/${dep%/*}"
    ln -sfn "$src" "$TREE/$dep"
done
echo "$DEST"
