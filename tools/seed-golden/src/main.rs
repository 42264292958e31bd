//! Runs upstream's `worker_lifecycle.rs` (the seed, copied to `seed/` and patched only to take
//! `now` from here) over a run directory and prints the seed's `worker_visibility` and
//! `reclaim_plan` payloads: the golden answers captain's acceptance test compares against.
//!
//! usage: seed-golden RUN_DIR RUNTIME_CONFIG_JSON NOW_MS
#![allow(dead_code)]

use serde_json::{json, Value};
use std::cell::Cell;
use std::io;
use std::path::{Path, PathBuf};

#[path = "../target/patched/worker_lifecycle.rs"]
mod worker_lifecycle;

thread_local! {
    static NOW_MS: Cell<i64> = Cell::new(0);
}

/// The fixed clock the patched seed reads instead of `Utc::now()`.
pub(crate) fn fixed_now_ms() -> i64 {
    NOW_MS.with(|now| now.get())
}

pub(crate) fn read_json_document(path: &Path) -> io::Result<Value> {
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

pub(crate) fn write_json_document(path: &Path, value: &Value) -> io::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap_or_default())
}

/// Stubs of upstream modules the seed imports. The snapshot path used here never calls them
/// (they serve the heartbeat refresh and the fan-in fallback), so they only need to compile.
mod parallel_fanout {
    use serde_json::Value;
    pub(crate) fn parallel_fanout_gate_payload(_task_card: &Value) -> Option<Value> {
        unimplemented!("not used by the snapshot visibility path")
    }
}
mod worker_events {
    use serde_json::Value;
    use std::path::{Path, PathBuf};
    pub(crate) fn build_worker_completion_snapshot(_path: &Path, _completed_at: &str, _exit: Option<&Value>) -> (String, String, Value, Value) {
        unimplemented!("not used by the snapshot visibility path")
    }
    pub(crate) fn extract_worker_terminal_event_from_raw_events(_path: &Path) -> Option<Value> {
        unimplemented!("not used by the snapshot visibility path")
    }
    pub(crate) fn resolve_delegation_raw_events_file(_run: &Path, _delegation: &Value) -> Option<PathBuf> {
        unimplemented!("not used by the snapshot visibility path")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let run_dir = PathBuf::from(&args[1]);
    let config: Value = serde_json::from_str(&args[2]).expect("runtime config JSON");
    NOW_MS.with(|now| now.set(args[3].parse().expect("now ms")));
    let run = read_json_document(&run_dir.join("run.json")).expect("run.json");
    let card = run.get("active_task_card_id").and_then(Value::as_str);
    let visibility = worker_lifecycle::create_worker_visibility_snapshot_payload(&run_dir, card, &config).expect("visibility");
    let plan = worker_lifecycle::create_reclaim_plan_payload(&visibility, &config);
    println!("{}", serde_json::to_string_pretty(&json!({ "worker_visibility": visibility, "reclaim_plan": plan })).unwrap());
}
