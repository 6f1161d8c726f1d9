//! `perf`'s jitdump files: `jit-<pid>.dump` in the current directory,
//! which `perf inject --jit` turns into one ELF object per function so
//! `perf report` names (and annotates) samples in JIT code.
//!
//! The layout follows perf's jitdump specification
//! (tools/perf/Documentation/jitdump-specification.txt), written here
//! from it: a 40-byte file header, then records that each start with a
//! 16-byte header (`id`, `total_size`, `timestamp`). Each function gets
//! a `JIT_CODE_LOAD` record (id 0): pid, tid, the code's address (twice:
//! `vma` and `code_addr`), its size, an index unique in the file, the
//! NUL-terminated name, then the code bytes. With `debug_info` on, a
//! function of a module with DWARF line tables gets a
//! `JIT_CODE_DEBUG_INFO` record (id 2) right before its code load, as
//! the specification requires: the code's address, the number of
//! entries, then per entry the native address where a source line
//! starts, the line, a discriminator (0) and the NUL-terminated file
//! name. Entries are the function's address-map points (native offset,
//! wasm offset) looked up in the module's line tables
//! (`module::SourceMap`, as `wasm_backtrace_details` does), a new one
//! where the file or line changes. Timestamps
//! are `CLOCK_MONOTONIC` nanoseconds, the clock `perf record -k mono`
//! samples with. perf finds the file through an executable mapping of
//! it in the profiled process, so its first page is mapped
//! `PROT_READ | PROT_EXEC` once, for the process's life.

use super::{one_line, ProfilingAgent, PublishedFunction};
use std::fs::File;
use std::io::Write as _;
use std::sync::Mutex;

/// `JiTD` read as a little-endian u32 by the reader.
pub const MAGIC: u32 = 0x4A69_5444;
/// The format version this writer produces.
pub const VERSION: u32 = 1;
/// The size of the file header.
const HEADER_SIZE: u32 = 40;
/// The record id of a code load.
const JIT_CODE_LOAD: u32 = 0;
/// The record id of a function's line table.
const JIT_CODE_DEBUG_INFO: u32 = 2;

/// `CLOCK_MONOTONIC` in nanoseconds.
fn timestamp() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always
    // exists on the supported hosts.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// The current thread's kernel id.
fn thread_id() -> u32 {
    // SAFETY: `gettid` has no preconditions.
    (unsafe { libc::syscall(libc::SYS_gettid) }) as u32
}

struct DumpFile {
    file: File,
    /// The next `code_index`.
    next_index: u64,
}

/// The process's dump file, shared by every engine that reports to it.
static DUMP: Mutex<Option<DumpFile>> = Mutex::new(None);

/// Appends a code-load record for every published function to the
/// process's jitdump file.
pub struct JitDumpAgent {
    _private: (),
}

impl JitDumpAgent {
    /// Where the dump is written: `jit-<pid>.dump` in the current
    /// directory, as perf's tools look for it.
    pub fn path() -> std::path::PathBuf {
        format!("jit-{}.dump", std::process::id()).into()
    }

    /// Creates the process's dump file (once), writes its header and maps
    /// it executable so perf records where it is.
    pub fn new() -> std::io::Result<JitDumpAgent> {
        let mut dump = DUMP.lock().unwrap_or_else(|e| e.into_inner());
        if dump.is_none() {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(true)
                .read(true)
                .write(true)
                .open(Self::path())?;
            let mut header = Vec::with_capacity(HEADER_SIZE as usize);
            header.extend_from_slice(&MAGIC.to_le_bytes());
            header.extend_from_slice(&VERSION.to_le_bytes());
            header.extend_from_slice(&HEADER_SIZE.to_le_bytes());
            header.extend_from_slice(
                &u32::from(crate::runtime::debug::host_elf_machine()).to_le_bytes(),
            );
            header.extend_from_slice(&0u32.to_le_bytes()); // pad1
            header.extend_from_slice(&std::process::id().to_le_bytes());
            header.extend_from_slice(&timestamp().to_le_bytes());
            header.extend_from_slice(&0u64.to_le_bytes()); // flags
            file.write_all(&header)?;
            map_for_perf(&file)?;
            *dump = Some(DumpFile {
                file,
                next_index: 0,
            });
        }
        Ok(JitDumpAgent { _private: () })
    }
}

/// Maps the first page of `file` read+execute and leaves it mapped: the
/// mapping exists only so that perf's mmap event names the file.
fn map_for_perf(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: `sysconf` has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
    // SAFETY: a fresh private mapping of an open file at a place the
    // kernel chooses; it aliases nothing of ours and is never accessed
    // (nor unmapped: perf needs it to stay for the process's life).
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_EXEC,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl ProfilingAgent for JitDumpAgent {
    fn code_published(&self, funcs: &[PublishedFunction<'_>]) {
        let mut dump = DUMP.lock().unwrap_or_else(|e| e.into_inner());
        let Some(dump) = dump.as_mut() else {
            return;
        };
        let pid = std::process::id();
        let tid = thread_id();
        let mut records = Vec::new();
        for f in funcs {
            let name = one_line(f.name);
            let total = 16 + 4 + 4 + 8 + 8 + 8 + 8 + name.len() + 1 + f.code.len();
            let Ok(total) = u32::try_from(total) else {
                continue;
            };
            let addr = f.code.as_ptr() as u64;
            debug_info_record(f, addr, &mut records);
            records.extend_from_slice(&JIT_CODE_LOAD.to_le_bytes());
            records.extend_from_slice(&total.to_le_bytes());
            records.extend_from_slice(&timestamp().to_le_bytes());
            records.extend_from_slice(&pid.to_le_bytes());
            records.extend_from_slice(&tid.to_le_bytes());
            records.extend_from_slice(&addr.to_le_bytes()); // vma
            records.extend_from_slice(&addr.to_le_bytes()); // code_addr
            records.extend_from_slice(&(f.code.len() as u64).to_le_bytes());
            records.extend_from_slice(&dump.next_index.to_le_bytes());
            records.extend_from_slice(name.as_bytes());
            records.push(0);
            records.extend_from_slice(f.code);
            dump.next_index += 1;
        }
        // A failed write loses symbols, not correctness.
        let _ = dump.file.write_all(&records);
    }

    fn wants_source_lines(&self) -> bool {
        true
    }
}

/// Appends the `JIT_CODE_DEBUG_INFO` record of `f` (whose code is at
/// `addr`) to `records`, if its module's line tables give any of its code
/// a source line.
fn debug_info_record(f: &PublishedFunction<'_>, addr: u64, records: &mut Vec<u8>) {
    let Some(source_map) = f.source_map else {
        return;
    };
    let mut entries: Vec<(u64, String, u32)> = Vec::new();
    for &(offset, wasm_offset) in f.address_map {
        let Some(offset) = offset.checked_sub(f.region_offset) else {
            continue;
        };
        let Some(location) = source_map.lookup(wasm_offset as usize) else {
            continue;
        };
        if entries
            .last()
            .is_some_and(|(_, file, line)| *file == location.file && *line == location.line)
        {
            continue;
        }
        entries.push((addr + u64::from(offset), location.file, location.line));
    }
    if entries.is_empty() {
        return;
    }
    let size: usize = entries
        .iter()
        .map(|(_, file, _)| 8 + 4 + 4 + file.len() + 1)
        .sum();
    let Ok(total) = u32::try_from(16 + 8 + 8 + size) else {
        return;
    };
    records.extend_from_slice(&JIT_CODE_DEBUG_INFO.to_le_bytes());
    records.extend_from_slice(&total.to_le_bytes());
    records.extend_from_slice(&timestamp().to_le_bytes());
    records.extend_from_slice(&addr.to_le_bytes());
    records.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (entry_addr, file, line) in &entries {
        records.extend_from_slice(&entry_addr.to_le_bytes());
        records.extend_from_slice(&line.to_le_bytes());
        records.extend_from_slice(&0u32.to_le_bytes()); // discrim
                                                        // A NUL would end the name early; DWARF strings have none.
        records.extend_from_slice(file.replace('\0', "?").as_bytes());
        records.push(0);
    }
}
