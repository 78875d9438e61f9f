//! The disclosure matrix (docs/disclosure.md): for each kind of record (a row) and each
//! platform profile (a column), whether the relay's database holds it, with a short sample of
//! what it holds. [`Matrix`] is the value; [`render_terminal`], [`render_markdown`] and
//! [`render_json`] are its three renderings, and [`replace_block`] puts the markdown one
//! between the markers of docs/disclosure.md.
//!
//! A row with fewer cells than there are columns renders the missing cells empty (JSON: the
//! profile is absent from its `cells`); cells past the last column are not rendered.

use std::fmt::Write as _;

use sotto_relay::disclose::markdown_cell;

/// The line before the matrix in a markdown document ([`replace_block`]).
pub const BEGIN_MARKER: &str = "<!-- matrix:begin -->";
/// The line after the matrix in a markdown document ([`replace_block`]).
pub const END_MARKER: &str = "<!-- matrix:end -->";

/// The disclosure matrix: one column per profile, one row per kind of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The profile names, in order.
    pub columns: Vec<String>,
    /// The rows, in order.
    pub rows: Vec<Row>,
}

/// One kind of record and, per profile, whether it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What the row is (`Subscriber identity`, `Message content`, ...).
    pub name: String,
    /// One cell per column, in the columns' order.
    pub cells: Vec<Cell>,
}

/// Whether the database holds a row's record under one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Held, with a short sample of what is held (`+15550100001`, `3 rows, 127.0.0.1`;
    /// empty when there is nothing short to show).
    Held(String),
    /// Not held.
    NotHeld,
}

impl Cell {
    /// The cell's words in the terminal: the sample (`held` when it is empty), or `not held`.
    fn terminal_text(&self) -> &str {
        match self {
            Self::Held(sample) if sample.trim().is_empty() => "held",
            Self::Held(sample) => sample,
            Self::NotHeld => "not held",
        }
    }
}

/// Whether standard output gets colour: it is a terminal, `NO_COLOR` is unset or empty
/// (<https://no-color.org>), and `TERM` is not `dumb`.
#[must_use]
pub fn colour_for_stdout() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb && std::io::stdout().is_terminal()
}

/// Spaces between two columns of the terminal rendering.
const GAP: usize = 2;
/// The narrowest a column of the terminal table gets; below that the rendering is a list.
const MIN_COLUMN: usize = 4;
/// The most lines a cell wraps to; the last is cut with `…` past it.
const MAX_CELL_LINES: usize = 3;

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// How one piece of text is coloured.
#[derive(Clone, Copy)]
enum Style {
    Plain,
    Header,
    Held,
    NotHeld,
}

impl Style {
    const fn of(cell: &Cell) -> Self {
        match cell {
            Cell::Held(_) => Self::Held,
            Cell::NotHeld => Self::NotHeld,
        }
    }

    const fn code(self) -> Option<&'static str> {
        match self {
            Self::Plain => None,
            Self::Header => Some(BOLD),
            Self::Held => Some(RED),
            Self::NotHeld => Some(GREEN),
        }
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `width` characters, its last one `…` when something was cut.
fn truncate(text: &str, width: usize) -> String {
    if chars(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `text` wrapped at spaces to lines of at most `width` (>= 1) characters, words longer
/// than a line split; at most [`MAX_CELL_LINES`] lines, the last ending in `…` when text
/// was left out. Always at least one line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let word: Vec<char> = word.chars().collect();
        for piece in word.chunks(width) {
            let piece: String = piece.iter().collect();
            let current_len = chars(&current);
            if current.is_empty() {
                current = piece;
            } else if current_len + 1 + chars(&piece) <= width {
                current.push(' ');
                current.push_str(&piece);
            } else {
                lines.push(std::mem::replace(&mut current, piece));
            }
        }
    }
    lines.push(current);
    if lines.len() > MAX_CELL_LINES {
        lines.truncate(MAX_CELL_LINES);
        if let Some(last) = lines.last_mut() {
            let mut cut: String = last.chars().take(width.saturating_sub(1)).collect();
            cut.push('…');
            *last = cut;
        }
    }
    lines
}

/// Column widths that fit `available` characters: each column gets what it needs when it
/// fits, else the space is shared so that narrow columns keep their width and the wide ones
/// split the rest. Every width is at least [`MIN_COLUMN`] (the caller checked that fits).
fn fit(needs: &[usize], available: usize) -> Vec<usize> {
    let needs: Vec<usize> = needs.iter().map(|n| (*n).max(MIN_COLUMN)).collect();
    if needs.iter().sum::<usize>() <= available {
        return needs;
    }
    let mut widths = vec![MIN_COLUMN; needs.len()];
    let mut remaining = available.saturating_sub(MIN_COLUMN * needs.len());
    // Each round gives every unsatisfied column an equal share (at least 1) until the space
    // or the needs run out: at most `available` rounds.
    for _ in 0..=available {
        let wanting: Vec<usize> = (0..needs.len()).filter(|&i| widths[i] < needs[i]).collect();
        if wanting.is_empty() || remaining == 0 {
            break;
        }
        let share = (remaining / wanting.len()).max(1);
        for i in wanting {
            let add = share.min(needs[i] - widths[i]).min(remaining);
            widths[i] += add;
            remaining -= add;
        }
    }
    widths
}

/// Appends `text` padded to `width`, coloured when `colour`; the padding stays outside the
/// colour codes.
fn push_cell(line: &mut String, text: &str, width: usize, style: Style, colour: bool) {
    match style.code() {
        Some(code) if colour && !text.is_empty() => {
            line.push_str(code);
            line.push_str(text);
            line.push_str(RESET);
        }
        _ => line.push_str(text),
    }
    line.push_str(&" ".repeat(width.saturating_sub(chars(text))));
}

/// The matrix as a table for a terminal of `width` characters: every line has at most
/// `width` characters (not counting colour codes), samples wrapped at spaces and cut with
/// `…` past three lines. Held cells show their sample in red, not-held cells
/// `not held` in green, only when `colour` is true ([`colour_for_stdout`]). Too narrow for
/// a table (less than 4 characters a column), the matrix is a list: each row's name, then
/// one `profile: sample` line per column, cut to `width`.
#[must_use]
pub fn render_terminal(matrix: &Matrix, width: usize, colour: bool) -> String {
    let n = matrix.columns.len();
    let gaps = GAP * n;
    if width < gaps + MIN_COLUMN * (n + 1) {
        return render_list(matrix, width, colour);
    }
    let mut needs = Vec::with_capacity(n + 1);
    needs.push(
        matrix
            .rows
            .iter()
            .map(|r| chars(&r.name))
            .max()
            .unwrap_or(0),
    );
    for (j, column) in matrix.columns.iter().enumerate() {
        let widest = matrix
            .rows
            .iter()
            .filter_map(|r| r.cells.get(j))
            .map(|c| chars(c.terminal_text()))
            .max()
            .unwrap_or(0);
        needs.push(widest.max(chars(column)));
    }
    let widths = fit(&needs, width - gaps);
    let mut out = String::new();
    let header: Vec<(String, Style)> = std::iter::once((String::new(), Style::Plain))
        .chain(matrix.columns.iter().map(|c| (c.clone(), Style::Header)))
        .collect();
    push_lines(&mut out, &header, &widths, colour);
    let rule = widths.iter().sum::<usize>() + gaps;
    out.push_str(&"-".repeat(rule));
    out.push('\n');
    for row in &matrix.rows {
        let cells: Vec<(String, Style)> = std::iter::once((row.name.clone(), Style::Plain))
            .chain((0..n).map(|j| match row.cells.get(j) {
                Some(cell) => (cell.terminal_text().to_owned(), Style::of(cell)),
                None => (String::new(), Style::Plain),
            }))
            .collect();
        push_lines(&mut out, &cells, &widths, colour);
    }
    out
}

/// One table row, its cells wrapped to their widths, as many lines as its tallest cell.
fn push_lines(out: &mut String, cells: &[(String, Style)], widths: &[usize], colour: bool) {
    let wrapped: Vec<Vec<String>> = cells
        .iter()
        .zip(widths)
        .map(|((text, _), w)| wrap(text, *w))
        .collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    for i in 0..height {
        let mut line = String::new();
        for (j, ((lines, (_, style)), w)) in wrapped.iter().zip(cells).zip(widths).enumerate() {
            if j > 0 {
                line.push_str(&" ".repeat(GAP));
            }
            let text = lines.get(i).map_or("", String::as_str);
            push_cell(&mut line, text, *w, *style, colour);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The list form of [`render_terminal`] for a terminal too narrow for the table.
fn render_list(matrix: &Matrix, width: usize, colour: bool) -> String {
    let mut out = String::new();
    for row in &matrix.rows {
        out.push_str(&truncate(&row.name, width));
        out.push('\n');
        for (column, cell) in matrix.columns.iter().zip(&row.cells) {
            let mut line = String::new();
            let prefix = truncate(&format!("  {column}: "), width);
            let text = truncate(cell.terminal_text(), width - chars(&prefix));
            line.push_str(&prefix);
            push_cell(&mut line, &text, 0, Style::of(cell), colour);
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The markdown of one cell: `held: SAMPLE` (`held` when the sample is empty) or
/// `not held`, escaped for a table.
fn markdown_text(cell: Option<&Cell>) -> String {
    match cell {
        Some(Cell::Held(sample)) if sample.trim().is_empty() => "held".to_owned(),
        Some(Cell::Held(sample)) => format!("held: {}", markdown_cell(sample)),
        Some(Cell::NotHeld) => "not held".to_owned(),
        None => String::new(),
    }
}

/// The matrix as a GitHub markdown table: a header `| record | PROFILE | ... |`, its
/// delimiter row, then one line per row with `held: SAMPLE` or `not held` in each cell;
/// `|`, `\` and line breaks in names and samples are escaped.
#[must_use]
pub fn render_markdown(matrix: &Matrix) -> String {
    let mut out = String::from("| record |");
    for column in &matrix.columns {
        let _ = write!(out, " {} |", markdown_cell(column));
    }
    out.push_str("\n| --- |");
    out.push_str(&" --- |".repeat(matrix.columns.len()));
    out.push('\n');
    for row in &matrix.rows {
        let _ = write!(out, "| {} |", markdown_cell(&row.name));
        for j in 0..matrix.columns.len() {
            let _ = write!(out, " {} |", markdown_text(row.cells.get(j)));
        }
        out.push('\n');
    }
    out
}

/// The matrix as JSON: `{"columns": [PROFILE, ...], "rows": [{"row": NAME, "cells":
/// {PROFILE: {"held": true, "sample": SAMPLE} | {"held": false, "sample": null}}}]}`.
#[must_use]
pub fn render_json(matrix: &Matrix) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = matrix
        .rows
        .iter()
        .map(|row| {
            let cells: serde_json::Map<String, serde_json::Value> = matrix
                .columns
                .iter()
                .zip(&row.cells)
                .map(|(column, cell)| {
                    let value = match cell {
                        Cell::Held(sample) => serde_json::json!({"held": true, "sample": sample}),
                        Cell::NotHeld => serde_json::json!({"held": false, "sample": null}),
                    };
                    (column.clone(), value)
                })
                .collect();
            serde_json::json!({"row": row.name, "cells": cells})
        })
        .collect();
    serde_json::json!({"columns": matrix.columns, "rows": rows})
}

/// `doc` with the lines between the first [`BEGIN_MARKER`] line and the next [`END_MARKER`]
/// line replaced by `block` (a line break added when it does not end with one); the marker
/// lines stay. `None` when `doc` lacks either marker line in that order. A marker line is
/// one whose text, spaces around it ignored, is the marker.
#[must_use]
pub fn replace_block(doc: &str, block: &str) -> Option<String> {
    let mut offset = 0;
    let mut inner_start = None;
    let mut inner_end = None;
    for line in doc.split_inclusive('\n') {
        let text = line.trim();
        if inner_start.is_none() {
            if text == BEGIN_MARKER {
                inner_start = Some(offset + line.len());
            }
        } else if text == END_MARKER {
            inner_end = Some(offset);
            break;
        }
        offset += line.len();
    }
    let (start, end) = (inner_start?, inner_end?);
    let mut out = String::with_capacity(doc.len() + block.len());
    out.push_str(doc.get(..start)?);
    out.push_str(block);
    if !block.is_empty() && !block.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(doc.get(end..)?);
    Some(out)
}

#[cfg(test)]
mod tests;
