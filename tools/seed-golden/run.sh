#!/usr/bin/env bash
# Regenerates test/fixtures/golden/expected/*.json by running the seed itself over the fixture runs.
# Needs cargo and Debian's librust-serde-json-dev + librust-chrono-dev (apt-get install them);
# CI does not run this: the golden files are committed, and the test needs no Rust.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# The seed copy must be upstream's file byte for byte (sha256 of seed/000_1e3dcf4caf7ccb55.txt).
seed_sha256=c5fda29068f6a1a4b8b0da5fc471213341a5837e76afeb0025a010a930ac5c43
echo "$seed_sha256  $here/seed/worker_lifecycle.rs" | sha256sum --check --quiet - || { echo "seed/worker_lifecycle.rs is not the seed any more" >&2; exit 1; }
mkdir -p "$here/target/patched"
# The one change to the seed: its clock. Everything else is byte-identical (checked below).
sed 's/let now_ms = Utc::now().timestamp_millis();/let now_ms = crate::fixed_now_ms();/' "$here/seed/worker_lifecycle.rs" > "$here/target/patched/worker_lifecycle.rs"
changed=$(diff "$here/seed/worker_lifecycle.rs" "$here/target/patched/worker_lifecycle.rs" | grep -c '^>' || true)
[ "$changed" = "1" ] || { echo "expected exactly one patched line, got $changed" >&2; exit 1; }
(cd "$here" && cargo build --release --quiet)
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
