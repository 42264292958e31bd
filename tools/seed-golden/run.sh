#!/usr/bin/env bash
# Regenerates test/fixtures/golden/expected/*.json by running the seed itself over the fixture runs.
# Needs cargo and Debian's librust-serde-json-dev + librust-chrono-dev (apt-get install them);
# CI does not run this: the golden files are committed, and the test needs no Rust.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bash "$here/build.sh" >/dev/null
now_ms=$(node -e "console.log(require('$repo/test/fixtures/golden/now.json').now_ms)")
mkdir -p "$repo/test/fixtures/golden/expected"
for run in "$repo"/test/fixtures/golden/runs/*/; do
  name=$(basename "$run")
  for config in "$repo"/test/fixtures/golden/configs/*.json; do
    cname=$(basename "$config" .json)
    "$here/target/release/seed-golden" "$run" "$(cat "$config")" "$now_ms" > "$repo/test/fixtures/golden/expected/$name.$cname.json"
  done
done
echo "golden files written to test/fixtures/golden/expected"
