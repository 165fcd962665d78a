#!/usr/bin/env bash
# Run the client test suite (test/client) under each Python the client supports besides the
# one running CI (3.11, which runs the whole suite).
#
#   .ci/client-pythons.sh [VERSION...]     default: 3.9.18 3.12.1 3.13.0
#
# Interpreters come from $(pyenv root)/versions/VERSION; a missing one is an error. Each gets a
# virtual environment in ~/.cache/clapboard/client-venv-VERSION-CHECKOUT with the client installed
# (editable, so one per checkout; with its runtime dependencies and the shell extra) and pytest;
# it is rebuilt when pyproject.toml, setup.py or this script change. The embedded server needs
# Python 3.11: the tests start each server in a child process of this script's "python"
# (CLAPBOARD_TEST_SERVER_PYTHON, see test/external_server.py). The suites run side by side.
# Exits non-zero if an interpreter is missing or a suite fails.
set -euo pipefail

cd "$(dirname "$0")/.."
versions=("$@")
if [[ ${#versions[@]} -eq 0 ]]; then
    versions=(3.9.18 3.12.1 3.13.0)
fi
pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
server_python=$(python -c 'import sys; print(sys.executable)')
cache="$HOME/.cache/clapboard"
checkout=$(pwd | sha256sum | cut -c1-8)
stamp=$(cat pyproject.toml setup.py "$0" | sha256sum | cut -c1-16)
mkdir -p "$cache"

status=0
ready=()
for version in "${versions[@]}"; do
    interpreter="$pyenv_root/versions/$version/bin/python3"
    if [[ ! -x "$interpreter" ]]; then
        echo "client-pythons: Python $version is missing ($interpreter)" >&2
        status=1
        continue
    fi
    venv="$cache/client-venv-$version-$checkout"
    if [[ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]]; then
        echo "client-pythons: building $venv"
        rm -rf "$venv"
        "$interpreter" -m venv "$venv"
        if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[shell]" "pytest>=7" \
            "imageio-ffmpeg>=0.5" "Pillow>=10" "aiosmtpd>=1.4" \
            >"$venv.log" 2>&1; then
            cat "$venv.log" >&2
            echo "client-pythons: installing into $venv failed" >&2
            status=1
            continue
        fi
        echo "$stamp" >"$venv/.stamp"
    fi
    ready+=("$version")
done

# The suites spend most of their time waiting on servers: run them side by side.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for version in "${ready[@]}"; do
    venv="$cache/client-venv-$version-$checkout"
    echo "client-pythons: test/client on $("$venv/bin/python" --version)"
    CLAPBOARD_TEST_SERVER_PYTHON="$server_python" \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not in_process" test/client </dev/null >"$logs/$version" 2>&1 &
    pids+=($!)
done
for index in "${!ready[@]}"; do
    version=${ready[$index]}
    leg_status=0
    wait "${pids[$index]}" || leg_status=$?
    echo "::: test/client on Python $version"
    cat "$logs/$version"
    if [[ $leg_status -ne 0 ]]; then
        echo "client-pythons: test/client failed on Python $version (status $leg_status)" >&2
        status=1
    fi
done
exit $status
