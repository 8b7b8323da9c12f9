#!/usr/bin/env bash
# Makes the Python venv that the third-party-reader tests use (.ci/venv): confluent-kafka with its
# Avro and Schema Registry extras, pyarrow and duckdb. Idempotent; safe to run by hand.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.ci/venv"
stamp="$venv/.pma-requirements"
req="$root/.ci/requirements.txt"
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$stamp"; then exit 0; fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
