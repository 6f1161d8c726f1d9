//! The text every generated place says about an option: the Rust accessor
//! docs, the C setter docs and the README row all come from here, so they
//! cannot drift apart.

use crate::table::{Code, OptionRow, Status};

/// What the status means for a user, or `None` for options that work.
pub fn status_sentence(row: &OptionRow) -> Option<&'static str> {
    match row.status {
        Status::Works => None,
        Status::ValidatedOnly => Some(
            "Validated only: accepted and checked when the engine is created, \
             but this build does not act on it yet.",
        ),
        Status::OffOnly => Some(
            "Off only: this build lacks the feature; engine creation refuses a \
             request for it, naming the option.",
        ),
    }
}

/// The README's notes: the required options, then the row's notes.
pub fn notes(row: &OptionRow) -> String {
    let mut parts = Vec::new();
    if !row.requires.is_empty() {
        let required: Vec<String> = row.requires.iter().map(|r| format!("`{r}`")).collect();
        parts.push(format!("requires {}", required.join(" and ")));
    }
    if !row.notes.is_empty() {
        parts.push(row.notes.to_string());
    }
    parts.join("; ")
}

/// The option's description in paragraphs: what it does and its default,
/// then its status and notes.
pub fn paragraphs(row: &OptionRow, rows: &[OptionRow]) -> Vec<String> {
    let mut first = format!("{} Default: {}.", row.doc, row.shown_default(rows));
    let notes = notes(row);
    if !notes.is_empty() {
        first.push(' ');
        first.push_str(&sentence(&notes));
    }
    if row.code != Code::No {
        first.push_str(" Compiled code depends on it: serialized modules record it.");
    }
    let mut out = vec![first];
    if let Some(status) = status_sentence(row) {
        out.push(status.to_string());
    }
    out
}

/// `text` as a sentence: capitalized, ending with a period.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Doc comment lines (`{indent}/// ...`) for `paragraphs`, wrapped at
/// `width` columns, with an empty `///` line between paragraphs.
pub fn doc_comment(paragraphs: &[String], indent: &str, width: usize) -> Vec<String> {
    let prefix = format!("{indent}///");
    let mut lines = Vec::new();
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i > 0 {
            lines.push(prefix.clone());
        }
        for line in wrap(paragraph, width.saturating_sub(prefix.len() + 1)) {
            lines.push(format!("{prefix} {line}"));
        }
    }
    lines
}

/// Greedy word wrap; a word longer than `width` gets a line of its own.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
