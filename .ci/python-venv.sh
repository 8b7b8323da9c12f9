#!/usr/bin/env bash
# Makes the Python venv that the third-party-reader tests use (.ci/venv): confluent-kafka with its
# Avro and Schema Registry extras, pyarrow, duckdb, polars and polymarket-apis. polymarket-apis needs
# Python 3.12 or newer (every release on PyPI says so and uses 3.12 syntax), so the venv is made with
# the first Python 3.12+ found (python3.12, python3.13, python3 on PATH, then pyenv's, oldest
# first), not necessarily the machine's python3.
# Idempotent; safe to run by hand.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.ci/venv"
stamp="$venv/.pma-requirements"
req="$root/.ci/requirements.txt"

new_enough() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

python=""
for candidate in python3.12 python3.13 python3 $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V); do
  if command -v "$candidate" > /dev/null && new_enough "$candidate"; then python="$candidate"; break; fi
done
if [ -z "$python" ]; then echo "python-venv.sh: no Python 3.12 or newer found (polymarket-apis needs one)" >&2; exit 1; fi

if [ -x "$venv/bin/python" ] && new_enough "$venv/bin/python" && cmp -s "$req" "$stamp"; then exit 0; fi
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
