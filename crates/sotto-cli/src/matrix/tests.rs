//! Unit tests of the matrix renderings.

use super::*;

fn sample() -> Matrix {
    let held = |s: &str| Cell::Held(s.to_owned());
    Matrix {
        columns: ["transport", "e2ee", "traceable", "sealed", "sotto"]
            .map(str::to_owned)
            .to_vec(),
        rows: vec![
            Row {
                name: "Subscriber identity".into(),
                cells: vec![
                    held("+15550100001"),
                    held("+15550100001"),
                    held("+15550100001"),
                    held("+15550100001"),
                    Cell::NotHeld,
                ],
            },
            Row {
                name: "Originator of a forwarded message".into(),
                cells: vec![
                    held("searchable plaintext in messages.body | 4 rows"),
                    Cell::NotHeld,
                    held("3 rows, 127.0.0.1, an_unbreakably_long_sample_without_any_space_at_all"),
                    Cell::NotHeld,
                    held(""),
                ],
            },
        ],
    }
}

/// `text` without its ANSI colour codes.
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_terminal_table_fits_its_width() {
    let m = sample();
    for width in [200, 100, 80, 60, 40, 34, 33, 20, 10, 3, 1, 0] {
        for colour in [false, true] {
            let text = render_terminal(&m, width, colour);
            for line in text.lines() {
                assert!(
                    strip(line).chars().count() <= width,
                    "width {width}: {line:?} in\n{text}"
                );
            }
            if !colour {
                assert!(!text.contains('\x1b'), "{text:?}");
            } else if width >= 20 {
                assert!(text.contains('\x1b'), "width {width}: {text:?}");
            }
        }
    }
    let wide = render_terminal(&m, 100, false);
    assert!(wide.contains("+15550100001"), "{wide}");
    assert!(wide.contains("not held"));
    assert!(wide.contains("transport"));
    assert!(wide.contains('…'), "the long word is cut: {wide}");
    // Every profile's sample, not only the first.
    assert_eq!(wide.matches("+15550100001").count(), 4, "{wide}");
}

#[test]
fn colour_marks_held_and_not_held() {
    let text = render_terminal(&sample(), 100, true);
    assert!(
        text.contains(&format!("{RED}+15550100001{RESET}")),
        "{text:?}"
    );
    assert!(
        text.contains(&format!("{GREEN}not held{RESET}")),
        "{text:?}"
    );
    assert_eq!(strip(&text), render_terminal(&sample(), 100, false));
}

#[test]
fn wrapping_keeps_words_and_cuts_the_rest() {
    assert_eq!(wrap("3 rows, 127.0.0.1", 10), ["3 rows,", "127.0.0.1"]);
    assert_eq!(wrap("", 5), [""]);
    assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    assert_eq!(wrap("abcdefghijklmnop", 4), ["abcd", "efgh", "ijk…"]);
    assert_eq!(truncate("abcdef", 4), "abc…");
    assert_eq!(truncate("abc", 4), "abc");
    assert_eq!(fit(&[10, 10], 30), [10, 10]);
    assert_eq!(fit(&[5, 40, 40], 45), [5, 20, 20]);
}

#[test]
fn markdown_is_a_github_table_with_escaped_cells() {
    let md = render_markdown(&sample());
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "| record | transport | e2ee | traceable | sealed | sotto |"
    );
    assert_eq!(lines[1], "| --- | --- | --- | --- | --- | --- |");
    assert_eq!(
        lines[2],
        "| Subscriber identity | held: +15550100001 | held: +15550100001 | held: +15550100001 | held: +15550100001 | not held |"
    );
    assert!(lines[3].contains("| held: searchable plaintext in messages.body \\| 4 rows |"));
    assert!(lines[3].ends_with("| not held | held |"), "{}", lines[3]);
    assert_eq!(lines.len(), 4);
    // Every line has one more unescaped `|` than it has cells.
    for line in &lines {
        assert_eq!(line.replace("\\|", "").matches('|').count(), 7, "{line}");
    }
}

#[test]
fn json_has_columns_and_cells_by_profile() {
    let json = render_json(&sample());
    assert_eq!(json["columns"][0], "transport");
    assert_eq!(json["columns"].as_array().unwrap().len(), 5);
    let row = &json["rows"][0];
    assert_eq!(row["row"], "Subscriber identity");
    assert_eq!(row["cells"]["e2ee"]["held"], true);
    assert_eq!(row["cells"]["e2ee"]["sample"], "+15550100001");
    assert_eq!(row["cells"]["sotto"]["held"], false);
    assert!(row["cells"]["sotto"]["sample"].is_null());
    assert_eq!(json["rows"][1]["cells"]["sotto"]["sample"], "");
    assert_eq!(json["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn replace_block_round_trips() {
    let doc = "# Title\n<!-- matrix:begin -->\nold line\n<!-- matrix:end -->\nrest\n";
    let block = render_markdown(&sample());
    let new = replace_block(doc, &block).unwrap();
    assert_eq!(
        new,
        format!("# Title\n<!-- matrix:begin -->\n{block}<!-- matrix:end -->\nrest\n")
    );
    assert_eq!(replace_block(&new, &block).unwrap(), new);
    assert_eq!(replace_block(&new, "old line").unwrap(), doc);
    assert_eq!(
        replace_block(doc, "").unwrap(),
        "# Title\n<!-- matrix:begin -->\n<!-- matrix:end -->\nrest\n"
    );
    // The project's document has the markers.
    assert!(replace_block(include_str!("../../../../docs/disclosure.md"), &block).is_some());
}

#[test]
fn replace_block_needs_both_markers_in_order() {
    assert_eq!(replace_block("no markers\n", "x"), None);
    assert_eq!(replace_block("<!-- matrix:begin -->\nx\n", "x"), None);
    assert_eq!(replace_block("<!-- matrix:end -->\nx\n", "x"), None);
    assert_eq!(
        replace_block("<!-- matrix:end -->\n<!-- matrix:begin -->\n", "x"),
        None
    );
}
