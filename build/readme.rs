//! README.md's option table, between
//! `<!-- begin options-table ... -->` and `<!-- end options-table -->`.

use crate::checked_in::{CheckedIn, Markers};
use crate::docs;
use crate::table::{Code, OptionRow};

const README: &str = "README.md";

const MARKERS: Markers = Markers {
    open: "<!-- begin ",
    end: |name| format!("<!-- end {name} -->"),
};

pub fn generate(rows: &[OptionRow], checked_in: &mut CheckedIn) {
    let content = |name: &str| (name == "options-table").then(|| table(rows));
    let found = checked_in.regions(README, &MARKERS, &content);
    if found != ["options-table"] {
        checked_in.problem(format!(
            "{README}: expected one `<!-- begin options-table -->` region, found {found:?}"
        ));
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table(rows: &[OptionRow]) -> Vec<String> {
    let mut lines = vec![
        "| # | Option | C setter | Default | Status | Shapes code | Notes |".to_string(),
        "|---|--------|----------|---------|--------|-------------|-------|".to_string(),
    ];
    for (i, row) in rows.iter().enumerate() {
        let cells = [
            (i + 1).to_string(),
            format!("`{}`", row.name),
            format!("`{}`", row.c_setter()),
            cell(&row.shown_default(rows)),
            row.status.label().to_string(),
            match row.code {
                Code::No => String::new(),
                Code::Value => "yes".to_string(),
                Code::Isa => "yes, via the ISA".to_string(),
            },
            cell(&docs::notes(row)),
        ];
        let mut line = String::from("|");
        for cell in cells {
            if !cell.is_empty() {
                line.push(' ');
                line.push_str(&cell);
            }
            line.push_str(" |");
        }
        lines.push(line);
    }
    lines
}
