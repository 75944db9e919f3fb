#!/usr/bin/env bash
# make galaxy-import: build the collection tarball and run galaxy-importer on it, as Galaxy does on
# upload; fail on any error or warning it logs. galaxy-importer lives in a venv of its own
# (.build/galaxy-importer/venv, requirements-galaxy-importer.txt) whose ansible-core and ansible-lint
# come first on PATH: the importer runs `ansible-doc` and `ansible-lint` from PATH and skips them
# (with a mere warning) when they are missing.
#
# The importer points ANSIBLE_COLLECTIONS_PATH at the extracted tarball alone. ansible-core still
# finds collections installed in its Python's site-packages (COLLECTIONS_SCAN_SYS_PATH), which is
# where the `ansible` package puts them, so the collections galaxy.yml depends on are linked there:
# ansible-doc then resolves the amazon.aws doc fragments our modules extend, and ansible-lint the
# community.docker and containers.podman modules our roles call.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
WORK=$ROOT/.build/galaxy-importer
GVENV=$WORK/venv
PYTHON=${PYTHON:-python3}

log() { printf 'galaxy-import: %s\n' "$*"; }

mkdir -p "$WORK"
[ -x "$GVENV/bin/python" ] || { log "creating $GVENV"; "$PYTHON" -m venv "$GVENV"; }
want=$(sha256sum "$ROOT/requirements-galaxy-importer.txt" | cut -d' ' -f1)
if [ "$(cat "$GVENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    log "installing galaxy-importer into $GVENV"
    "$GVENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-galaxy-importer.txt"
    echo "$want" >"$GVENV/.requirements.sha256"
fi

# The dependency collections, from wherever `make setup` installed them.
purelib() { "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
GPURELIB=$(purelib "$GVENV")
for dep in amazon/aws community/docker containers/podman; do
    src=""
    for base in "$ROOT/.build/collections/ansible_collections" "$(purelib "$VENV")/ansible_collections"; do
        if [ -f "$base/$dep/MANIFEST.json" ]; then src=$base/$dep; break; fi
    done
    [ -n "$src" ] || { log "collection ${dep/\//.} is not installed; run make setup" >&2; exit 1; }
    mkdir -p "$GPURELIB/ansible_collections/${dep%/*}"
    ln -sfn "$src" "$GPURELIB/ansible_collections/$dep"
done

rm -rf "$WORK/dist" && mkdir -p "$WORK/dist"
"$VENV/bin/ansible-galaxy" collection build --output-path "$WORK/dist" "$ROOT" >/dev/null
tarball=$(ls "$WORK/dist"/dockyard-ecr-*.tar.gz)

# A clean environment: no collections path of the checkout, the importer's venv first on PATH.
cd "$WORK"
env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH -u ANSIBLE_CONFIG \
    PATH="$GVENV/bin:/usr/local/bin:/usr/bin:/bin" \
    GALAXY_IMPORTER_CONFIG="$ROOT/tests/packaging/galaxy-importer.cfg" \
    ANSIBLE_NOCOLOR=1 \
    "$GVENV/bin/python" -m galaxy_importer.main "$tarball" >"$WORK/import.log" 2>&1 || {
    cat "$WORK/import.log"
    log "galaxy-importer failed on $(basename "$tarball")"
    exit 1
}
problems=$(grep -E '^(WARNING|ERROR|CRITICAL)' "$WORK/import.log" || true)
if [ -n "$problems" ]; then
    printf '%s\n' "$problems"
    log "$(printf '%s\n' "$problems" | grep -c '^ERROR\|^CRITICAL' || true) error(s), $(printf '%s\n' "$problems" | grep -c '^WARNING' || true) warning(s) in the import of $(basename "$tarball") (log: $WORK/import.log)"
    exit 1
fi
docs=$("$GVENV/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for c in d["docs_blob"]["contents"] if c.get("doc_strings")))' "$WORK/importer_result.json")
log "$(basename "$tarball"): 0 errors, 0 warnings; $docs plugins with documentation"
