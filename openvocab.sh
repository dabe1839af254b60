#!/usr/bin/env bash
# Runs the openvocab CLI from source (Release build), installing native prerequisites first when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/prerequisites.sh"
dotnet build "$root/src/OpenVocab.Cli" -c Release -v quiet -nologo -clp:ErrorsOnly >&2
exec dotnet "$root/src/OpenVocab.Cli/bin/Release/net10.0/OpenVocab.Cli.dll" "$@"
