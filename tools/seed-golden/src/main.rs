//! Runs upstream's `worker_lifecycle.rs` (the seed, copied to `seed/` and patched only to take
//! `now` from here) over a run directory and prints the seed's `worker_visibility` and
//! `reclaim_plan` payloads: the golden answers captain's acceptance test compares against.
//!
//! usage: seed-golden RUN_DIR RUNTIME_CONFIG_JSON NOW_MS [refresh]
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

/// Stand-ins for upstream modules the seed imports. The snapshot path never calls them; the
/// refresh path (mode `refresh`) calls the raw-events ones, implemented here after upstream's rules
/// (docs: raw events file from `worker_launch_evidence.raw_events_file`, else
/// `raw-events/<delegation_id>.jsonl`; a terminal event is a `turn.completed` / `turn.failed` line).
/// The completion snapshot is only needed for workers that ended, which the live-pid runs avoid.
mod parallel_fanout {
    use serde_json::Value;
    pub(crate) fn parallel_fanout_gate_payload(_task_card: &Value) -> Option<Value> {
        unimplemented!("not used by the visibility paths")
    }
}
mod worker_events {
    use serde_json::Value;
    use std::path::{Path, PathBuf};
    pub(crate) fn build_worker_completion_snapshot(_path: &Path, _completed_at: &str, _exit: Option<&Value>) -> (String, String, Value, Value) {
        unimplemented!("the live-pid runs hold no worker that ended")
    }
    pub(crate) fn extract_worker_terminal_event_from_raw_events(path: &Path) -> Option<Value> {
        let text = std::fs::read_to_string(path).ok()?;
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|value| matches!(value.get("type").and_then(Value::as_str), Some("turn.completed") | Some("turn.failed")))
            .last()
    }
    pub(crate) fn resolve_delegation_raw_events_file(run: &Path, delegation: &Value) -> Option<PathBuf> {
        if let Some(named) = delegation.get("worker_launch_evidence").and_then(|value| value.get("raw_events_file")).and_then(Value::as_str) {
            let path = PathBuf::from(named);
            return Some(if path.is_absolute() { path } else { run.join(path) });
        }
        let id = delegation.get("delegation_id").and_then(Value::as_str)?;
        Some(run.join("raw-events").join(format!("{id}.jsonl")))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let run_dir = PathBuf::from(&args[1]);
    let config: Value = serde_json::from_str(&args[2]).expect("runtime config JSON");
    NOW_MS.with(|now| now.set(args[3].parse().expect("now ms")));
    let run = read_json_document(&run_dir.join("run.json")).expect("run.json");
    let card = run.get("active_task_card_id").and_then(Value::as_str);
    // Mode `refresh` (4th argument): upstream's own status, which refreshes every running record
    // first (kill -0, raw events mtime) and writes it; else the snapshot, which reads only.
    let refresh = args.get(4).map(String::as_str) == Some("refresh");
    let visibility = if refresh {
        worker_lifecycle::create_worker_visibility_payload(&run_dir, card, &config).expect("visibility")
    } else {
        worker_lifecycle::create_worker_visibility_snapshot_payload(&run_dir, card, &config).expect("visibility")
    };
    let plan = worker_lifecycle::create_reclaim_plan_payload(&visibility, &config);
    println!("{}", serde_json::to_string_pretty(&json!({ "worker_visibility": visibility, "reclaim_plan": plan })).unwrap());
}
