#!/usr/bin/env bash
# Builds everything and runs all tests (unit, golden-file and end-to-end on the shipped ShapesWorld pack).
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/prerequisites.sh"
dotnet test "$root/OpenVocab.sln" -c Release "$@"
