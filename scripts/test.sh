#!/bin/sh
# npm test: the type check and the lint run beside the suite, not before it. Its first seconds
# (server start, templates, the CLI build) leave a core idle, and the two take about 3 s of it
# (docs/performance.md §6). Either failing still fails npm test, once the suite is done.
# Arguments go to vitest (.ci/run passes its reporters).
# The typecheck and lint scripts' own commands, without an npm process each.
tsc --noEmit -p tsconfig.json &
typecheck=$!
biome check --error-on-warnings . &
lint=$!
status=0
vitest run "$@" || status=$?
wait "$typecheck" || { echo 'npm test: the type check failed (npm run typecheck)' >&2; status=1; }
wait "$lint" || { echo 'npm test: the lint or format check failed (npm run lint)' >&2; status=1; }
exit "$status"
