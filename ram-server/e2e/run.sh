#!/usr/bin/env bash
# End-to-end suite: Alibaba Cloud's official Python SDKs against `ram serve` (debug build).
# Creates a virtualenv (under the cargo target dir, reused across runs), installs the pinned
# SDK packages from PyPI, builds `ram`, and runs test_sdk.py, which starts the server itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${RAM_E2E_VENV:-$target/e2e-venv}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

(cd "$root" && cargo build --quiet -p ram-cli)
export RAM_BIN="$target/debug/ram"

cd "$here"
exec "$venv/bin/python" -m unittest -v test_sdk
