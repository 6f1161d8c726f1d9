//! Native DWARF for a module's compiled code, transformed from the DWARF
//! its producer left in the wasm binary (`.debug_*` custom sections).
//!
//! Wasm DWARF addresses code by its offset in the code section; native
//! code is reached through the region's address map (native offset →
//! module offset, `generate_address_map`, which `debug_info` keeps on).
//! Every compile unit of the wasm DWARF is converted with gimli's
//! `write::ConvertUnit`, attribute by attribute, into a 64-bit unit of the
//! same version:
//!
//! - `.debug_line`: each unit keeps its file table; its rows are made
//!   afresh, one sequence per compiled function, one row wherever the
//!   source position (looked up in the wasm line tables at the wasm offset
//!   of the native instruction) changes; native code without a position
//!   gets line 0.
//! - Program counters: a subprogram covers its whole native function;
//!   other entries with ranges (lexical blocks, inlined subroutines) cover
//!   the native code whose wasm offsets fall in their wasm ranges; a
//!   unit's ranges are its functions'. Entries whose code was not compiled
//!   (dead-stripped functions) lose their ranges.
//! - Names, types, declarations, scopes and everything else are copied;
//!   pointer and reference types of a 32-bit unit get the 4-byte size the
//!   native 8-byte address size would no longer imply (their values are
//!   wasm addresses: a debugger shows them, but does not follow them into
//!   linear memory).
//! - The locations of a subprogram's parameters and variables
//!   (`DW_AT_location`, an expression or a list of them by wasm code
//!   range) become native location lists (`locations::Template`): each
//!   wasm range maps to the native code compiled from it, split wherever a
//!   wasm local (or the `VMContext`) the expression reads moves between
//!   registers and spill slots, as the function's value labels say
//!   (`Tunables::value_labels`, which `debug_info` turns on). Where a
//!   value is not known, or an expression has no native form (operand
//!   stack slots), the list has no entry: `<optimized out>`. Other
//!   locations (`DW_AT_frame_base`, folded into the variables' locations;
//!   unit-level variables, whose linear-memory address needs a
//!   `VMContext`, which only a frame has) are dropped.
//!
//! Anything gimli cannot read or convert leaves the attribute out; a
//! module whose DWARF cannot be read at all gets no DWARF (its functions
//! still get symbols).

use super::elf::Section;
use super::locations::{Context, Template};
use super::{local_kinds, LocalKind, ModuleDebug, VmPaths};
use crate::environ::compiled_code::ValueLabelRange;
use crate::runtime::registry::FuncRange;
use anyhow::{anyhow, Result};
use gimli::write::{self, Address, AttributeValue, FileId, LineProgram, RangeList};
use gimli::{constants, EndianSlice, LittleEndian};
use std::collections::HashMap;

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// One compiled function, in DWARF terms.
struct Func {
    /// The body's offset in the code section (the wasm DWARF address of
    /// its subprogram's `DW_AT_low_pc`).
    wasm_start: u64,
    native_start: u64,
    native_end: u64,
    /// Its entries of `Layout::entries`.
    entries: std::ops::Range<usize>,
    /// Its index in the module's function space.
    func_index: u32,
}

/// One address-map entry: the native code `[native, native_end)` comes
/// from the wasm instruction at code-section offset `wasm`.
#[derive(Clone, Copy)]
struct Entry {
    native: u64,
    native_end: u64,
    wasm: u64,
}

/// Where the module's wasm code went in the region.
struct Layout {
    /// Sorted by `wasm_start`.
    funcs: Vec<Func>,
    /// Each function's entries, in native order, function after function.
    entries: Vec<Entry>,
    /// `entries` sorted by `wasm`, for range queries.
    by_wasm: Vec<Entry>,
}

impl Layout {
    fn new(base: u64, code_start: u64, funcs: &[FuncRange], address_map: &[(u32, u32)]) -> Layout {
        let mut layout = Layout {
            funcs: Vec::with_capacity(funcs.len()),
            entries: Vec::with_capacity(address_map.len()),
            by_wasm: Vec::new(),
        };
        for f in funcs {
            let from = address_map.partition_point(|&(o, _)| o < f.start);
            let to = address_map.partition_point(|&(o, _)| o < f.end);
            let first = layout.entries.len();
            let map = &address_map[from..to];
            for (i, &(offset, wasm)) in map.iter().enumerate() {
                let end = map.get(i + 1).map_or(f.end, |&(next, _)| next);
                let Some(wasm) = u64::from(wasm).checked_sub(code_start) else {
                    continue;
                };
                if end > offset {
                    layout.entries.push(Entry {
                        native: base + u64::from(offset),
                        native_end: base + u64::from(end),
                        wasm,
                    });
                }
            }
            let Some(wasm_start) = u64::from(f.body_offset).checked_sub(code_start) else {
                continue;
            };
            layout.funcs.push(Func {
                wasm_start,
                native_start: base + u64::from(f.start),
                native_end: base + u64::from(f.end),
                entries: first..layout.entries.len(),
                func_index: f.func_index,
            });
        }
        layout.funcs.sort_by_key(|f| f.wasm_start);
        layout.by_wasm = layout.entries.clone();
        layout.by_wasm.sort_by_key(|e| e.wasm);
        layout
    }

    /// The function whose body starts at code-section offset `wasm`, or
    /// failing that the one whose body contains it (a function's body
    /// ends where the next one's starts, the last one's at the end of the
    /// code section, `code_end`).
    fn func_at(&self, wasm: u64, code_end: u64) -> Option<usize> {
        let after = self.funcs.partition_point(|f| f.wasm_start <= wasm);
        let i = after.checked_sub(1)?;
        let end = self.funcs.get(after).map_or(code_end, |f| f.wasm_start);
        (wasm < end).then_some(i)
    }

    /// The native ranges of the code from wasm code-section offsets
    /// `[begin, end)`, sorted and merged.
    fn native_ranges(&self, begin: u64, end: u64, out: &mut Vec<(u64, u64)>) {
        let from = self.by_wasm.partition_point(|e| e.wasm < begin);
        let to = self.by_wasm.partition_point(|e| e.wasm < end);
        out.extend(
            self.by_wasm[from..to]
                .iter()
                .map(|e| (e.native, e.native_end)),
        );
    }
}

/// Sorts `ranges` and merges the ones that touch or overlap.
fn merge(ranges: &mut Vec<(u64, u64)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(begin, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if begin <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((begin, end)),
        }
    }
    *ranges = merged;
}

/// One row of the wasm line tables.
#[derive(Clone, Copy)]
struct Row {
    address: u64,
    /// The unit whose line program it is (its index in `.debug_info`).
    unit: usize,
    /// The file index in that program's header.
    file: u64,
    line: u64,
    column: u64,
    is_stmt: bool,
    end: bool,
}

/// Every row of every unit's line program, sorted by address.
fn line_rows(dwarf: &gimli::Dwarf<Reader<'_>>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut units = dwarf.units();
    let mut index = 0;
    while let Ok(Some(header)) = units.next() {
        let unit = index;
        index += 1;
        let Ok(unit_data) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit_data.line_program.clone() else {
            continue;
        };
        let mut program_rows = program.rows();
        while let Ok(Some((_, row))) = program_rows.next_row() {
            rows.push(Row {
                address: row.address(),
                unit,
                file: row.file_index(),
                line: row.line().map_or(0, |l| l.get()),
                column: match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(c) => c.get(),
                },
                is_stmt: row.is_stmt(),
                end: row.end_sequence(),
            });
        }
    }
    // Stable: at one address, a sequence's end row stays before the next
    // sequence's first row.
    rows.sort_by_key(|r| r.address);
    rows
}

/// The row in effect at `address`, if the tables cover it.
fn row_at(rows: &[Row], address: u64) -> Option<&Row> {
    let at = rows.partition_point(|r| r.address <= address);
    rows.get(at.checked_sub(1)?).filter(|r| !r.end)
}

/// The `.debug_*` custom sections of a binary, by name.
type DebugSections<'a> = HashMap<&'a str, &'a [u8]>;

/// The `.debug_*` custom sections of `wasm` and the range of its code
/// section's contents; `None` without DWARF.
fn debug_sections(wasm: &[u8]) -> Option<(DebugSections<'_>, std::ops::Range<u64>)> {
    let mut sections = HashMap::new();
    let mut code = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            wasmparser::Payload::CustomSection(reader) if reader.name().starts_with(".debug_") => {
                sections.insert(reader.name(), reader.data());
            }
            wasmparser::Payload::CodeSectionStart {
                unchecked_range, ..
            } => code = Some(unchecked_range.start..unchecked_range.end),
            _ => {}
        }
    }
    if !sections.contains_key(".debug_info") {
        return None;
    }
    Some((sections, code?))
}

/// The native DWARF sections for the code of `wasm` published at `base`
/// (function ranges `funcs`, address map `address_map`, both in region
/// offsets). Empty when the module has no DWARF.
pub fn transform(
    debug: &ModuleDebug<'_>,
    base: u64,
    funcs: &[FuncRange],
    address_map: &[(u32, u32)],
) -> Result<Vec<Section>> {
    let Some((sections, code)) = debug_sections(debug.wasm) else {
        return Ok(Vec::new());
    };
    let load = |id: gimli::SectionId| -> Result<Reader<'_>, gimli::Error> {
        Ok(EndianSlice::new(
            sections.get(id.name()).copied().unwrap_or(&[]),
            LittleEndian,
        ))
    };
    let read = gimli::Dwarf::load(load)?;
    let layout = Layout::new(base, code.start, funcs, address_map);
    let code_end = code.end - code.start;
    let rows = line_rows(&read);

    // The functions of each unit: a function belongs to the unit whose
    // line program covers its first instruction that one covers (a
    // function without any is left out of the DWARF; its symbol remains).
    let mut unit_funcs: HashMap<usize, Vec<&Func>> = HashMap::new();
    for f in &layout.funcs {
        let unit = layout.entries[f.entries.clone()]
            .iter()
            .find_map(|e| row_at(&rows, e.wasm));
        if let Some(row) = unit {
            unit_funcs.entry(row.unit).or_default().push(f);
        }
    }

    let mut out = write::Dwarf::new();
    let mut convert = out.convert(&read)?;
    let mut unit_index = 0;
    let mut ranges = Vec::new();
    let mut variables = Variables::new(debug);
    while let Some((mut unit, root)) = convert.read_unit()? {
        let this_unit = unit_index;
        unit_index += 1;
        let encoding = gimli::Encoding {
            address_size: 8,
            ..unit.read_unit.encoding()
        };
        unit.unit.set_encoding(encoding);
        let funcs = unit_funcs.remove(&this_unit).unwrap_or_default();

        if let Some(program) = unit.read_line_program(Some(encoding), None)? {
            let (mut program, files) = program.program();
            for f in &funcs {
                add_sequence(
                    &mut program,
                    &files,
                    &layout.entries[f.entries.clone()],
                    f,
                    &rows,
                    this_unit,
                );
            }
            unit.set_line_program(program, files);
        }

        // The unit's root: its attributes, with its functions' ranges.
        let root_id = unit.unit.root();
        convert_attributes(&mut unit, root_id, &root);
        ranges.clear();
        ranges.extend(funcs.iter().map(|f| (f.native_start, f.native_end)));
        merge(&mut ranges);
        set_ranges(&mut unit, root_id, &ranges, true);

        let mut entry = root;
        variables.scopes.clear();
        while let Some(id) = unit.read_entry(&mut entry)? {
            let id = unit.add_entry(id, &entry);
            convert_attributes(&mut unit, id, &entry);
            variables.enter(&entry, &layout, code_end);
            if entry.has_attr(constants::DW_AT_location) {
                variables.locate(&mut unit, id, &entry, &layout, &mut ranges);
            }
            let has_pc =
                entry.has_attr(constants::DW_AT_low_pc) || entry.has_attr(constants::DW_AT_ranges);
            if !has_pc {
                continue;
            }
            ranges.clear();
            let mut wasm_ranges = match entry.read_unit.die_ranges(&entry) {
                Ok(iter) => iter,
                Err(_) => continue,
            };
            while let Ok(Some(range)) = wasm_ranges.next() {
                if range.begin >= range.end {
                    continue;
                }
                if entry.tag == constants::DW_TAG_subprogram {
                    if let Some(i) = layout.func_at(range.begin, code_end) {
                        let f = &layout.funcs[i];
                        ranges.push((f.native_start, f.native_end));
                    }
                } else {
                    layout.native_ranges(range.begin, range.end, &mut ranges);
                }
            }
            merge(&mut ranges);
            set_ranges(&mut unit, id, &ranges, false);
        }
    }

    let mut sections = write::Sections::new(write::EndianVec::new(LittleEndian));
    out.write(&mut sections)?;
    let mut result = Vec::new();
    sections
        .for_each(|id, data| {
            if !data.slice().is_empty() {
                result.push(Section {
                    name: id.name(),
                    data: data.slice().to_vec(),
                });
            }
            Ok::<(), ()>(())
        })
        .map_err(|()| anyhow!("cannot collect the DWARF sections"))?;
    Ok(result)
}

/// A subprogram being converted, for the locations of its variables.
struct Scope {
    /// The subprogram entry's depth in the unit.
    depth: isize,
    /// Its function (an index in `Layout::funcs`), if it was compiled.
    func: Option<usize>,
    /// Its `DW_AT_frame_base` expression.
    frame_base: Option<Vec<u8>>,
}

/// Makes the native locations of variables (`locations`).
struct Variables<'a> {
    debug: &'a ModuleDebug<'a>,
    vm: VmPaths,
    /// The enclosing subprograms of the entry being converted, outermost
    /// first.
    scopes: Vec<Scope>,
    /// The kinds of each function's locals (by `Layout::funcs` index),
    /// read when one of its variables is first located.
    locals: HashMap<usize, Vec<LocalKind>>,
    /// Native location-list entries being made.
    entries: Vec<(u64, u64, Vec<u8>)>,
}

impl<'a> Variables<'a> {
    fn new(debug: &'a ModuleDebug<'a>) -> Variables<'a> {
        Variables {
            debug,
            vm: VmPaths::new(debug.info),
            scopes: Vec::new(),
            locals: HashMap::new(),
            entries: Vec::new(),
        }
    }

    /// Tracks the subprograms around `entry`, the entry just read.
    fn enter(
        &mut self,
        entry: &write::ConvertUnitEntry<'_, Reader<'_>>,
        layout: &Layout,
        code_end: u64,
    ) {
        while self.scopes.last().is_some_and(|s| s.depth >= entry.depth) {
            self.scopes.pop();
        }
        if entry.tag != constants::DW_TAG_subprogram {
            return;
        }
        let func = entry
            .read_unit
            .die_ranges(entry)
            .ok()
            .and_then(|mut ranges| {
                while let Ok(Some(range)) = ranges.next() {
                    if range.begin < range.end {
                        return layout.func_at(range.begin, code_end);
                    }
                }
                None
            });
        let frame_base = match entry.attr_value(constants::DW_AT_frame_base) {
            Some(gimli::AttributeValue::Exprloc(expr)) => Some(expr.0.slice().to_vec()),
            _ => None,
        };
        self.scopes.push(Scope {
            depth: entry.depth,
            func,
            frame_base,
        });
    }

    /// Gives `id` the native location of `entry`'s `DW_AT_location`, when
    /// `entry` is inside a compiled subprogram and the location is known
    /// somewhere in it. `ranges` is scratch space.
    fn locate(
        &mut self,
        unit: &mut write::ConvertUnit<'_, Reader<'_>>,
        id: write::UnitEntryId,
        entry: &write::ConvertUnitEntry<'_, Reader<'_>>,
        layout: &Layout,
        ranges: &mut Vec<(u64, u64)>,
    ) {
        let Some(scope) = self.scopes.iter().rev().find(|s| s.depth < entry.depth) else {
            return;
        };
        let Some(fi) = scope.func else {
            return;
        };
        let f = &layout.funcs[fi];
        let info = self.debug.info;
        let Some(defined) = f.func_index.checked_sub(info.num_imported_funcs) else {
            return;
        };
        let labels: &[ValueLabelRange] = self
            .debug
            .value_labels
            .get(defined as usize)
            .map_or(&[], |l| &l[..]);
        let locals = self.locals.entry(fi).or_insert_with(|| {
            local_kinds(info, self.debug.wasm, f.func_index).unwrap_or_default()
        });
        let cx = Context {
            locals,
            vm: &self.vm,
        };
        let encoding = entry.read_unit.encoding();
        let frame_base = scope.frame_base.as_deref();
        self.entries.clear();
        let add = |expr: &[u8], native: &[(u64, u64)], out: &mut Vec<_>| {
            if let Some(template) = Template::compile(expr, frame_base, encoding, &cx) {
                for &range in native {
                    template.entries(&cx, labels, f.native_start, range, out);
                }
            }
        };
        match entry.attr_value(constants::DW_AT_location) {
            Some(gimli::AttributeValue::Exprloc(expr)) => {
                add(
                    expr.0.slice(),
                    &[(f.native_start, f.native_end)],
                    &mut self.entries,
                );
            }
            Some(gimli::AttributeValue::LocationListsRef(offset)) => {
                let Ok(mut list) = entry.read_unit.locations(offset) else {
                    return;
                };
                while let Ok(Some(loc)) = list.next() {
                    if loc.range.begin >= loc.range.end {
                        continue;
                    }
                    ranges.clear();
                    layout.native_ranges(loc.range.begin, loc.range.end, ranges);
                    ranges.retain(|&(b, e)| b >= f.native_start && e <= f.native_end);
                    merge(ranges);
                    add(loc.data.0.slice(), ranges, &mut self.entries);
                }
            }
            _ => return,
        }
        if self.entries.is_empty() {
            return;
        }
        self.entries.sort_by_key(|e| (e.0, e.1));
        let list = write::LocationList(
            self.entries
                .drain(..)
                .map(|(begin, end, data)| write::Location::StartEnd {
                    begin: Address::Constant(begin),
                    end: Address::Constant(end),
                    data: write::Expression::raw(data),
                })
                .collect(),
        );
        let list = unit.unit.locations.add(list);
        unit.unit.get_mut(id).set(
            constants::DW_AT_location,
            AttributeValue::LocationListRef(list),
        );
    }
}

/// Copies the attributes of `entry` to `id`, except its ranges (which
/// `set_ranges` makes) and its wasm locations; an attribute gimli cannot
/// convert is left out.
fn convert_attributes<'a>(
    unit: &mut write::ConvertUnit<'_, Reader<'a>>,
    id: write::UnitEntryId,
    entry: &write::ConvertUnitEntry<'_, Reader<'a>>,
) {
    let is_pointer = matches!(
        entry.tag,
        constants::DW_TAG_pointer_type
            | constants::DW_TAG_reference_type
            | constants::DW_TAG_rvalue_reference_type
    );
    let address_size = entry.read_unit.encoding().address_size;
    if is_pointer && address_size != 8 && !entry.has_attr(constants::DW_AT_byte_size) {
        unit.unit.get_mut(id).set(
            constants::DW_AT_byte_size,
            AttributeValue::Udata(u64::from(address_size)),
        );
    }
    for attr in &entry.attrs {
        match attr.name() {
            constants::DW_AT_low_pc
            | constants::DW_AT_high_pc
            | constants::DW_AT_ranges
            | constants::DW_AT_location
            | constants::DW_AT_frame_base
            | constants::DW_AT_GNU_locviews => continue,
            _ => {}
        }
        // Other addresses (call sites' return addresses, entry pcs) are
        // wasm offsets with no single native counterpart: left out.
        if let Ok(value) = unit.convert_attribute_value(entry.read_unit, attr, &|_| None) {
            unit.unit.get_mut(id).set(attr.name(), value);
        }
    }
}

/// Gives `id` the native `ranges` (sorted, merged): `DW_AT_low_pc` and
/// `DW_AT_high_pc` for one range, `DW_AT_ranges` for several, nothing for
/// none. A unit always gets `DW_AT_ranges` and a zero `DW_AT_low_pc`: its
/// `DW_AT_low_pc` is the base address of every DWARF 4 range list in it,
/// which holds absolute addresses.
fn set_ranges(
    unit: &mut write::ConvertUnit<'_, Reader<'_>>,
    id: write::UnitEntryId,
    ranges: &[(u64, u64)],
    is_unit: bool,
) {
    if let ([(begin, end)], false) = (ranges, is_unit) {
        let attrs = unit.unit.get_mut(id);
        attrs.set(
            constants::DW_AT_low_pc,
            AttributeValue::Address(Address::Constant(*begin)),
        );
        attrs.set(constants::DW_AT_high_pc, AttributeValue::Udata(end - begin));
        return;
    }
    if ranges.is_empty() && !is_unit {
        return;
    }
    let list = RangeList(
        ranges
            .iter()
            .map(|&(begin, end)| write::Range::StartEnd {
                begin: Address::Constant(begin),
                end: Address::Constant(end),
            })
            .collect(),
    );
    let list = unit.unit.ranges.add(list);
    let attrs = unit.unit.get_mut(id);
    if is_unit {
        attrs.set(
            constants::DW_AT_low_pc,
            AttributeValue::Address(Address::Constant(0)),
        );
    }
    attrs.set(constants::DW_AT_ranges, AttributeValue::RangeListRef(list));
}

/// Adds the line rows of function `f` (whose address-map entries are
/// `entries`) to `program`, the line program of unit `unit` with the file
/// mapping `files`: one sequence, a row wherever the position changes.
fn add_sequence(
    program: &mut LineProgram,
    files: &[FileId],
    entries: &[Entry],
    f: &Func,
    rows: &[Row],
    unit: usize,
) {
    let mut emitted = false;
    let mut last: Option<(FileId, u64, u64)> = None;
    let mut last_file = None;
    for e in entries {
        let position = row_at(rows, e.wasm)
            .filter(|r| r.unit == unit && r.line != 0)
            .and_then(|r| Some((*files.get(r.file as usize)?, r.line, r.column, r.is_stmt)));
        let key = position.map(|(file, line, column, _)| (file, line, column));
        if emitted && key == last {
            continue;
        }
        let (file, line, column, is_stmt) = match position {
            Some(p) => p,
            // Code of no known position: line 0, unless nothing came
            // before it in the sequence (then it needs no row).
            None => match last_file {
                Some(file) => (file, 0, 0, false),
                None => continue,
            },
        };
        let row_offset = if emitted {
            e.native - f.native_start
        } else {
            // The function's prologue (before its first mapped
            // instruction) belongs to its first position, as a native
            // compiler's does to the function's opening line.
            program.begin_sequence(Some(Address::Constant(f.native_start)));
            emitted = true;
            0
        };
        let row = program.row();
        row.address_offset = row_offset;
        row.file = file;
        row.line = line;
        row.column = column;
        // A new line is a statement whatever the wasm row says: gdb puts
        // breakpoints only on statements.
        row.is_statement = is_stmt || last.is_none_or(|(_, l, _)| l != line);
        program.generate_row();
        last = key;
        last_file = Some(file);
    }
    if emitted {
        program.end_sequence(f.native_end - f.native_start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_they_touch_or_overlap() {
        let mut ranges = vec![(30, 40), (10, 20), (20, 25), (35, 50), (60, 61)];
        merge(&mut ranges);
        assert_eq!(ranges, [(10, 25), (30, 50), (60, 61)]);
    }

    /// Two functions, bodies at code-section offsets 10 and 40 (module
    /// offsets 110 and 140), published at region offsets 0 and 64.
    fn layout() -> Layout {
        let funcs = [
            FuncRange {
                start: 0,
                end: 48,
                func_index: 0,
                body_offset: 110,
            },
            FuncRange {
                start: 64,
                end: 80,
                func_index: 1,
                body_offset: 140,
            },
        ];
        // Function 0: wasm 12 at 8..16, wasm 20 at 16..30, wasm 14 at
        // 30..48 (the address map is in native order, not wasm order);
        // function 1: wasm 42 at 70..80.
        let map = [(8, 112), (16, 120), (30, 114), (70, 142)];
        Layout::new(0x1000, 100, &funcs, &map)
    }

    #[test]
    fn functions_are_found_by_their_body_offset() {
        let layout = layout();
        assert_eq!(layout.func_at(10, 60), Some(0));
        assert_eq!(layout.func_at(39, 60), Some(0));
        assert_eq!(layout.func_at(40, 60), Some(1));
        assert_eq!(layout.func_at(5, 60), None, "before the first body");
        // A dead-stripped function's tombstone address is past the code.
        assert_eq!(layout.func_at(0xffff_ffff, 60), None);
    }

    #[test]
    fn wasm_ranges_map_to_the_native_code_compiled_from_them() {
        let layout = layout();
        let mut ranges = Vec::new();
        layout.native_ranges(12, 15, &mut ranges);
        merge(&mut ranges);
        assert_eq!(ranges, [(0x1008, 0x1010), (0x101e, 0x1030)]);
        ranges.clear();
        layout.native_ranges(12, 50, &mut ranges);
        merge(&mut ranges);
        assert_eq!(ranges, [(0x1008, 0x1030), (0x1046, 0x1050)]);
        ranges.clear();
        layout.native_ranges(21, 40, &mut ranges);
        assert!(ranges.is_empty());
    }
}
