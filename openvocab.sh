#!/usr/bin/env bash
# Runs the openvocab CLI from source (Release build), installing native prerequisites first when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/prerequisites.sh"
build_log=$(dotnet build "$root/src/OpenVocab.Cli" -c Release -nologo 2>&1) || { echo "$build_log" >&2; exit 1; }
exec dotnet "$root/src/OpenVocab.Cli/bin/Release/net10.0/OpenVocab.Cli.dll" "$@"
