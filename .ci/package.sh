#!/usr/bin/env bash
# Build and check the distribution the way a user gets it.
#
#   1. build the wheel and the sdist (python -m build) and check them with twine;
#   2. install the wheel (with the server extra) with "pip install --target" into an empty
#      folder, and run "python -m clapboard demo" from it, outside the source tree;
#   3. type-check the client with mypy (configuration in pyproject.toml).
# Exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "package: python -m build"
python -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
ls "$work/dist"
python -m twine check --strict "$work"/dist/*

wheel=$(ls "$work"/dist/clapboard-*.whl)
echo "package: pip install --target $work/target $(basename "$wheel")[server]"
python -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --target "$work/target" "$wheel[server]"
echo "package: python -m clapboard demo (from the --target folder)"
(cd "$work" && env -u PYTHONPATH PYTHONPATH="$work/target" python -m clapboard demo) | tee "$work/demo.log"
grep -q "^Totals: 2 sequences, 6 shots, 18 tasks" "$work/demo.log"

echo "package: mypy"
python -m mypy
