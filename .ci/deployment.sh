#!/usr/bin/env bash
# Run the commands of doc/server/deployment.rst, in order, as a studio would:
# clapboard server --workers on PostgreSQL with S3 storage (moto's server) behind nginx (TLS).
#
#   .ci/deployment.sh POSTGRES_ADMIN_URL
#
# Installs nginx with apt-get when missing, creates a throwaway database and bucket, sets the
# guide's variables to them, runs the guide's '.. deployment-step' blocks with bash -euo pipefail
# and cleans up whatever the steps left running.
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url=$1

if ! command -v nginx >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi

free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d)
database_url=$(python .ci/pg_database.py create "$admin_url")
moto_pid=""
cleanup() {
    status=$?
    if [[ -f "$work/home/nginx.pid" ]]; then kill "$(cat "$work/home/nginx.pid")" 2>/dev/null || true; fi
    if [[ -f "$work/home/server.pid" ]]; then kill "$(cat "$work/home/server.pid")" 2>/dev/null || true; fi
    if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
    python .ci/pg_database.py drop "$admin_url" "$database_url" || true
    if [[ $status -ne 0 && -d "$work/home/log" ]]; then tail -n 40 "$work"/home/log/*.log || true; fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT

moto_port=$(free_port)
python -m moto.server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_DEFAULT_REGION=us-east-1
python - <<'PY'
import time
import boto3
import botocore.exceptions
client = boto3.client("s3")
deadline = time.monotonic() + 60
while True:
    try:
        client.create_bucket(Bucket="deployment-guide")
        break
    except botocore.exceptions.EndpointConnectionError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
PY

export CLAPBOARD_DATABASE="$database_url"
export CLAPBOARD_STORAGE="s3://deployment-guide/components"
export CLAPBOARD_HOSTNAME=localhost
export CLAPBOARD_HTTPS_PORT=$(free_port)
export CLAPBOARD_PORT=$(free_port)
export CLAPBOARD_HOME="$work/home"
export CLAPBOARD_PACKAGE="$PWD"
python .ci/readme_command.py --file doc/server/deployment.rst --all deployment-step >"$work/steps.sh"
(cd "$work" && bash -euo pipefail "$work/steps.sh")
echo "deployment guide: every step ran"
