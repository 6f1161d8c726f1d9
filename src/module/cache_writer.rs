//! Writing module cache entries off the compiling thread.
//!
//! Storing a freshly compiled module in the on-disk cache means encoding it
//! and creating a file (temporary file, write, rename, the folder's
//! occasional cleanup). Done by the caller, that cost lands on the first
//! compile of every module: 0.1 ms for a one-function module (a quarter of
//! its compile), 0.8 ms for 300 functions. So `Module::new` only queues the
//! entry (some 5-25 us), and
//! one background thread per process writes the entries in order.
//!
//! Nothing queued is lost:
//! - an engine waits, when its last handle is dropped, until every entry
//!   it queued is written ([`PendingWrites`]);
//! - at process exit (`exit`, or returning from `main`) every queued entry
//!   is written before the process goes, for hosts that never drop their
//!   engine.
//!
//! A queued entry holds only what encoding needs (the binary, the compiled
//! code and the engine's version stamp and fingerprint), never the engine,
//! so the engine's drop really is the point where its entries are done.
//! If the thread cannot be started, or in a child forked from a process
//! whose writer was running (the thread is not forked with it), entries
//! are written on the caller's thread as before.

use super::code::CompiledModule;
use super::serialize;
use crate::config::CacheConfig;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// One cache entry to write: everything `serialize::encode` needs.
pub(super) struct Entry {
    /// Where the entry goes (inside `cache.directory`).
    pub path: PathBuf,
    /// The cache the entry belongs to, for the folder's cleanup.
    pub cache: CacheConfig,
    /// The engine's `module_version` stamp.
    pub version: String,
    /// The engine's code-generation fingerprint.
    pub fingerprint: String,
    pub wasm: Arc<[u8]>,
    /// Which functions escape (`ModuleInfo::escaped_funcs`), stored so a
    /// load need not decode the bodies to find out.
    pub escaped: Vec<bool>,
    pub compiled: Arc<CompiledModule>,
}

impl Entry {
    /// Encodes and stores the entry, then tidies its folder. Best effort:
    /// a cache that cannot be written is not an error for anyone.
    fn write(self) {
        serialize::cache_store(&self);
    }
}

/// The entries an engine queued, so its drop can wait for them.
#[derive(Default)]
pub(crate) struct PendingWrites {
    /// The ticket of the engine's last queued entry (0: none).
    last: AtomicU64,
}

impl PendingWrites {
    /// Queues `entry` for the background writer (or writes it now, when
    /// there is none).
    pub(super) fn submit(&self, entry: Entry) {
        match writer() {
            Some(writer) => {
                let ticket = writer.submit(entry);
                self.last.fetch_max(ticket, Ordering::AcqRel);
            }
            None => entry.write(),
        }
    }

    /// Waits until every entry queued so far is written.
    pub(crate) fn flush(&self) {
        let last = self.last.load(Ordering::Acquire);
        if last == 0 {
            return;
        }
        if let Some(writer) = writer() {
            writer.wait_for(last);
        }
    }
}

impl Drop for PendingWrites {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The queue the background thread works through.
struct Writer {
    state: Mutex<Queue>,
    /// Signalled when an entry is queued.
    queued: Condvar,
    /// Signalled when an entry is written.
    written: Condvar,
    /// The process the thread runs in (a forked child has no such thread).
    pid: u32,
}

#[derive(Default)]
struct Queue {
    entries: VecDeque<(u64, Entry)>,
    /// The ticket of the last entry queued; tickets start at 1.
    last_queued: u64,
    /// The ticket of the last entry written (entries are written in
    /// ticket order).
    last_written: u64,
}

/// The process's writer, started on first use; `None` when it could not
/// be started, or in a forked child of the process that started it.
fn writer() -> Option<&'static Writer> {
    static WRITER: OnceLock<Option<&'static Writer>> = OnceLock::new();
    let writer = (*WRITER.get_or_init(Writer::start))?;
    (writer.pid == std::process::id()).then_some(writer)
}

impl Writer {
    fn start() -> Option<&'static Writer> {
        let writer: &'static Writer = Box::leak(Box::new(Writer {
            state: Mutex::new(Queue::default()),
            queued: Condvar::new(),
            written: Condvar::new(),
            pid: std::process::id(),
        }));
        std::thread::Builder::new()
            .name("wasm-runtime cache writer".to_string())
            .spawn(move || writer.run())
            .ok()?;
        // SAFETY: registering a plain `extern "C" fn` that never unwinds.
        unsafe { libc::atexit(flush_at_exit) };
        Some(writer)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Entries are written outside the lock, so a panic cannot leave the
        // queue half changed.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn submit(&self, entry: Entry) -> u64 {
        let mut queue = self.lock();
        queue.last_queued += 1;
        let ticket = queue.last_queued;
        queue.entries.push_back((ticket, entry));
        self.queued.notify_one();
        ticket
    }

    /// Blocks until the entry with `ticket` (and every one before it) is
    /// written.
    fn wait_for(&self, ticket: u64) {
        let mut queue = self.lock();
        while queue.last_written < ticket {
            queue = self.written.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The thread's loop: write entries as they come, for the whole life
    /// of the process.
    fn run(&self) {
        // SCHED_BATCH: the same share of the CPU, but waking up for an entry
        // does not preempt the thread that queued it (on a busy machine it
        // otherwise would, and the caller would wait for the write after
        // all). Best effort: without it the writer just runs as usual.
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: changes this thread's own policy; `param` is valid.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
        loop {
            let (ticket, entry) = {
                let mut queue = self.lock();
                loop {
                    match queue.entries.pop_front() {
                        Some(next) => break next,
                        None => queue = self.queued.wait(queue).unwrap_or_else(|p| p.into_inner()),
                    }
                }
            };
            // A panic while writing (a bug) loses that entry only.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry.write()));
            self.lock().last_written = ticket;
            self.written.notify_all();
        }
    }
}

/// Writes every queued entry before the process exits.
extern "C" fn flush_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        if let Some(writer) = writer() {
            let last = writer.lock().last_queued;
            writer.wait_for(last);
        }
    });
}
