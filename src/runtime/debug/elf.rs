//! The in-memory object file a code region is described by to debuggers:
//! a little-endian ELF64 executable whose `.text` is the region itself, at
//! the address it runs from, with a symbol per function and the sections
//! given (DWARF, `.eh_frame`).
//!
//! `.text` is `SHT_NOBITS`: the debugger reads the code from the process,
//! so the image does not copy it. Everything in the image is absolute
//! (symbol values, DWARF addresses), as GDB's JIT reader expects ("the
//! object file has already been relocated"); one `PT_LOAD` segment covers
//! the code, for debuggers (LLDB) that look at segments.

/// One function of the region: its name and where its code lies.
pub struct Symbol<'a> {
    pub name: &'a str,
    pub address: u64,
    pub size: u64,
}

/// A section with contents, besides `.text` and the symbol table.
pub struct Section {
    pub name: &'static str,
    pub data: Vec<u8>,
}

const ELF_HEADER_SIZE: usize = 64;
const PROGRAM_HEADER_SIZE: usize = 56;
const SECTION_HEADER_SIZE: usize = 64;
const SYMBOL_SIZE: usize = 24;

const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_R: u32 = 4;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const STB_GLOBAL: u8 = 1;
const STT_FUNC: u8 = 2;
/// `.text` is the first section after the null one.
const TEXT_INDEX: u16 = 1;

/// The host's ELF `e_machine` (also the jitdump header's `elf_mach`).
pub(crate) fn machine() -> u16 {
    if cfg!(target_arch = "x86_64") {
        62 // EM_X86_64
    } else if cfg!(target_arch = "aarch64") {
        183 // EM_AARCH64
    } else if cfg!(target_arch = "riscv64") {
        243 // EM_RISCV
    } else if cfg!(target_arch = "s390x") {
        22 // EM_S390
    } else {
        0 // EM_NONE
    }
}

/// A string table being built: NUL-separated names, starting with "".
struct StringTable(Vec<u8>);

impl StringTable {
    fn new() -> StringTable {
        StringTable(vec![0])
    }

    /// Adds `name` (with interior NULs, which an ELF string cannot hold,
    /// replaced) and returns its offset.
    fn add(&mut self, name: &str) -> u32 {
        let at = self.0.len() as u32;
        self.0
            .extend(name.bytes().map(|b| if b == 0 { b'?' } else { b }));
        self.0.push(0);
        at
    }
}

struct SectionHeader {
    name: u32,
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

/// The ELF image of the code region `[text_addr, text_addr + text_size)`
/// with `symbols` (inside it) and `sections`.
pub fn image(
    text_addr: u64,
    text_size: u64,
    symbols: &[Symbol<'_>],
    sections: &[Section],
) -> Vec<u8> {
    let mut shstrtab = StringTable::new();
    let mut strtab = StringTable::new();
    let mut headers = vec![SectionHeader {
        name: 0,
        kind: 0,
        flags: 0,
        addr: 0,
        offset: 0,
        size: 0,
        link: 0,
        info: 0,
        align: 0,
        entsize: 0,
    }];
    let mut out = vec![0u8; ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE];
    let align = |out: &mut Vec<u8>, to: usize| out.resize(out.len().div_ceil(to) * to, 0);

    headers.push(SectionHeader {
        name: shstrtab.add(".text"),
        kind: SHT_NOBITS,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        addr: text_addr,
        offset: out.len() as u64,
        size: text_size,
        link: 0,
        info: 0,
        align: 16,
        entsize: 0,
    });
    for section in sections {
        align(&mut out, 8);
        headers.push(SectionHeader {
            name: shstrtab.add(section.name),
            kind: SHT_PROGBITS,
            flags: 0,
            addr: 0,
            offset: out.len() as u64,
            size: section.data.len() as u64,
            link: 0,
            info: 0,
            align: 1,
            entsize: 0,
        });
        out.extend_from_slice(&section.data);
    }

    // The symbol table: the null symbol, then one global function symbol
    // per function (no locals, so `sh_info`, the first non-local, is 1).
    align(&mut out, 8);
    let symtab_offset = out.len();
    out.extend_from_slice(&[0; SYMBOL_SIZE]);
    for symbol in symbols {
        out.extend_from_slice(&strtab.add(symbol.name).to_le_bytes());
        out.push((STB_GLOBAL << 4) | STT_FUNC);
        out.push(0); // st_other: default visibility
        out.extend_from_slice(&TEXT_INDEX.to_le_bytes());
        out.extend_from_slice(&symbol.address.to_le_bytes());
        out.extend_from_slice(&symbol.size.to_le_bytes());
    }
    let symtab_index = headers.len() as u32;
    headers.push(SectionHeader {
        name: shstrtab.add(".symtab"),
        kind: SHT_SYMTAB,
        flags: 0,
        addr: 0,
        offset: symtab_offset as u64,
        size: (out.len() - symtab_offset) as u64,
        link: symtab_index + 1,
        info: 1,
        align: 8,
        entsize: SYMBOL_SIZE as u64,
    });
    headers.push(SectionHeader {
        name: shstrtab.add(".strtab"),
        kind: SHT_STRTAB,
        flags: 0,
        addr: 0,
        offset: out.len() as u64,
        size: strtab.0.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    out.extend_from_slice(&strtab.0);
    let shstrtab_index = headers.len() as u16;
    let shstrtab_name = shstrtab.add(".shstrtab");
    headers.push(SectionHeader {
        name: shstrtab_name,
        kind: SHT_STRTAB,
        flags: 0,
        addr: 0,
        offset: out.len() as u64,
        size: shstrtab.0.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    out.extend_from_slice(&shstrtab.0);

    align(&mut out, 8);
    let shoff = out.len() as u64;
    for h in &headers {
        out.extend_from_slice(&h.name.to_le_bytes());
        out.extend_from_slice(&h.kind.to_le_bytes());
        out.extend_from_slice(&h.flags.to_le_bytes());
        out.extend_from_slice(&h.addr.to_le_bytes());
        out.extend_from_slice(&h.offset.to_le_bytes());
        out.extend_from_slice(&h.size.to_le_bytes());
        out.extend_from_slice(&h.link.to_le_bytes());
        out.extend_from_slice(&h.info.to_le_bytes());
        out.extend_from_slice(&h.align.to_le_bytes());
        out.extend_from_slice(&h.entsize.to_le_bytes());
    }

    // The ELF header.
    let mut header = Vec::with_capacity(ELF_HEADER_SIZE);
    header.extend_from_slice(b"\x7fELF");
    header.extend_from_slice(&[2, 1, 1, 0]); // ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE
    header.extend_from_slice(&[0; 8]); // ABI version, padding
    header.extend_from_slice(&ET_EXEC.to_le_bytes());
    header.extend_from_slice(&machine().to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes()); // e_version
    header.extend_from_slice(&0u64.to_le_bytes()); // e_entry
    header.extend_from_slice(&(ELF_HEADER_SIZE as u64).to_le_bytes()); // e_phoff
    header.extend_from_slice(&shoff.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    header.extend_from_slice(&(ELF_HEADER_SIZE as u16).to_le_bytes());
    header.extend_from_slice(&(PROGRAM_HEADER_SIZE as u16).to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    header.extend_from_slice(&(SECTION_HEADER_SIZE as u16).to_le_bytes());
    header.extend_from_slice(&(headers.len() as u16).to_le_bytes());
    header.extend_from_slice(&shstrtab_index.to_le_bytes());
    out[..ELF_HEADER_SIZE].copy_from_slice(&header);

    // The code's segment: in memory only (nothing of it is in the file).
    let mut phdr = Vec::with_capacity(PROGRAM_HEADER_SIZE);
    phdr.extend_from_slice(&PT_LOAD.to_le_bytes());
    phdr.extend_from_slice(&(PF_R | PF_X).to_le_bytes());
    phdr.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    phdr.extend_from_slice(&text_addr.to_le_bytes()); // p_vaddr
    phdr.extend_from_slice(&text_addr.to_le_bytes()); // p_paddr
    phdr.extend_from_slice(&0u64.to_le_bytes()); // p_filesz
    phdr.extend_from_slice(&text_size.to_le_bytes()); // p_memsz
    phdr.extend_from_slice(&16u64.to_le_bytes()); // p_align
    out[ELF_HEADER_SIZE..ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE].copy_from_slice(&phdr);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields `readelf`-style readers check first, read back.
    #[test]
    fn image_has_text_at_the_code_address_and_named_symbols() {
        let symbols = [
            Symbol {
                name: "f",
                address: 0x1000,
                size: 16,
            },
            Symbol {
                name: "g\0h",
                address: 0x1010,
                size: 8,
            },
        ];
        let sections = [Section {
            name: ".debug_line",
            data: vec![1, 2, 3],
        }];
        let elf = image(0x1000, 0x20, &symbols, &sections);
        assert_eq!(&elf[..4], b"\x7fELF");
        let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap());
        let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
        assert_eq!(u16_at(16), ET_EXEC);
        let shoff = u64_at(40) as usize;
        let shnum = u16_at(60) as usize;
        let shstrndx = u16_at(62) as usize;
        assert_eq!(
            shnum, 6,
            "null, .text, .debug_line, .symtab, .strtab, .shstrtab"
        );
        let section = |i: usize| shoff + i * SECTION_HEADER_SIZE;
        let names = u64_at(section(shstrndx) + 24) as usize;
        let name_of = |i: usize| {
            let at = names + u32_at(section(i)) as usize;
            let end = at + elf[at..].iter().position(|&b| b == 0).unwrap();
            std::str::from_utf8(&elf[at..end]).unwrap().to_string()
        };
        assert_eq!(name_of(1), ".text");
        assert_eq!(u32_at(section(1) + 4), SHT_NOBITS);
        assert_eq!(u64_at(section(1) + 16), 0x1000);
        assert_eq!(u64_at(section(1) + 32), 0x20);
        assert_eq!(name_of(2), ".debug_line");
        let data = u64_at(section(2) + 24) as usize;
        assert_eq!(&elf[data..data + 3], &[1, 2, 3]);
        assert_eq!(name_of(3), ".symtab");
        let symtab = u64_at(section(3) + 24) as usize;
        let strtab = u64_at(section(4) + 24) as usize;
        let second = symtab + 2 * SYMBOL_SIZE;
        let name = strtab + u32_at(second) as usize;
        assert_eq!(&elf[name..name + 4], b"g?h\0");
        assert_eq!(u16_at(second + 6), TEXT_INDEX);
        assert_eq!(u64_at(second + 8), 0x1010);
        assert_eq!(u64_at(second + 16), 8);
    }
}
