#!/usr/bin/env bash
# Runs every test of the project: installs what it needs (apt packages, NuGet restore), builds,
# then runs the unit tests and the integration tests (Ceph RGW, TUN devices, network namespaces).
# Must run as root. Prints a closing line "tests: N passed, N failed, N skipped".
#   ./test.sh                 everything
#   ./test.sh --unit          unit tests only (no root, no RGW)
#   ./test.sh -- ARGS         extra arguments for dotnet test, e.g. -- --filter "FullyQualifiedName~EndToEnd"
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

unit_only=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --unit) unit_only=1 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$unit_only" = 0 ]; then
  scripts/install-deps.sh
fi
dotnet build Hoshino.slnx -c Release --nologo -v quiet -clp:ErrorsOnly
if [ "$unit_only" = 0 ]; then
  # The shipped form: one NativeAOT binary (a test runs it with no .NET present).
  dotnet publish src/Hoshino -c Release -r linux-x64 -o artifacts/publish --nologo -v quiet -clp:ErrorsOnly
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
run() {
  local project=$1
  shift
  dotnet test "$project" -c Release --no-build --nologo --results-directory "$results/$(basename "$project")" \
    --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" "$@" || status=1
}
run tests/Hoshino.UnitTests "${extra[@]}"
if [ "$unit_only" = 0 ]; then
  run tests/Hoshino.IntegrationTests "${extra[@]}"
fi

# One closing line over all test projects, from the TRX counters.
passed=0 failed=0 skipped=0
for trx in "$results"/*/results.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
# The failures again, last, so the tail of a long log names them.
for trx in "$results"/*/results.trx; do
  [ -f "$trx" ] || continue
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | grep -o 'testName="[^"]*"' \
    | sed 's/^testName="\(.*\)"$/failed: \1/' || true
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$passed" = 0 ]; then
  echo "test.sh: no test ran" >&2
  status=1
fi
exit $status
