//! `memory.atomic.wait32/64` and `memory.atomic.notify`: threads blocked
//! on an address of a shared memory, and the wake-ups that release them.
//!
//! Waiters are queued per native address in one process-wide table (a
//! shared memory never moves, so its address names the same wasm cell
//! for every thread and store). The table's lock orders the two sides: a
//! waiter compares the cell with the expected value and enqueues itself
//! under the lock, and a notifier dequeues under it, so a notify that
//! follows the write a waiter is waiting for can never miss that waiter.
//! Waiters are woken in the order they arrived, as the proposal asks.

use once_cell::sync::Lazy;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What `memory.atomic.wait32/64` returns to wasm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum WaitResult {
    /// Woken by a notify.
    Ok = 0,
    /// The cell did not hold the expected value; nothing waited.
    NotEqual = 1,
    /// The timeout passed first.
    TimedOut = 2,
}

/// One blocked thread.
#[derive(Default)]
struct Waiter {
    /// Set by the notifier that dequeued this waiter.
    woken: Mutex<bool>,
    wake: Condvar,
}

/// The queues of blocked threads, by native address.
static QUEUES: Lazy<Mutex<HashMap<usize, VecDeque<Arc<Waiter>>>>> =
    Lazy::new(|| Mutex::new(HashMap::new()));

fn queues() -> MutexGuard<'static, HashMap<usize, VecDeque<Arc<Waiter>>>> {
    // A panic never happens while the lock is held (only queue operations
    // run under it), so a poisoned lock still holds consistent queues.
    QUEUES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Blocks until notified at `ptr`, unless `*ptr != expected`.
///
/// # Safety
/// `ptr` must be 4-byte aligned and point into a live shared memory.
pub(crate) unsafe fn wait32(ptr: *mut u32, expected: u32, timeout_ns: i64) -> WaitResult {
    // SAFETY: forwarded from the caller; all accesses to the cell by the
    // runtime are atomic (wasm's own plain accesses may race, as the
    // proposal allows).
    let cell = unsafe { AtomicU32::from_ptr(ptr) };
    wait(
        ptr as usize,
        || cell.load(Ordering::SeqCst) == expected,
        timeout_ns,
    )
}

/// As [`wait32`], for a 64-bit cell.
///
/// # Safety
/// `ptr` must be 8-byte aligned and point into a live shared memory.
pub(crate) unsafe fn wait64(ptr: *mut u64, expected: u64, timeout_ns: i64) -> WaitResult {
    // SAFETY: as in `wait32`.
    let cell = unsafe { AtomicU64::from_ptr(ptr) };
    wait(
        ptr as usize,
        || cell.load(Ordering::SeqCst) == expected,
        timeout_ns,
    )
}

fn wait(address: usize, holds_expected: impl FnOnce() -> bool, timeout_ns: i64) -> WaitResult {
    // A negative timeout waits forever; one too far to represent as an
    // `Instant` does too.
    let deadline = u64::try_from(timeout_ns)
        .ok()
        .and_then(|ns| Instant::now().checked_add(Duration::from_nanos(ns)));
    let waiter = Arc::new(Waiter::default());
    {
        let mut queues = queues();
        if !holds_expected() {
            return WaitResult::NotEqual;
        }
        queues
            .entry(address)
            .or_default()
            .push_back(Arc::clone(&waiter));
    }
    let mut woken = waiter.woken.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if *woken {
            return WaitResult::Ok;
        }
        match deadline {
            None => {
                woken = waiter.wake.wait(woken).unwrap_or_else(|p| p.into_inner());
            }
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                woken = waiter
                    .wake
                    .wait_timeout(woken, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
    }
    // Timed out: leave the queue, unless a notifier took us out first (it
    // set `woken` under the queue lock, so checking it under that lock
    // decides the race).
    drop(woken);
    let mut queues = queues();
    if *waiter.woken.lock().unwrap_or_else(|p| p.into_inner()) {
        return WaitResult::Ok;
    }
    if let Some(queue) = queues.get_mut(&address) {
        queue.retain(|w| !Arc::ptr_eq(w, &waiter));
        if queue.is_empty() {
            queues.remove(&address);
        }
    }
    WaitResult::TimedOut
}

/// Wakes up to `count` threads waiting at `address`, oldest first; the
/// number woken.
pub(crate) fn notify(address: usize, count: u32) -> u32 {
    let mut queues = queues();
    let Some(queue) = queues.get_mut(&address) else {
        return 0;
    };
    let mut woken = 0;
    while woken < count {
        let Some(waiter) = queue.pop_front() else {
            break;
        };
        *waiter.woken.lock().unwrap_or_else(|p| p.into_inner()) = true;
        waiter.wake.notify_one();
        woken += 1;
    }
    if queue.is_empty() {
        queues.remove(&address);
    }
    woken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_returns_not_equal_without_blocking() {
        let mut cell = 5u32;
        // SAFETY: a live, aligned local.
        let r = unsafe { wait32(&mut cell, 6, -1) };
        assert_eq!(r, WaitResult::NotEqual);
    }

    #[test]
    fn wait_times_out_after_its_timeout() {
        let mut cell = 0u64;
        let start = Instant::now();
        // SAFETY: a live, aligned local.
        let r = unsafe { wait64(&mut cell, 0, 30_000_000) };
        assert_eq!(r, WaitResult::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(
            notify(&mut cell as *mut u64 as usize, 1),
            0,
            "queue left empty"
        );
    }

    #[test]
    fn notify_wakes_waiters_and_counts_them() {
        let cell = Box::leak(Box::new(0u32)) as *mut u32 as usize;
        let threads: Vec<_> = (0..3)
            .map(|_| {
                // SAFETY: the cell is leaked, so it outlives the threads.
                std::thread::spawn(move || unsafe { wait32(cell as *mut u32, 0, -1) })
            })
            .collect();
        let mut woken = 0;
        while woken < 3 {
            woken += notify(cell, 2);
            std::thread::yield_now();
        }
        for t in threads {
            assert_eq!(t.join().unwrap(), WaitResult::Ok);
        }
        assert_eq!(woken, 3);
    }
}
