//! `perf`'s symbol maps: `/tmp/perf-<pid>.map`, one `START SIZE name` line
//! (hex address and size) per function of JIT code, which `perf report`
//! reads to name samples outside any mapped file.

use super::{one_line, ProfilingAgent, PublishedFunction};
use std::fs::File;
use std::io::Write as _;
use std::sync::Mutex;

/// The process's map file, shared by every engine that reports to it (one
/// process has one map, whatever the number of engines).
static MAP: Mutex<Option<File>> = Mutex::new(None);

/// Appends the functions of every published region to the perf map.
pub struct PerfMapAgent {
    _private: (),
}

impl PerfMapAgent {
    /// The path `perf` reads for this process.
    pub fn path() -> std::path::PathBuf {
        format!("/tmp/perf-{}.map", std::process::id()).into()
    }

    /// Opens (creating it if needed) the process's map for appending.
    pub fn new() -> std::io::Result<PerfMapAgent> {
        let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
        if map.is_none() {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(Self::path())?;
            *map = Some(file);
        }
        Ok(PerfMapAgent { _private: () })
    }
}

impl ProfilingAgent for PerfMapAgent {
    fn code_published(&self, funcs: &[PublishedFunction<'_>]) {
        let mut lines = String::new();
        for f in funcs {
            lines.push_str(&format!(
                "{:x} {:x} {}\n",
                f.code.as_ptr() as usize,
                f.code.len(),
                one_line(f.name)
            ));
        }
        let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(file) = map.as_mut() {
            // One write per region with `O_APPEND`: regions published at
            // once by several threads do not interleave their lines. A
            // failed write loses symbols, not correctness.
            let _ = file.write_all(lines.as_bytes());
        }
    }
}
