#!/usr/bin/env bash
# Fetches the Kafka/Connect runtime jars and the Debezium plugin archives from Maven Central, once.
# Output: $STACK_CACHE (default <repo>/.cache/stack)/{lib,plugins}. Re-running is a no-op when complete.
# `fetch-jars.sh --check` only tells (exit 0) whether they are complete (scripts/bootstrap.mjs asks).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${STACK_CACHE:-$repo/.cache/stack}"
dbz="${DEBEZIUM_VERSION:-3.2.0.Final}"
stamp="$cache/.complete-kafka3.9.1-dbz$dbz"
[ -f "$stamp" ] && exit 0
[ "${1:-}" = --check ] && exit 1
mkdir -p "$cache/lib" "$cache/plugins" "$cache/dl"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$cache/lib" -DincludeScope=runtime
for c in debezium-connector-mariadb debezium-connector-jdbc; do
  mvn -q -B dependency:copy -Dartifact="io.debezium:$c:$dbz:tar.gz:plugin" -DoutputDirectory="$cache/dl"
  rm -rf "$cache/plugins/$c" && tar -xzf "$cache/dl/$c-$dbz-plugin.tar.gz" -C "$cache/plugins"
done
touch "$stamp"
