#!/usr/bin/env bash
# Builds the seed harness (target/release/seed-golden): checks the seed copy, patches its clock,
# compiles it with Debian's crates offline. Needs cargo, librust-serde-json-dev, librust-chrono-dev.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seed_sha256=c5fda29068f6a1a4b8b0da5fc471213341a5837e76afeb0025a010a930ac5c43
echo "$seed_sha256  $here/seed/worker_lifecycle.rs" | sha256sum --check --quiet - || { echo "seed/worker_lifecycle.rs is not the seed any more" >&2; exit 1; }
mkdir -p "$here/target/patched"
sed 's/let now_ms = Utc::now().timestamp_millis();/let now_ms = crate::fixed_now_ms();/' "$here/seed/worker_lifecycle.rs" > "$here/target/patched/worker_lifecycle.rs"
changed=$(diff "$here/seed/worker_lifecycle.rs" "$here/target/patched/worker_lifecycle.rs" | grep -c '^>' || true)
[ "$changed" = "1" ] || { echo "expected exactly one patched line, got $changed" >&2; exit 1; }
(cd "$here" && cargo build --release --quiet)
echo "$here/target/release/seed-golden"
