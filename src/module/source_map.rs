//! Source positions of a module's code, from the DWARF line tables the
//! producer left in its custom sections (`.debug_line` and the sections
//! it refers to), for `wasm_backtrace_details`: a trap's frames then say
//! `file.c:42:5`.
//!
//! DWARF for WebAssembly addresses code by its offset from the start of
//! the code section's contents; frames know their offset in the whole
//! binary, so lookups subtract the section's start. A module without line
//! tables, or with tables gimli cannot read, simply has no positions.

use gimli::{EndianSlice, LittleEndian};
use std::collections::HashMap;

/// A source position: file, line and column (0 when the table gives none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file's path as the DWARF gives it (joined with its directory).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, or 0 for "the whole line".
    pub column: u32,
}

/// One row of the line tables: from `address` on (until the next row),
/// the code is at this position; an `end` row closes a sequence.
#[derive(Clone, Copy)]
struct Row {
    address: u64,
    file: u32,
    line: u32,
    column: u32,
    end: bool,
}

/// The line tables of one module, sorted by address.
pub struct SourceMap {
    /// Offset of the code section's contents in the binary.
    code_start: u64,
    rows: Vec<Row>,
    files: Vec<String>,
}

impl SourceMap {
    /// The line tables of `wasm`; `None` when it has none (or none that
    /// can be read).
    pub fn parse(wasm: &[u8]) -> Option<SourceMap> {
        let mut sections: HashMap<&str, &[u8]> = HashMap::new();
        let mut code_start = None;
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.ok()? {
                wasmparser::Payload::CustomSection(reader)
                    if reader.name().starts_with(".debug_") =>
                {
                    sections.insert(reader.name(), reader.data());
                }
                wasmparser::Payload::CodeSectionStart {
                    unchecked_range, ..
                } => {
                    code_start = Some(unchecked_range.start);
                }
                _ => {}
            }
        }
        if !sections.contains_key(".debug_line") {
            return None;
        }
        let load = |id: gimli::SectionId| -> Result<EndianSlice<'_, LittleEndian>, gimli::Error> {
            let data = sections.get(id.name()).copied().unwrap_or(&[]);
            Ok(EndianSlice::new(data, LittleEndian))
        };
        let dwarf = gimli::Dwarf::load(load).ok()?;
        let mut map = SourceMap {
            code_start: code_start?,
            rows: Vec::new(),
            files: Vec::new(),
        };
        let mut file_ids: HashMap<String, u32> = HashMap::new();
        let mut units = dwarf.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut rows = program.rows();
            while let Ok(Some((header, row))) = rows.next_row() {
                let file = row
                    .file(header)
                    .map(|entry| file_path(&dwarf, &unit, header, entry))
                    .unwrap_or_default();
                let next_id = map.files.len() as u32;
                let id = *file_ids.entry(file.clone()).or_insert_with(|| {
                    map.files.push(file);
                    next_id
                });
                map.rows.push(Row {
                    address: row.address(),
                    file: id,
                    line: row.line().map_or(0, |l| l.get() as u32),
                    column: match row.column() {
                        gimli::ColumnType::LeftEdge => 0,
                        gimli::ColumnType::Column(c) => c.get() as u32,
                    },
                    end: row.end_sequence(),
                });
            }
        }
        if map.rows.is_empty() {
            return None;
        }
        // Stable: at one address, an end row of a sequence stays before
        // the first row of the next.
        map.rows.sort_by_key(|r| r.address);
        Some(map)
    }

    /// The source position of the instruction at `module_offset` in the
    /// binary, if the line tables cover it.
    pub fn lookup(&self, module_offset: usize) -> Option<SourceLocation> {
        let address = (module_offset as u64).checked_sub(self.code_start)?;
        let at = self.rows.partition_point(|r| r.address <= address);
        let row = self.rows.get(at.checked_sub(1)?)?;
        if row.end || row.line == 0 {
            return None;
        }
        Some(SourceLocation {
            file: self.files.get(row.file as usize)?.clone(),
            line: row.line,
            column: row.column,
        })
    }
}

/// A line-table file entry's path: its directory joined with its name
/// (unless the name is absolute).
fn file_path<'a>(
    dwarf: &gimli::Dwarf<EndianSlice<'a, LittleEndian>>,
    unit: &gimli::Unit<EndianSlice<'a, LittleEndian>>,
    header: &gimli::LineProgramHeader<EndianSlice<'a, LittleEndian>>,
    entry: &gimli::FileEntry<EndianSlice<'a, LittleEndian>>,
) -> String {
    let text = |value: gimli::AttributeValue<EndianSlice<'a, LittleEndian>>| {
        dwarf
            .attr_string(unit, value)
            .map(|s| String::from_utf8_lossy(s.slice()).into_owned())
            .unwrap_or_default()
    };
    let name = text(entry.path_name());
    if name.starts_with('/') {
        return name;
    }
    let dir = entry.directory(header).map(text).unwrap_or_default();
    if dir.is_empty() {
        name
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}
