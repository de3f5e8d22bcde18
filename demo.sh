#!/usr/bin/env bash
# The local demo: builds hoshino and runs `hoshino demo` — two nodes in two network namespaces on
# this machine, joined only by a bucket (a temporary directory), ping each other and read each
# other's metrics through the tunnel. Needs root and the .NET 10 SDK. Leaves nothing behind.
#   ./demo.sh                                            the demo on a temporary directory
#   ./demo.sh --store s3://BUCKET --s3-endpoint URL      the same on a real bucket
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: run as root (the demo creates network namespaces and TUN interfaces)" >&2
  exit 1
fi
command -v ip >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null; }
dotnet build src/Hoshino -c Release --nologo -v quiet -clp:ErrorsOnly -o artifacts/demo >/dev/null
exec dotnet artifacts/demo/hoshino.dll demo "$@"
