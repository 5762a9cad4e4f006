//! Plain-text tables for a terminal: a header, then one line per row, every column but the
//! last padded to its widest cell (counted in characters), two spaces apart.

use std::fmt::Write;

/// The table; `paint(row, column, padded cell)` may wrap a cell in colour (the header is never
/// painted, and padding is done first, so colour codes do not count toward widths).
pub fn render<const N: usize>(
    head: [&str; N],
    rows: &[[String; N]],
    paint: &dyn Fn(usize, usize, String) -> String,
) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..N).map(width).collect();
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(&cell);
        }
        out
    };
    let pad = |i: usize, cell: &str| {
        if i + 1 == N {
            cell.to_string()
        } else {
            format!("{cell:<w$}", w = widths[i])
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        line(head.iter().enumerate().map(|(i, h)| pad(i, h)).collect())
    );
    for (r, row) in rows.iter().enumerate() {
        let cells = row
            .iter()
            .enumerate()
            .map(|(i, c)| paint(r, i, pad(i, c)))
            .collect();
        let _ = writeln!(out, "{}", line(cells));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_and_colour_does_not_count() {
        let rows = [
            ["a".to_string(), "DOWN".to_string(), "why".to_string()],
            ["long-name".to_string(), "UP".to_string(), "é".to_string()],
        ];
        let out = super::render(["T", "STATE", "WHY"], &rows, &|_, c, s| {
            if c == 1 { format!("<{s}>") } else { s }
        });
        assert_eq!(
            out,
            "T          STATE  WHY\na          <DOWN >  why\nlong-name  <UP   >  é\n"
        );
    }
}
