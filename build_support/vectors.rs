//! The C API's vector types and their five functions each
//! (`wasm_<name>_vec_{new_empty,new_uninitialized,new,copy,delete}`),
//! generated into `src/capi/vec/generated.rs` from the table below. cbindgen
//! does not see macro output, so the file is written out and checked in;
//! every function forwards to the generic helpers of `src/capi/vec.rs`.

use crate::checked_in::CheckedIn;
use crate::docs;
use std::fmt::Write as _;

const GENERATED: &str = "src/capi/vec/generated.rs";
/// rustfmt's default line width, which the generated code follows.
const MAX_WIDTH: usize = 100;
/// Width of generated comments, as the hand-written ones were.
const DOC_WIDTH: usize = 76;

/// What a vector's elements are, which decides what its functions say.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    /// Plain bytes.
    Bytes,
    /// Owned objects, deep-copied.
    Owned,
    /// Handles to shared objects: a copy holds new handles.
    Handles,
    /// `wasm_val_t`s, which own their references.
    Values,
}

struct Kind {
    /// `wasm_<name>_vec_t`.
    name: &'static str,
    /// The element type behind the pointer (`wasm_<...>_t`) and the module
    /// that defines it; for bytes and values the element itself.
    elem: &'static str,
    elem_module: &'static str,
    family: Family,
    /// The element in words ("value type"), for the docs.
    noun: &'static str,
    /// The struct's doc comment.
    doc: &'static str,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "byte",
        elem: "wasm_byte_t",
        elem_module: "super",
        family: Family::Bytes,
        noun: "byte",
        doc: "An owned array of bytes: `size` elements at `data` (NULL when empty).",
    },
    Kind {
        name: "valtype",
        elem: "wasm_valtype_t",
        elem_module: "crate::capi::valtype",
        family: Family::Owned,
        noun: "value type",
        doc: "An owned array of owned value types (`wasm_valtype_t*` elements, which may be NULL).",
    },
    Kind {
        name: "functype",
        elem: "wasm_functype_t",
        elem_module: "crate::capi::functype",
        family: Family::Owned,
        noun: "function type",
        doc: "An owned array of owned function types.",
    },
    Kind {
        name: "globaltype",
        elem: "wasm_globaltype_t",
        elem_module: "crate::capi::globaltype",
        family: Family::Owned,
        noun: "global type",
        doc: "An owned array of owned global types.",
    },
    Kind {
        name: "tabletype",
        elem: "wasm_tabletype_t",
        elem_module: "crate::capi::tabletype",
        family: Family::Owned,
        noun: "table type",
        doc: "An owned array of owned table types.",
    },
    Kind {
        name: "memorytype",
        elem: "wasm_memorytype_t",
        elem_module: "crate::capi::memorytype",
        family: Family::Owned,
        noun: "memory type",
        doc: "An owned array of owned memory types.",
    },
    Kind {
        name: "externtype",
        elem: "wasm_externtype_t",
        elem_module: "crate::capi::externtype",
        family: Family::Owned,
        noun: "extern type",
        doc: "An owned array of owned extern types.",
    },
    Kind {
        name: "importtype",
        elem: "wasm_importtype_t",
        elem_module: "crate::capi::importtype",
        family: Family::Owned,
        noun: "import type",
        doc: "An owned array of owned import types (what `wasm_module_imports` fills).",
    },
    Kind {
        name: "exporttype",
        elem: "wasm_exporttype_t",
        elem_module: "crate::capi::exporttype",
        family: Family::Owned,
        noun: "export type",
        doc: "An owned array of owned export types (what `wasm_module_exports` fills).",
    },
    Kind {
        name: "val",
        elem: "wasm_val_t",
        elem_module: "crate::capi::val",
        family: Family::Values,
        noun: "value",
        doc: "An owned array of values; each element owns its reference (if any).",
    },
    Kind {
        name: "frame",
        elem: "wasm_frame_t",
        elem_module: "crate::capi::frame",
        family: Family::Handles,
        noun: "frame",
        doc: "An owned array of owned frames (a trap's backtrace, innermost first).",
    },
    Kind {
        name: "extern",
        elem: "wasm_extern_t",
        elem_module: "crate::capi::r#extern",
        family: Family::Handles,
        noun: "extern",
        doc: "An owned array of owned externs (an instance's imports or exports).",
    },
];

const DELETE_SAFETY: &str =
    "`vec` must be NULL or a vector made by this library and not freed since.";
const COPY_SAFETY: &str = "`src` must be NULL or a valid vector.";

impl Kind {
    fn vec_type(&self) -> String {
        format!("wasm_{}_vec_t", self.name)
    }

    /// The Rust type of one element.
    fn elem_type(&self) -> String {
        match self.family {
            Family::Bytes | Family::Values => self.elem.to_string(),
            Family::Owned | Family::Handles => format!("Option<Box<{}>>", self.elem),
        }
    }

    /// (doc, safety) of each function, in order.
    fn docs(&self) -> [(String, Option<String>); 5] {
        let noun = self.noun;
        let nouns = format!("{noun}s");
        let empty = (format!("Sets `out` to an empty {noun} vector."), None);
        let uninit_what = match self.family {
            Family::Bytes => "`size` zero bytes".to_string(),
            Family::Values => "`size` values, each `i32` zero".to_string(),
            Family::Owned | Family::Handles => "`size` NULL elements".to_string(),
        };
        let uninit = (
            format!(
                "Sets `out` to a new vector of {uninit_what}, owned by the caller \
                 (empty if the memory cannot be allocated)."
            ),
            None,
        );
        let new = match self.family {
            Family::Bytes => (
                "Sets `out` to a new vector holding a copy of the `size` bytes at `data`, \
                 owned by the caller (empty if `data` is NULL)."
                    .to_string(),
                "`data` must point at `size` readable bytes or be NULL.".to_string(),
            ),
            Family::Values => (
                "Sets `out` to a new vector of the `size` values at `data`, taking \
                 ownership of them and their references (empty if `data` is NULL)."
                    .to_string(),
                "`data` must point at `size` owned, initialised values or be NULL.".to_string(),
            ),
            Family::Owned | Family::Handles => (
                format!(
                    "Sets `out` to a new vector of the `size` {nouns} at `data`, taking \
                     ownership of each of them (empty if `data` is NULL)."
                ),
                format!(
                    "`data` must point at `size` owned {noun} pointers (each may be NULL) \
                     or be NULL."
                ),
            ),
        };
        let copy = match self.family {
            Family::Bytes => (
                "Sets `out` to a copy of the bytes of `src`, owned by the caller (empty \
                 if `src` is NULL)."
                    .to_string(),
                COPY_SAFETY.to_string(),
            ),
            Family::Values => (
                "Sets `out` to a copy of `src` owned by the caller, with new handles for \
                 the references (empty if `src` is NULL)."
                    .to_string(),
                "`src` must be NULL or a valid vector of initialised values.".to_string(),
            ),
            Family::Owned => (
                "Sets `out` to a deep copy of `src`, owned by the caller (empty if `src` \
                 is NULL; NULL elements stay NULL)."
                    .to_string(),
                COPY_SAFETY.to_string(),
            ),
            Family::Handles => (
                format!(
                    "Sets `out` to a copy of `src` holding new handles of the same {nouns}, \
                     owned by the caller (empty if `src` is NULL; NULL elements stay NULL)."
                ),
                COPY_SAFETY.to_string(),
            ),
        };
        let delete = match self.family {
            Family::Bytes => {
                "Frees the bytes of an owned vector and leaves it empty; NULL is ignored."
                    .to_string()
            }
            Family::Values => "Frees an owned vector and the references its values hold, \
                               leaving it empty; NULL is ignored."
                .to_string(),
            Family::Owned => format!(
                "Frees an owned vector and every {noun} in it, leaving it empty; NULL is ignored."
            ),
            Family::Handles => format!(
                "Frees an owned vector and every {noun} handle in it, leaving it empty; \
                 NULL is ignored."
            ),
        };
        [
            empty,
            uninit,
            (new.0, Some(new.1)),
            (copy.0, Some(copy.1)),
            (delete, Some(DELETE_SAFETY.to_string())),
        ]
    }
}

pub fn generate(checked_in: &mut CheckedIn) {
    checked_in.file(GENERATED, &generated_file());
}

fn push_doc(out: &mut String, doc: &str, safety: Option<&str>) {
    let mut paragraphs = vec![doc.to_string()];
    if let Some(safety) = safety {
        paragraphs.push("# Safety".to_string());
        paragraphs.push(safety.to_string());
    }
    // "# Safety" and its text are separate lines of one block, as rustdoc
    // writes them.
    let mut lines = Vec::new();
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i == 1 {
            lines.push("///".to_string());
        }
        for line in docs::wrap(paragraph, DOC_WIDTH - 4) {
            lines.push(format!("/// {line}"));
        }
    }
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
}

/// `pub [unsafe ]extern "C" fn name(params) {`, split as rustfmt does when
/// it does not fit on one line.
fn signature(out: &mut String, is_unsafe: bool, name: &str, params: &[String]) {
    let qualifier = if is_unsafe {
        "pub unsafe extern"
    } else {
        "pub extern"
    };
    let one_line = format!("{qualifier} \"C\" fn {name}({}) {{", params.join(", "));
    if one_line.len() <= MAX_WIDTH {
        out.push_str(&one_line);
        out.push('\n');
        return;
    }
    let _ = writeln!(out, "{qualifier} \"C\" fn {name}(");
    for param in params {
        let _ = writeln!(out, "    {param},");
    }
    out.push_str(") {\n");
}

fn generated_file() -> String {
    let mut out = String::from(
        "//! Generated by build.rs from the table in build_support/vectors.rs; do not edit.\n\
         //! Refresh with `WASM_RUNTIME_UPDATE_HEADERS=1 cargo build --release`.\n\
         //!\n\
         //! The vector types and their functions; see `src/capi/vec.rs`.\n\n",
    );
    let mut imports: Vec<String> = KINDS
        .iter()
        .filter(|k| k.elem_module != "super")
        .map(|k| format!("use {}::{};", k.elem_module, k.elem))
        .collect();
    imports.sort();
    out.push_str(
        "use super::{vec_copy, vec_delete, vec_new, vec_new_empty, vec_new_uninitialized};\n\
         use super::{wasm_byte_t, CVec};\n\n",
    );
    for line in imports {
        out.push_str(&line);
        out.push('\n');
    }

    for kind in KINDS {
        let vec = kind.vec_type();
        let elem = kind.elem_type();
        let _ = writeln!(out);
        push_doc(&mut out, kind.doc, None);
        let _ = writeln!(
            out,
            "#[repr(C)]\npub struct {vec} {{\n    /// Number of elements at `data`.\n    pub size: usize,\n    /// The first of `size` elements; NULL when `size` is 0.\n    pub data: *mut {elem},\n}}"
        );
        out.push('\n');
        let safety = format!(
            "SAFETY: `{vec}` is `#[repr(C)]` with the fields `size: usize` and \
             `data: *mut {elem}`, which the methods read and write, and nothing else."
        );
        for line in docs::wrap(&safety, DOC_WIDTH - 3) {
            let _ = writeln!(out, "// {line}");
        }
        let _ = writeln!(
            out,
            "unsafe impl CVec for {vec} {{\n    type Elem = {elem};\n\n    \
             fn raw_parts(&self) -> (usize, *mut {elem}) {{\n        (self.size, self.data)\n    }}\n\n    \
             fn from_raw_parts(size: usize, data: *mut {elem}) -> Self {{\n        \
             Self {{ size, data }}\n    }}\n}}"
        );
    }

    for kind in KINDS {
        let vec = kind.vec_type();
        let elem = kind.elem_type();
        let prefix = format!("wasm_{}_vec", kind.name);
        let [empty, uninit, new, copy, delete] = kind.docs();
        let _ = writeln!(
            out,
            "\n// ---------------------------------------------------------------------------\n\
             // {}\n",
            heading(kind)
        );

        push_doc(&mut out, &empty.0, None);
        out.push_str("#[no_mangle]\n");
        signature(
            &mut out,
            false,
            &format!("{prefix}_new_empty"),
            &[format!("out: Option<&mut {vec}>")],
        );
        out.push_str("    vec_new_empty(out)\n}\n\n");

        push_doc(&mut out, &uninit.0, None);
        out.push_str("#[no_mangle]\n");
        signature(
            &mut out,
            false,
            &format!("{prefix}_new_uninitialized"),
            &[
                format!("out: Option<&mut {vec}>"),
                "size: usize".to_string(),
            ],
        );
        out.push_str("    vec_new_uninitialized(out, size)\n}\n\n");

        for (function, (doc, safety), params, call) in [
            (
                "new",
                &new,
                vec![
                    format!("out: Option<&mut {vec}>"),
                    "size: usize".to_string(),
                    format!("data: *const {elem}"),
                ],
                "vec_new(out, size, data)",
            ),
            (
                "copy",
                &copy,
                vec![
                    format!("out: Option<&mut {vec}>"),
                    format!("src: Option<&{vec}>"),
                ],
                "vec_copy(out, src)",
            ),
            (
                "delete",
                &delete,
                vec![format!("vec: Option<&mut {vec}>")],
                "vec_delete(vec)",
            ),
        ] {
            push_doc(&mut out, doc, safety.as_deref());
            out.push_str("#[no_mangle]\n");
            signature(&mut out, true, &format!("{prefix}_{function}"), &params);
            let _ = writeln!(
                out,
                "    // SAFETY: forwarded from the caller.\n    unsafe {{ {call} }}\n}}"
            );
            if function != "delete" {
                out.push('\n');
            }
        }
    }
    out
}

/// "Value type vectors".
fn heading(kind: &Kind) -> String {
    let mut noun = kind.noun.to_string();
    if let Some(first) = noun.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format!("{noun} vectors")
}
