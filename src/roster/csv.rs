//! A small RFC 4180 CSV reader for roster exports: quoted fields, doubled quotes, commas and line
//! breaks inside quotes, `\r\n` or `\n` line ends and an Excel byte-order mark.
//!
//! It records the line each row starts on so a roster error can say "line 12" the way a
//! spreadsheet user will look for it.

/// One non-blank row of a CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CsvRow {
    /// 1-based line the row starts on.
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits `text` into rows of fields. Blank lines are skipped. Errors name the line.
pub(super) fn read_rows(text: &str) -> Result<Vec<CsvRow>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = RowReader {
        line: 1,
        row_line: 1,
        ..RowReader::default()
    };
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        if reader.in_quotes {
            match character {
                '"' if characters.peek() == Some(&'"') => {
                    characters.next();
                    reader.field.push('"');
                }
                '"' => {
                    reader.in_quotes = false;
                    reader.after_closing_quote = true;
                }
                '\n' => {
                    reader.line += 1;
                    reader.field.push('\n');
                }
                other => reader.field.push(other),
            }
            continue;
        }
        match character {
            ',' => reader.end_field(),
            // `\r\n` ends a line at the `\n`; a lone `\r` is kept as text rather than guessed at.
            '\r' if characters.peek() == Some(&'\n') => {}
            '\n' => {
                reader.end_row();
                reader.line += 1;
                reader.row_line = reader.line;
            }
            _ if reader.after_closing_quote => {
                return Err(format!(
                    "line {}: text after the closing quote of a field",
                    reader.line
                ));
            }
            '"' if reader.field.is_empty() => {
                reader.in_quotes = true;
                reader.field_was_quoted = true;
                reader.quote_line = reader.line;
            }
            other => reader.field.push(other),
        }
    }
    if reader.in_quotes {
        return Err(format!(
            "line {}: a quoted field is never closed",
            reader.quote_line
        ));
    }
    reader.end_row();
    Ok(reader.rows)
}

/// Parser state between characters.
#[derive(Default)]
struct RowReader {
    rows: Vec<CsvRow>,
    fields: Vec<String>,
    field: String,
    /// 1-based line being read.
    line: usize,
    /// Line the current row started on.
    row_line: usize,
    /// Line of the quote that opened the current quoted field.
    quote_line: usize,
    in_quotes: bool,
    after_closing_quote: bool,
    field_was_quoted: bool,
    row_had_quotes: bool,
}

impl RowReader {
    fn end_field(&mut self) {
        self.fields.push(std::mem::take(&mut self.field));
        self.row_had_quotes |= self.field_was_quoted;
        self.after_closing_quote = false;
        self.field_was_quoted = false;
    }

    fn end_row(&mut self) {
        self.end_field();
        let fields = std::mem::take(&mut self.fields);
        // A row that is one unquoted empty field is an empty line, not a member.
        let blank = !self.row_had_quotes && fields.len() == 1 && fields[0].trim().is_empty();
        self.row_had_quotes = false;
        if !blank {
            self.rows.push(CsvRow {
                line: self.row_line,
                fields,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        read_rows(text)
            .expect("valid csv")
            .into_iter()
            .map(|row| row.fields)
            .collect()
    }

    #[test]
    fn plain_rows_split_on_commas() {
        assert_eq!(
            fields("a,b,c\n1,2,3\n"),
            vec![vec!["a", "b", "c"], vec!["1", "2", "3"]]
        );
        assert_eq!(fields("a,,c"), vec![vec!["a", "", "c"]]);
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let rows = fields("\"Doe, Jane\",\"say \"\"hi\"\"\",\"two\nlines\"\n");
        assert_eq!(rows, vec![vec!["Doe, Jane", "say \"hi\"", "two\nlines"]]);
    }

    #[test]
    fn windows_line_ends_and_byte_order_mark_are_ignored() {
        assert_eq!(
            fields("\u{feff}a,b\r\n1,2\r\n"),
            vec![vec!["a", "b"], vec!["1", "2"]]
        );
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_are_counted() {
        let rows = read_rows("h\n\n\"x\ny\"\n\nz\n").expect("valid csv");
        let lines: Vec<usize> = rows.iter().map(|row| row.line).collect();
        assert_eq!(lines, vec![1, 3, 6]);
    }

    #[test]
    fn an_empty_quoted_field_is_a_row() {
        assert_eq!(fields("\"\"\n"), vec![vec![""]]);
    }

    #[test]
    fn unclosed_quote_names_its_line() {
        let error = read_rows("a,b\n1,\"open\n2,3\n").expect_err("unclosed");
        assert_eq!(error, "line 2: a quoted field is never closed");
    }

    #[test]
    fn text_after_a_closing_quote_is_refused() {
        let error = read_rows("a,b\n\"x\"y,2\n").expect_err("stray text");
        assert_eq!(error, "line 2: text after the closing quote of a field");
    }
}
