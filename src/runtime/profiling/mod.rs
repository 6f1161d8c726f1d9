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
    /// The line tables of the module whose function it is, when the
    /// engine has `debug_info` on, the module has them and the agent
    /// asked for them (`ProfilingAgent::wants_source_lines`); looked up
    /// at `address_map`'s wasm offsets.
    pub source_map: Option<&'a crate::module::SourceMap>,
}

/// Something told about code as it becomes executable.
pub trait ProfilingAgent: Send + Sync {
    /// `funcs` were just published (and stay executable until their
    /// region is dropped).
    fn code_published(&self, funcs: &[PublishedFunction<'_>]);

    /// Whether the agent reports source lines, so that, with `debug_info`
    /// on, a module's line tables are read for its functions'
    /// `PublishedFunction::source_map`.
    fn wants_source_lines(&self) -> bool {
        false
    }
}

/// `name` with line breaks and other control characters (which would break
/// a line-based format) replaced by `?`.
fn one_line(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
