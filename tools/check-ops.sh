#!/usr/bin/env bash
# Static and live checks of the operations files (CI runs this; so can you):
#   - Prometheus: `promtool check config`, `check rules`, `test rules` (alert unit tests);
#   - Docker: `docker compose config -q` (or docker-compose v1) on docker/compose.yaml
#     with docker/env.example, and hadolint on docker/Dockerfile, when those tools exist;
#     no Docker engine is needed (none runs on our machines: images are never built here);
#   - jest over tools/test: Grafana dashboard and alert rules name only real metrics, the
#     configuration docs are current, and `promtool check metrics` on the live /metrics of
#     a started ksn-proxy and security-center (needs the apps built: npx tsc -b ...).
# A missing tool is a skip with a message locally, and a failure in CI (CI=true) for promtool.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0
step() { printf '\n== %s\n' "$*"; }
skip() { printf 'SKIPPED: %s\n' "$*"; }
run() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; failed=1; fi; }

step 'Prometheus configuration, rules and rule unit tests (promtool)'
if command -v promtool >/dev/null 2>&1; then
  run promtool check config deploy/prometheus/prometheus.yml
  run promtool check rules deploy/prometheus/rules/*.rules.yml
  run promtool test rules deploy/prometheus/tests/*.test.yml
elif [ "${CI:-}" = "true" ]; then
  echo 'FAILED: promtool not found (Debian: apt-get install prometheus)'; failed=1
else
  skip 'promtool not found (Debian: apt-get install prometheus)'
fi

step 'Compose file (docker compose config, no engine needed)'
compose_args=(-f docker/compose.yaml --env-file docker/env.example config -q)
if docker compose version >/dev/null 2>&1; then
  run docker compose "${compose_args[@]}"
elif command -v docker-compose >/dev/null 2>&1; then
  run docker-compose "${compose_args[@]}"
else
  skip "neither 'docker compose' (the plugin) nor docker-compose is installed (Debian: apt-get install docker-compose)"
fi

step 'Dockerfile lint (hadolint)'
if command -v hadolint >/dev/null 2>&1; then
  run hadolint docker/Dockerfile
else
  skip 'hadolint not found (not packaged by Debian or npm); the Dockerfile is checked by tools/test/ops-files.spec.ts only'
fi

step 'Dashboards, rule metric names, config docs, live /metrics (jest tools/test)'
if [ "${KSN_OPS_JEST:-1}" = "1" ]; then
  run npx jest -c tools/test/jest.config.ts
else
  skip 'jest tools/test: part of npm test in this run (KSN_OPS_JEST=0)'
fi

if [ "$failed" -ne 0 ]; then
  printf '\ncheck-ops: FAILED\n'
  exit 1
fi
printf '\ncheck-ops: all checks passed\n'
