//! Plain-text tables for the terminal: the per-source summary after `bulletin fetch`,
//! and the source list. Columns are padded by display characters, not bytes.

use crate::model::{FetchOutcome, FetchRecord};

/// Lays out rows under a header, two spaces between columns; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 < columns {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            } else {
                text.push_str(cell);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// "1 source", "2 sources": a count with its noun in the right number.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary of a fetch pass: one line per source, then the totals.
pub fn fetch_summary(records: &[FetchRecord]) -> String {
    let mut sorted: Vec<&FetchRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    let rows: Vec<Vec<String>> = sorted
        .iter()
        .map(|r| {
            let result = match r.outcome {
                FetchOutcome::Ok | FetchOutcome::Unchanged if r.warnings.is_some() => "WARNING",
                FetchOutcome::Ok => "ok",
                FetchOutcome::Unchanged => "unchanged",
                FetchOutcome::NotModified => "not modified",
                FetchOutcome::Failed => "FAILED",
            };
            vec![
                r.source_id.clone(),
                result.to_string(),
                r.http_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.items_found.to_string(),
                r.items_new.to_string(),
                r.items_updated.to_string(),
                format!("{} ms", r.duration_ms),
                r.error
                    .clone()
                    .or_else(|| {
                        r.warnings
                            .as_ref()
                            .map(|w| format!("read with warnings: {w}"))
                    })
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "SOURCE", "RESULT", "HTTP", "ITEMS", "NEW", "UPDATED", "TIME", "DETAIL",
        ],
        &rows,
    );
    let of = |o| records.iter().filter(|r| r.outcome == o).count();
    let warned = records
        .iter()
        .filter(|r| r.outcome != FetchOutcome::Failed && r.warnings.is_some())
        .count();
    out.push_str(&format!(
        "\n{}: {} ok, {} unchanged, {} not modified, {} failed ({warned} read with warnings); {} new and {} updated {}\n",
        count(records.len(), "source", "sources"),
        of(FetchOutcome::Ok),
        of(FetchOutcome::Unchanged),
        of(FetchOutcome::NotModified),
        of(FetchOutcome::Failed),
        records.iter().map(|r| r.items_new).sum::<u32>(),
        records.iter().map(|r| r.items_updated).sum::<u32>(),
        if records.iter().map(|r| r.items_new + r.items_updated).sum::<u32>() == 1 {
            "item"
        } else {
            "items"
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_characters() {
        let rows = vec![
            vec!["é-source".to_string(), "ok".into()],
            vec!["b".into(), "FAILED".into()],
        ];
        assert_eq!(
            table(&["SOURCE", "RESULT"], &rows),
            "SOURCE    RESULT\né-source  ok\nb         FAILED\n"
        );
    }
}
