#!/usr/bin/env bash
# make setup: everything `make test` and `make demo` need on a fresh Debian machine.
# Re-running it is fast and changes nothing once the machine is set up.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
BUILD=$ROOT/.build
COLLECTIONS=$BUILD/collections
APT_PACKAGES="podman buildah skopeo docker-registry openssl busybox-static git shellcheck"

log() { printf 'setup: %s\n' "$*"; }

apt_packages() {
    local missing=()
    for pkg in $APT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing apt packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

python_deps() {
    [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
    local stamp=$VENV/.requirements.sha256
    local want
    want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing Python requirements into $VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
        echo "$want" >"$stamp"
    fi
}

# Where a collection is installed: the Galaxy path under .build first, then the venv's.
collection_dir() {
    local ns=$1 name=$2
    for base in "$COLLECTIONS/ansible_collections" "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections"; do
        if [ -f "$base/$ns/$name/MANIFEST.json" ]; then
            echo "$base/$ns/$name"
            return 0
        fi
    done
    return 1
}

collection_deps() {
    if collection_dir amazon aws >/dev/null && collection_dir community docker >/dev/null \
        && collection_dir containers podman >/dev/null; then
        return 0
    fi
    log "installing collection dependencies from Galaxy"
    if timeout 300 "$VENV/bin/ansible-galaxy" collection install -r "$ROOT/requirements.yml" \
        -p "$COLLECTIONS" >"$BUILD/galaxy.log" 2>&1; then
        return 0
    fi
    log "Galaxy is not reachable ($(awk NF "$BUILD/galaxy.log" | tail -n1)); using the ansible package from PyPI"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check 'ansible>=10,<13'
}

link_collection() {
    mkdir -p "$COLLECTIONS/ansible_collections/dockyard"
    local link=$COLLECTIONS/ansible_collections/dockyard/ecr
    if [ "$(readlink "$link" 2>/dev/null)" != "$ROOT" ]; then
        ln -sfn "$ROOT" "$link"
        log "linked $link -> $ROOT"
    fi
}

# ansible-test bootstraps pip in its venvs from a script it downloads; give it the offline stand-in.
ansible_test_bootstrap() {
    local ver
    ver=$("$VENV/bin/python" - <<'PY'
import re, ansible_test, pathlib
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
    local cache=$HOME/.ansible/test/cache/get_pip_${ver//./_}.py
    if ! cmp -s "$ROOT/tools/ansible-test/get_pip.py" "$cache"; then
        mkdir -p "$(dirname "$cache")"
        cp "$ROOT/tools/ansible-test/get_pip.py" "$cache"
        log "installed the offline pip bootstrap for ansible-test at $cache"
    fi
}

mkdir -p "$BUILD"
apt_packages
python_deps
collection_deps
link_collection
ansible_test_bootstrap
log "ready (venv $VENV, collections $COLLECTIONS)"
