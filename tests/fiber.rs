//! The fiber primitive (`runtime::fiber`): values both ways, many fibers
//! at once and what they cost, panics, deep recursion, drops, moving a
//! fiber between threads, custom stacks, what a guard-page hit or the drop
//! of a suspended fiber does (in child processes), backtraces and stack
//! alignment on a fiber, a round-trip microbenchmark (printed, not
//! asserted), and all of it again under valgrind's memcheck.

mod support;
use support::describe;

use std::cell::RefCell;
use std::os::unix::process::ExitStatusExt;
use std::panic::{self, AssertUnwindSafe};
use std::process::{Command, Output};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use wasm_runtime::runtime::fiber::{
    running_on_valgrind, Fiber, FiberStack, SendFiber, Suspend, GUARD_SIZE,
};

/// Set in the inner run under valgrind (which uses fewer fibers).
const UNDER_VALGRIND: &str = "WASM_RUNTIME_FIBER_UNDER_VALGRIND";
/// Set in a child process: what it should do to itself.
const CHILD_MODE: &str = "WASM_RUNTIME_FIBER_CHILD";

const MIB: usize = 1024 * 1024;

/// Whether this process runs under valgrind (the inner run of
/// `fiber_tests_run_clean_under_valgrind`, or by hand), which is slow:
/// the tests then use fewer fibers and rounds.
fn under_valgrind_run() -> bool {
    std::env::var_os(UNDER_VALGRIND).is_some() || running_on_valgrind()
}

/// A small deterministic generator (xorshift64*), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Counts its drops in a shared counter.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn resume_and_suspend_pass_values_both_ways() {
    let stack = FiberStack::new(256 * 1024).unwrap();
    let mut fiber = Fiber::new(
        stack,
        |first: String, s: &Suspend<String, usize, Vec<String>>| {
            let mut seen = vec![first];
            loop {
                let total: usize = seen.iter().map(String::len).sum();
                let next = s.suspend(total);
                if next == "stop" {
                    return seen;
                }
                seen.push(next);
            }
        },
    );
    assert!(!fiber.done() && !fiber.is_suspended());
    assert_eq!(fiber.resume("a".to_string()), Err(1));
    assert!(fiber.is_suspended());
    assert_eq!(fiber.resume("bcd".to_string()), Err(4));
    assert_eq!(fiber.resume("efghij".to_string()), Err(10));
    assert_eq!(
        fiber.resume("stop".to_string()),
        Ok(vec![
            "a".to_string(),
            "bcd".to_string(),
            "efghij".to_string()
        ])
    );
    assert!(fiber.done() && !fiber.is_suspended());
    // A finished fiber cannot be resumed: that is a panic, not UB.
    let again = panic::catch_unwind(AssertUnwindSafe(|| fiber.resume(String::new())));
    let message = again.unwrap_err();
    assert!(message
        .downcast_ref::<&str>()
        .is_some_and(|m| m.contains("already finished")));
}

#[test]
fn fiber_stack_can_be_reused_after_each_fiber() {
    let mut stack = FiberStack::new(64 * 1024).unwrap();
    let range = stack.range();
    for i in 0..5u32 {
        let mut fiber = Fiber::new(stack, move |x: u32, s: &Suspend<u32, u32, u32>| {
            s.suspend(x + i) * 10
        });
        assert_eq!(fiber.resume(1), Err(1 + i));
        assert_eq!(fiber.resume(i), Ok(i * 10));
        stack = fiber.into_stack().unwrap();
        assert_eq!(stack.range(), range);
    }
    // A suspended fiber keeps its stack.
    let mut fiber = Fiber::new(stack, |(), s: &Suspend<(), (), ()>| s.suspend(()));
    assert_eq!(fiber.resume(()), Err(()));
    let mut fiber = fiber.into_stack().unwrap_err();
    assert_eq!(fiber.resume(()), Ok(()));
    assert!(fiber.into_stack().is_ok());
}

/// Resident bytes of `range` (page aligned), by `mincore`.
fn resident_bytes(range: std::ops::Range<usize>, buf: &mut Vec<u8>) -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let pages = range.len().div_ceil(page);
    buf.clear();
    buf.resize(pages, 0);
    // SAFETY: the range is a live mapping of ours (a fiber stack), page
    // aligned; `buf` has one byte per page.
    let rc = unsafe { libc::mincore(range.start as *mut _, range.len(), buf.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    buf.iter().filter(|&&b| b & 1 != 0).count() * page
}

/// A field of /proc/self/status in KiB (`VmRSS`, `VmPTE`).
fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

#[test]
fn ten_thousand_suspended_fibers_resumed_in_random_order() {
    let count = if under_valgrind_run() { 1_000 } else { 10_000 };
    let stack_size = 2 * MIB;
    let rss_before = status_kib("VmRSS");
    let pte_before = status_kib("VmPTE");

    // Fiber i mixes its index into the first value, then suspends
    // 1 + i % 4 times, folding each resume value in.
    let rounds = |i: usize| 1 + i % 4;
    let mut fibers = Vec::with_capacity(count);
    for i in 0..count {
        let stack = FiberStack::new(stack_size).unwrap();
        let n = rounds(i);
        fibers.push(Some(Fiber::new(
            stack,
            move |first: u64, s: &Suspend<u64, u64, u64>| {
                let mut acc = first ^ i as u64;
                for _ in 0..n {
                    let v = s.suspend(acc);
                    acc = acc.wrapping_mul(31).wrapping_add(v);
                }
                acc
            },
        )));
    }
    // What the test expects of each: (accumulator, rounds left).
    let mut model: Vec<Option<(u64, usize)>> = vec![None; count];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut step =
        |i: usize, fiber: &mut Fiber<'_, u64, u64, u64>, model: &mut Option<(u64, usize)>| {
            let v = rng.next();
            let got = fiber.resume(v);
            let (acc, left) = match *model {
                None => (v ^ i as u64, rounds(i)),
                Some((acc, left)) => (acc.wrapping_mul(31).wrapping_add(v), left - 1),
            };
            *model = Some((acc, left));
            if left == 0 {
                assert_eq!(got, Ok(acc), "fiber {i} returns its accumulator");
            } else {
                assert_eq!(got, Err(acc), "fiber {i} yields its accumulator");
            }
            left == 0
        };

    // Start every fiber, in random order: all are suspended afterwards.
    let mut order: Vec<usize> = (0..count).collect();
    let mut shuffle = Rng(7);
    for k in (1..count).rev() {
        order.swap(k, shuffle.below(k + 1));
    }
    for &i in &order {
        let fiber = fibers[i].as_mut().unwrap();
        assert!(!step(i, fiber, &mut model[i]));
        assert!(fiber.is_suspended());
    }

    // What they cost while all are suspended.
    let mut buf = Vec::new();
    let resident: usize = fibers
        .iter()
        .map(|f| resident_bytes(f.as_ref().unwrap().stack().range(), &mut buf))
        .sum();
    let rss = status_kib("VmRSS").saturating_sub(rss_before);
    let pte = status_kib("VmPTE").saturating_sub(pte_before);
    let per_fiber = resident as f64 / count as f64;
    println!(
        "{count} suspended fibers with {} MiB stacks: resident stack pages {:.1} KiB per fiber \
         (mincore); process VmRSS +{:.1} KiB and page tables (VmPTE) +{:.1} KiB per fiber \
         (other tests of this binary may run meanwhile)",
        stack_size / MIB,
        per_fiber / 1024.0,
        rss as f64 / count as f64,
        pte as f64 / count as f64,
    );
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    assert!(
        per_fiber <= 4.0 * page,
        "a suspended fiber keeps {per_fiber} bytes of its stack resident"
    );

    // Resume at random until every one is done.
    let mut live: Vec<usize> = (0..count).collect();
    let mut pick = Rng(42);
    while !live.is_empty() {
        let k = pick.below(live.len());
        let i = live[k];
        let fiber = fibers[i].as_mut().unwrap();
        if step(i, fiber, &mut model[i]) {
            assert!(fiber.done());
            fibers[i] = None;
            live.swap_remove(k);
        }
    }
    assert!(model.iter().all(|m| m.is_some_and(|(_, left)| left == 0)));
}

#[test]
fn a_panic_on_the_fiber_reaches_the_resumer() {
    let drops = Arc::new(AtomicUsize::new(0));
    let captured = Counted(drops.clone());
    let stack = FiberStack::new(256 * 1024).unwrap();
    let mut fiber = Fiber::new(stack, move |n: u32, s: &Suspend<u32, u32, ()>| {
        // `captured` is the closure's (moved in); `local` a frame's.
        let local = Counted(captured.0.clone());
        let m = s.suspend(n);
        drop(local);
        panic!("fiber panicked with {m}");
    });
    assert_eq!(fiber.resume(3), Err(3));
    let caught = panic::catch_unwind(AssertUnwindSafe(|| fiber.resume(9)));
    let payload = caught.expect_err("the panic is re-raised by resume");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("fiber panicked with 9")
    );
    assert!(fiber.done());
    // Unwinding on the fiber dropped the closure and its local.
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    // The stack is fine for another fiber.
    let stack = fiber.into_stack().unwrap();
    let mut next: Fiber<'_, (), (), u8> = Fiber::new(stack, |(), _| 1);
    assert_eq!(next.resume(()), Ok(1));
}

#[test]
fn a_panic_at_the_first_resume_reaches_the_resumer() {
    let stack = FiberStack::new(64 * 1024).unwrap();
    let mut fiber: Fiber<'_, (), (), ()> = Fiber::new(stack, |(), _| panic!("at once"));
    let payload = panic::catch_unwind(AssertUnwindSafe(|| fiber.resume(()))).unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"at once"));
    assert!(fiber.done());
}

/// Recurses `depth` times with a 1 KiB array in each frame, suspends at
/// the bottom (yielding the stack pointer there), and sums on the way
/// back.
#[inline(never)]
fn recurse(depth: usize, s: &Suspend<(), usize, usize>) -> usize {
    let mut frame = [0u8; 1024];
    frame[depth % 1024] = depth as u8;
    let frame = std::hint::black_box(frame);
    let below = if depth == 0 {
        s.suspend(stack_pointer());
        0
    } else {
        recurse(depth - 1, s)
    };
    below + frame[depth % 1024] as usize
}

#[test]
fn deep_recursion_within_the_stack_size_works() {
    let stack = FiberStack::new(4 * MIB).unwrap();
    let top = stack.top() as usize;
    let len = stack.len();
    // Measure one frame's size with a shallow run, then go as deep as
    // three quarters of the stack allow.
    let mut probe = Fiber::new(stack, |(), s: &Suspend<(), usize, usize>| recurse(16, s));
    let shallow = top - probe.resume(()).unwrap_err();
    probe.resume(()).unwrap();
    let stack = probe.into_stack().unwrap();
    let depth = len * 3 / 4 / (shallow / 17);
    let mut fiber = Fiber::new(stack, move |(), s: &Suspend<(), usize, usize>| {
        recurse(depth, s)
    });
    let sp = fiber.resume(()).unwrap_err();
    let used = top - sp;
    println!(
        "recursion {depth} deep on a {} MiB fiber stack: {} KiB used, {} bytes a frame",
        len / MIB,
        used / 1024,
        used / (depth + 1)
    );
    assert!(used < len && used > len / 2, "used {used} of {len} bytes");
    let expected: usize = (0..=depth).map(|d| (d as u8) as usize).sum();
    assert_eq!(fiber.resume(()), Ok(expected));
}

#[test]
fn captured_values_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));

    // Run to completion: the captures drop when the closure finishes.
    let values: Vec<Counted> = (0..5).map(|_| Counted(drops.clone())).collect();
    let name = String::from("a captured string");
    let stack = FiberStack::new(64 * 1024).unwrap();
    let mut fiber = Fiber::new(stack, move |(), s: &Suspend<(), usize, String>| {
        s.suspend(values.len());
        format!("{name} and {} values", values.len())
    });
    assert_eq!(fiber.resume(()), Err(5));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "nothing dropped while suspended"
    );
    assert_eq!(
        fiber.resume(()),
        Ok("a captured string and 5 values".to_string())
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        5,
        "dropped when the closure returned"
    );
    drop(fiber);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        5,
        "and not again with the fiber"
    );

    // Never started: dropping the fiber drops the closure.
    let values: Vec<Counted> = (0..3).map(|_| Counted(drops.clone())).collect();
    let stack = FiberStack::new(64 * 1024).unwrap();
    let fiber: Fiber<'_, (), (), usize> = Fiber::new(stack, move |(), _| values.len());
    drop(fiber);
    assert_eq!(drops.load(Ordering::SeqCst), 8);

    // Never started, stack taken back: the closure is dropped too.
    let one = Counted(drops.clone());
    let stack = FiberStack::new(64 * 1024).unwrap();
    let fiber: Fiber<'_, (), (), ()> = Fiber::new(stack, move |(), _| drop(one));
    let _stack = fiber.into_stack().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 9);

    // Values in transit belong to whoever receives them.
    let stack = FiberStack::new(64 * 1024).unwrap();
    let d = drops.clone();
    let mut fiber = Fiber::new(
        stack,
        move |first: Counted, s: &Suspend<Counted, Counted, Counted>| {
            drop(first);
            let got = s.suspend(Counted(d.clone()));
            drop(got);
            Counted(d)
        },
    );
    let yielded = fiber.resume(Counted(drops.clone())).err().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        10,
        "the first value was dropped on the fiber"
    );
    drop(yielded);
    assert_eq!(drops.load(Ordering::SeqCst), 11);
    let returned = fiber.resume(Counted(drops.clone())).ok().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        12,
        "the resume value was dropped on the fiber"
    );
    drop(returned);
    assert_eq!(drops.load(Ordering::SeqCst), 13);
}

#[test]
fn a_fiber_may_borrow_from_its_creator() {
    let log = RefCell::new(Vec::new());
    let shared = Rc::new(7);
    {
        let stack = FiberStack::new(64 * 1024).unwrap();
        let mut fiber = Fiber::new(stack, |x: i32, s: &Suspend<i32, (), i32>| {
            log.borrow_mut().push(x);
            let y = s.suspend(());
            log.borrow_mut().push(y);
            x + y + *shared
        });
        assert_eq!(fiber.resume(1), Err(()));
        log.borrow_mut().push(100);
        assert_eq!(fiber.resume(2), Ok(10));
    }
    assert_eq!(*log.borrow(), [1, 100, 2]);
}

#[inline(never)]
fn thread_id() -> std::thread::ThreadId {
    std::thread::current().id()
}

#[test]
fn a_send_fiber_is_resumed_on_another_thread() {
    let stack = FiberStack::new(256 * 1024).unwrap();
    // SAFETY: the closure keeps only `Send` values (thread ids, integers)
    // across its suspensions and reads the thread through a helper that
    // does not suspend.
    let mut fiber = unsafe {
        SendFiber::new(
            stack,
            |x: u64, s: &Suspend<u64, std::thread::ThreadId, Vec<std::thread::ThreadId>>| {
                let mut threads = vec![thread_id()];
                let mut total = x;
                for _ in 0..3 {
                    total += s.suspend(thread_id());
                    threads.push(thread_id());
                }
                assert_eq!(total, 1 + 10 + 20 + 30);
                threads
            },
        )
    };
    let here = std::thread::current().id();
    assert_eq!(fiber.resume(1), Err(here));
    let mut seen = vec![here];
    for round in 1..=3u64 {
        let (back, result, id) = std::thread::spawn(move || {
            let result = fiber.resume(round * 10);
            (fiber, result, std::thread::current().id())
        })
        .join()
        .unwrap();
        fiber = back;
        seen.push(id);
        match result {
            Err(on) => assert_eq!(on, id, "the fiber ran on the resuming thread"),
            Ok(threads) => assert_eq!(threads, seen, "each resume ran on its thread"),
        }
    }
    assert!(fiber.done());
    assert_ne!(seen[1], seen[0]);
}

#[test]
fn fibers_nest() {
    let outer_stack = FiberStack::new(256 * 1024).unwrap();
    let mut outer = Fiber::new(outer_stack, |n: u32, s: &Suspend<u32, u32, u32>| {
        let inner_stack = FiberStack::new(64 * 1024).unwrap();
        let mut inner = Fiber::new(inner_stack, |m: u32, t: &Suspend<u32, u32, u32>| {
            let k = t.suspend(m * 2);
            k * 3
        });
        let a = inner.resume(n).unwrap_err(); // 2n
        let b = s.suspend(a); // the outer resumer's value
        let c = inner.resume(b).unwrap(); // 3b
        c + 1
    });
    assert_eq!(outer.resume(5), Err(10));
    assert_eq!(outer.resume(7), Ok(22));
}

#[test]
fn a_custom_stack_runs_fibers_and_is_released_once() {
    let released = Arc::new(AtomicUsize::new(0));
    let mut memory: Vec<u128> = vec![0; 256 * 1024 / 16];
    let len = memory.len() * 16;
    let low = memory.as_mut_ptr().cast::<u8>();
    // SAFETY: `len` bytes from `low` are the vector's.
    let top = unsafe { low.add(len) };
    let r = released.clone();
    // SAFETY: the memory is the vector's, which lives (untouched) until the
    // release callback, which owns it and frees it.
    let stack = unsafe {
        FiberStack::from_custom(
            top,
            len,
            Box::new(move || {
                drop(memory);
                r.fetch_add(1, Ordering::SeqCst);
            }),
        )
    };
    assert_eq!(stack.range(), low as usize..top as usize);
    assert!(stack.guard_range().is_none());
    let mut fiber = Fiber::new(stack, |x: u32, s: &Suspend<u32, u32, u32>| {
        let here = 0u8;
        let addr = &here as *const u8 as usize;
        let y = s.suspend(addr as u32);
        assert!((low as usize..top as usize).contains(&addr));
        x + y
    });
    assert!(fiber.resume(1).is_err());
    assert_eq!(fiber.resume(2), Ok(3));
    let stack = fiber.into_stack().unwrap();
    assert_eq!(released.load(Ordering::SeqCst), 0);
    drop(stack);
    assert_eq!(released.load(Ordering::SeqCst), 1);
}

/// The stack pointer where a call could be made (without `nostack` the
/// compiler keeps it ABI aligned here, if it was aligned at entry).
#[inline(never)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer into a register; nothing else.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        std::arch::asm!("mov {}, rsp", out(reg) sp);
        #[cfg(target_arch = "aarch64")]
        std::arch::asm!("mov {}, sp", out(reg) sp);
    }
    sp
}

#[test]
fn the_fiber_stack_is_aligned_and_in_range() {
    let stack = FiberStack::new(64 * 1024).unwrap();
    let range = stack.range();
    let mut fiber = Fiber::new(stack, |(), s: &Suspend<(), usize, String>| {
        s.suspend(stack_pointer());
        // Aligned SSE spills and float formatting rely on the alignment.
        format!(
            "{:.3} {:?}",
            std::hint::black_box(1.25f64),
            std::hint::black_box(2.5f32)
        )
    });
    let sp = fiber.resume(()).unwrap_err();
    assert_eq!(sp % 16, 0, "stack pointer {sp:#x} is 16-byte aligned");
    assert!(
        range.contains(&sp),
        "{sp:#x} is on the fiber stack {range:#x?}"
    );
    assert_eq!(fiber.resume(()), Ok("1.250 2.5".to_string()));
}

#[inline(never)]
fn fiber_backtrace_probe() -> String {
    std::backtrace::Backtrace::force_capture().to_string()
}

#[test]
fn a_backtrace_on_a_fiber_ends_at_its_first_frame() {
    let stack = FiberStack::new(256 * 1024).unwrap();
    let mut fiber: Fiber<'_, (), (), String> =
        Fiber::new(stack, |(), _| std::hint::black_box(fiber_backtrace_probe()));
    let trace = fiber.resume(()).unwrap();
    let frames: Vec<&str> = trace
        .lines()
        .filter(|l| !l.trim_start().starts_with("at "))
        .collect();
    assert!(
        frames.iter().any(|f| f.contains("fiber_backtrace_probe")),
        "{trace}"
    );
    // The unwinder stops at the fiber's first frame: nothing of the
    // resumer (the test harness) or garbage after it.
    let last = frames.last().unwrap();
    assert!(
        last.contains("wr_fiber_start"),
        "last frame {last:?} of\n{trace}"
    );
    assert!(!trace.contains("run_test"), "{trace}");
}

/// Runs this test binary's test `test` again in a child process with
/// `CHILD_MODE` set to `mode`.
fn run_child(test: &str, mode: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_MODE, mode)
        .env_remove(UNDER_VALGRIND)
        .output()
        .expect("running the test binary again")
}

/// No core file for the crashes we cause on purpose.
fn no_core_dumps() {
    let limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain setrlimit call.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) };
}

/// Child side: runs a fiber that either writes into its stack's guard or
/// recurses until it overflows. Never returns normally.
fn hit_the_guard(mode: &str, guard_seen: impl FnOnce(std::ops::Range<usize>)) {
    no_core_dumps();
    let stack = FiberStack::new(64 * 1024).unwrap();
    let guard = stack.guard_range().unwrap();
    guard_seen(guard.clone());
    let mut fiber: Fiber<'_, (), (), ()> = match mode {
        "touch" => Fiber::new(stack, move |(), _| {
            eprintln!("touching the guard");
            // SAFETY: deliberately not: this faults (the point of the test).
            unsafe { std::ptr::write_volatile((guard.end - 1) as *mut u8, 1) };
        }),
        "overflow" => Fiber::new(stack, |(), _| {
            eprintln!("recursing");
            #[allow(unconditional_recursion)]
            fn down(n: u64) -> u64 {
                let frame = std::hint::black_box([n; 64]);
                frame[0] + down(n + 1) + frame[63]
            }
            std::hint::black_box(down(0));
        }),
        other => panic!("unknown child mode {other}"),
    };
    let _ = fiber.resume(());
    eprintln!("survived the guard");
    std::process::exit(0);
}

#[test]
fn a_guard_page_hit_kills_with_sigsegv() {
    if let Ok(mode) = std::env::var(CHILD_MODE) {
        hit_the_guard(&mode, |_| {});
        return;
    }
    for mode in ["touch", "overflow"] {
        let output = run_child("a_guard_page_hit_kills_with_sigsegv", mode);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGSEGV),
            "{mode}: {}",
            describe(&output)
        );
        assert!(
            stderr.contains(if mode == "touch" {
                "touching the guard"
            } else {
                "recursing"
            }) && !stderr.contains("survived"),
            "{mode}: {}",
            describe(&output)
        );
    }
}

/// The guard of the stack the child's handler checks fault addresses
/// against.
static GUARD: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

/// Exit status of the child when the fault address was in the guard.
const IN_GUARD: i32 = 77;
const NOT_IN_GUARD: i32 = 78;

extern "C" fn classify_fault(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo for a SIGSEGV.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (low, high) = (
        GUARD[0].load(Ordering::SeqCst),
        GUARD[1].load(Ordering::SeqCst),
    );
    let code = if (low..high).contains(&addr) {
        IN_GUARD
    } else {
        NOT_IN_GUARD
    };
    // SAFETY: async-signal-safe exit.
    unsafe { libc::_exit(code) };
}

/// Installs `classify_fault` for SIGSEGV on an alternate stack of its own
/// (a fiber that overflowed has no stack left for a handler).
fn install_classifier() {
    const ALT: usize = 64 * 1024;
    let alt = Box::leak(vec![0u8; ALT].into_boxed_slice());
    // SAFETY: plain sigaltstack and sigaction calls; the alternate stack is
    // leaked, so it lives as long as the process.
    unsafe {
        let stack = libc::stack_t {
            ss_sp: alt.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: ALT,
        };
        assert_eq!(libc::sigaltstack(&stack, std::ptr::null_mut()), 0);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = classify_fault as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut()),
            0
        );
    }
}

#[test]
fn a_guard_page_hit_is_recognised_by_its_fault_address() {
    if let Ok(mode) = std::env::var(CHILD_MODE) {
        install_classifier();
        hit_the_guard(&mode, |guard| {
            assert!(guard.len() >= GUARD_SIZE);
            GUARD[0].store(guard.start, Ordering::SeqCst);
            GUARD[1].store(guard.end, Ordering::SeqCst);
        });
        return;
    }
    for mode in ["touch", "overflow"] {
        let output = run_child("a_guard_page_hit_is_recognised_by_its_fault_address", mode);
        assert_eq!(
            output.status.code(),
            Some(IN_GUARD),
            "{mode}: {}",
            describe(&output)
        );
    }
}

#[test]
fn dropping_a_suspended_fiber_aborts() {
    if std::env::var_os(CHILD_MODE).is_some() {
        no_core_dumps();
        let stack = FiberStack::new(64 * 1024).unwrap();
        let mut fiber = Fiber::new(stack, |(), s: &Suspend<(), (), ()>| s.suspend(()));
        assert_eq!(fiber.resume(()), Err(()));
        drop(fiber);
        eprintln!("survived the drop");
        return;
    }
    let output = run_child("dropping_a_suspended_fiber_aborts", "drop");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGABRT),
        "{}",
        describe(&output)
    );
    assert!(
        stderr.contains("a suspended fiber was dropped") && !stderr.contains("survived"),
        "{}",
        describe(&output)
    );
}

#[test]
fn round_trip_microbenchmark() {
    let rounds: u32 = if under_valgrind_run() {
        10_000
    } else {
        2_000_000
    };
    let stack = FiberStack::new(64 * 1024).unwrap();
    let mut fiber = Fiber::new(stack, move |(), s: &Suspend<(), u32, u32>| {
        for i in 0..rounds {
            s.suspend(i);
        }
        rounds
    });
    let start = Instant::now();
    for i in 0..rounds {
        assert_eq!(fiber.resume(()), Err(i));
    }
    let elapsed = start.elapsed();
    assert_eq!(fiber.resume(()), Ok(rounds));
    println!(
        "fiber resume + suspend round trip: {:.1} ns ({rounds} rounds)",
        elapsed.as_nanos() as f64 / rounds as f64
    );

    let creations: u32 = if under_valgrind_run() { 100 } else { 10_000 };
    let start = Instant::now();
    for i in 0..creations {
        let stack = FiberStack::new(2 * MIB).unwrap();
        let mut fiber: Fiber<'_, u32, (), u32> = Fiber::new(stack, |x, _| x + 1);
        assert_eq!(fiber.resume(i), Ok(i + 1));
    }
    println!(
        "map a 2 MiB stack, run a fiber to completion, unmap: {:.2} us",
        start.elapsed().as_nanos() as f64 / creations as f64 / 1000.0
    );
}

#[test]
fn valgrind_sees_its_client_requests() {
    // Valgrind preloads its `vgpreload_<tool>` libraries into the program
    // it runs: an independent sign of it, to check the magic sequence by.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let preloaded = maps.contains("vgpreload");
    assert_eq!(running_on_valgrind(), preloaded);
    if std::env::var_os(UNDER_VALGRIND).is_some() {
        assert!(running_on_valgrind(), "the inner run is under valgrind");
    }
}

/// The tests above, again, under valgrind's memcheck: hand-switched
/// stacks are registered, so memcheck reports no invalid accesses, no
/// uses of uninitialised values and no definite leaks.
#[test]
fn fiber_tests_run_clean_under_valgrind() {
    if under_valgrind_run() || std::env::var_os(CHILD_MODE).is_some() {
        return; // the inner run (or one by hand), or a child
    }
    support::rerun_tests_under_memcheck(UNDER_VALGRIND, "fiber_tests_run_clean_under_valgrind", 18);
}
