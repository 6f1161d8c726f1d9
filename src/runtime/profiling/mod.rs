//! Reporting published code to profilers.
//!
//! The engine picks one `ProfilingAgent` at creation (from the `profiler`
//! option) and the runtime tells it about every code region it makes
//! executable: a module's functions (compiled or deserialized) and each
//! batch of trampolines. Agents only observe: they never change the code,
//! and a failure to write is not an error of the compilation.

mod jitdump;
mod perfmap;
mod vtune;

pub use jitdump::JitDumpAgent;
pub use perfmap::PerfMapAgent;
pub use vtune::VTuneAgent;

/// One function of a region just made executable.
pub struct PublishedFunction<'a> {
    /// What the profiler shows: the name section's name, `wasm-function[N]`
    /// or a trampoline's description.
    pub name: &'a str,
    /// The function's code, at the address it runs from.
    pub code: &'a [u8],
    /// (offset in the published region, wasm byte offset in the module)
    /// where each of the function's instruction ranges starts, sorted;
    /// empty for trampolines and without `generate_address_map`. Region
    /// offsets, borrowed from the region's own map: subtract
    /// `region_offset` for offsets in `code`.
    pub address_map: &'a [(u32, u32)],
    /// Where `code` starts in the region.
    pub region_offset: u32,
}

/// Something told about code as it becomes executable.
pub trait ProfilingAgent: Send + Sync {
    /// `funcs` were just published (and stay executable until their
    /// region is dropped).
    fn code_published(&self, funcs: &[PublishedFunction<'_>]);
}

/// `name` with line breaks and other control characters (which would break
/// a line-based format) replaced by `?`.
fn one_line(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
