//! Reads the option table (`src/config/table.rs`) into plain rows.
//!
//! The table is Rust syntax: this module defines the `options!` and
//! `proposals!` macros it invokes and `include!`s it, so rustc parses the
//! rows and reports a malformed one at its line. The macros only
//! `stringify!` the types and expressions; the crate sees them again, type
//! checked, in the code generated from these rows.

/// One option of the table; see the table's header for the meaning.
pub struct OptionRow {
    pub name: &'static str,
    pub doc: String,
    /// The `Config` field the option is stored in, if any.
    pub field: Option<&'static str>,
    pub ty: &'static str,
    /// The default expression, present when this row declares its field.
    pub default: Option<&'static str>,
    pub shown: Option<&'static str>,
    pub custom_access: bool,
    pub c_arg: Option<&'static str>,
    pub status: Status,
    pub refused: Option<&'static str>,
    pub requires: Vec<&'static str>,
    pub code: Code,
    pub proposal: Option<ProposalSpec>,
    pub notes: &'static str,
}

/// A proposal an option enables.
pub struct ProposalSpec {
    pub key: &'static str,
    pub name: &'static str,
    pub flags: Vec<&'static str>,
    pub operators: Vec<&'static str>,
}

/// A proposal no option controls.
pub struct FixedProposal {
    pub ident: &'static str,
    pub doc: String,
    pub name: &'static str,
    pub flags: Vec<&'static str>,
    pub operators: Vec<&'static str>,
    pub always: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Works,
    ValidatedOnly,
    OffOnly,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Code {
    No,
    Value,
    Isa,
}

impl Status {
    fn parse(text: &str) -> Status {
        match text {
            "works" => Status::Works,
            "validated_only" => Status::ValidatedOnly,
            "off_only" => Status::OffOnly,
            other => panic!("option table: unknown status `{other}`"),
        }
    }

    /// As the README writes it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Works => "works",
            Status::ValidatedOnly => "validated only",
            Status::OffOnly => "off only",
        }
    }

    /// The variant of `config::Status`.
    pub fn variant(self) -> &'static str {
        match self {
            Status::Works => "Works",
            Status::ValidatedOnly => "ValidatedOnly",
            Status::OffOnly => "OffOnly",
        }
    }
}

impl Code {
    fn parse(text: &str) -> Code {
        match text {
            "no" => Code::No,
            "value" => Code::Value,
            "isa" => Code::Isa,
            other => panic!("option table: unknown code shaping `{other}`"),
        }
    }

    /// The variant of `config::CodeShaping`.
    pub fn variant(self) -> &'static str {
        match self {
            Code::No => "No",
            Code::Value => "Value",
            Code::Isa => "Isa",
        }
    }
}

impl OptionRow {
    /// The default as documentation shows it.
    pub fn shown_default(&self, rows: &[OptionRow]) -> String {
        if let Some(shown) = self.shown {
            return shown.to_string();
        }
        let default = self.default.or_else(|| {
            let field = self.field?;
            rows.iter()
                .find(|r| r.field == Some(field) && r.default.is_some())?
                .default
        });
        default.unwrap_or("none").to_string()
    }

    /// The C setter's argument type when it is generated (bool, usize or
    /// u64), else `None` (the setter is hand-written).
    pub fn generated_c_arg(&self) -> Option<&'static str> {
        let arg = self.c_arg.unwrap_or(self.ty);
        matches!(arg, "bool" | "usize" | "u64").then_some(arg)
    }

    /// The name of the C setter.
    pub fn c_setter(&self) -> String {
        format!("wasm_config_{}_set", self.name)
    }
}

/// Joins `///` lines into one paragraph.
fn join_doc(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The item of an optional table entry (`$(...)?` expands to zero or one).
fn first(items: &[&'static str]) -> Option<&'static str> {
    items.first().copied()
}

macro_rules! options {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident {
            $(field: $field:ident,)?
            ty: $ty:ty $(= $default:expr)?,
            $(shown: $shown:literal,)?
            $(access: $access:ident,)?
            $(c_arg: $c_arg:ty,)?
            status: $status:ident,
            $(refused: $refused:literal,)?
            $(requires: [$($req:ident),* $(,)?],)?
            code: $code:ident,
            $(proposal: {
                key: $pkey:literal,
                name: $pname:literal,
                flags: [$($flag:ident),* $(,)?],
                operators: [$($group:ident),* $(,)?] $(,)?
            },)?
            $(notes: $notes:literal,)?
        }
    )*) => {
        /// The option rows, in table order.
        pub fn options() -> Vec<OptionRow> {
            vec![$(
                OptionRow {
                    name: stringify!($name),
                    doc: join_doc(&[$($doc),+]),
                    field: first(&[$(stringify!($field))?]).or_else(|| {
                        // Without `field:`, a row with a default stores
                        // under its own name; one without has no storage.
                        first(&[$(stringify!($default))?]).map(|_| stringify!($name))
                    }),
                    ty: stringify!($ty),
                    default: first(&[$(stringify!($default))?]),
                    shown: first(&[$($shown)?]),
                    custom_access: first(&[$(stringify!($access))?]).map(|a| match a {
                        "custom" => true,
                        "plain" => false,
                        other => panic!("option table: unknown access `{other}`"),
                    }).unwrap_or(false),
                    c_arg: first(&[$(stringify!($c_arg))?]),
                    status: Status::parse(stringify!($status)),
                    refused: first(&[$($refused)?]),
                    requires: vec![$($(stringify!($req)),*)?],
                    code: Code::parse(stringify!($code)),
                    proposal: None $(.or(Some(ProposalSpec {
                        key: $pkey,
                        name: $pname,
                        flags: vec![$(stringify!($flag)),*],
                        operators: vec![$(stringify!($group)),*],
                    })))?,
                    notes: first(&[$($notes)?]).unwrap_or(""),
                },
            )*]
        }
    };
}

macro_rules! proposals {
    ($(
        $(#[doc = $doc:literal])+
        $ident:ident {
            name: $name:literal,
            flags: [$($flag:ident),* $(,)?],
            operators: [$($group:ident),* $(,)?],
            support: $support:ident $(,)?
        }
    )*) => {
        /// The proposals no option controls, in table order.
        pub fn fixed_proposals() -> Vec<FixedProposal> {
            vec![$(
                FixedProposal {
                    ident: stringify!($ident),
                    doc: join_doc(&[$($doc),+]),
                    name: $name,
                    flags: vec![$(stringify!($flag)),*],
                    operators: vec![$(stringify!($group)),*],
                    always: match stringify!($support) {
                        "always" => true,
                        "never" => false,
                        other => panic!("option table: unknown support `{other}`"),
                    },
                },
            )*]
        }
    };
}

include!("../src/config/table.rs");

/// Checks what rustc cannot: names that must refer to other rows.
pub fn check(rows: &[OptionRow]) -> Vec<String> {
    let mut problems = Vec::new();
    for row in rows {
        for required in &row.requires {
            match rows.iter().find(|r| r.name == *required) {
                None => problems.push(format!(
                    "option table: `{}` requires unknown option `{required}`",
                    row.name
                )),
                Some(r) if r.ty != "bool" || row.ty != "bool" => problems.push(format!(
                    "option table: `{}` requires `{required}`: only booleans can require each other",
                    row.name
                )),
                Some(_) => {}
            }
        }
        if let Some(field) = row.field {
            let owners = rows
                .iter()
                .filter(|r| r.field == Some(field) && r.default.is_some())
                .count();
            if owners != 1 {
                problems.push(format!(
                    "option table: field `{field}` of `{}` is declared with a default by {owners} rows (needs exactly 1)",
                    row.name
                ));
            }
            if rows
                .iter()
                .any(|r| r.field == Some(field) && r.ty != row.ty)
            {
                problems.push(format!(
                    "option table: rows sharing field `{field}` disagree on its type"
                ));
            }
        }
        if row.refused.is_some() && (row.status != Status::OffOnly || row.ty != "bool") {
            problems.push(format!(
                "option table: `{}` has `refused` but is not an off-only boolean",
                row.name
            ));
        }
        if !row.custom_access && row.field != Some(row.name) {
            problems.push(format!(
                "option table: `{}` has generated accessors but no field of its own name",
                row.name
            ));
        }
    }
    problems
}
