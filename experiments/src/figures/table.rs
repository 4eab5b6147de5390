//! Reading a results CSV for a figure, with errors that name the file, the line and what was
//! expected (exit code 2: the folder is bad input), never a panic.

use std::path::{Path, PathBuf};

use crate::CliError;

/// A CSV file read whole: its header and rows with their line numbers (the header is line 1).
#[derive(Debug, Clone)]
pub struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

fn bad(message: String) -> CliError {
    CliError::input(format!("error: {message}"))
}

impl Table {
    /// Reads `path`. `needed_by` says which figure needs the file, for the error when it is missing.
    pub fn read(path: &Path, needed_by: &str) -> Result<Table, CliError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(bad(format!("{}: missing; needed by {needed_by}", path.display())));
            }
            Err(e) => return Err(bad(format!("{}: cannot read it: {e}", path.display()))),
        };
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice());
        let mut records = reader.records();
        let csv_error = |e: csv::Error| {
            let line = e.position().map_or(String::new(), |p| format!(":{}", p.line()));
            let expected = match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                    format!("a row of {len} fields; expected {expected_len}, as many as the header has")
                }
                csv::ErrorKind::Utf8 { .. } => "text that is not UTF-8; expected UTF-8 CSV".to_string(),
                _ => format!("{e}; expected CSV"),
            };
            bad(format!("{}{line}: {expected}", path.display()))
        };
        let header: Vec<String> = match records.next() {
            Some(record) => record.map_err(csv_error)?.iter().map(str::to_string).collect(),
            None => return Err(bad(format!("{}: empty; expected a header line, then rows", path.display()))),
        };
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(Row { line, cells: record.iter().map(str::to_string).collect() });
        }
        Ok(Table { path: path.to_path_buf(), header, rows })
    }

    /// The index of the column `name`.
    pub fn column(&self, name: &str) -> Result<usize, CliError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            bad(format!(
                "{}:1: no column `{name}` in the header; expected it among the columns (found: {})",
                self.path.display(),
                self.header.join(", ")
            ))
        })
    }

    /// The cell of `row` in `column`, as text.
    pub fn text<'a>(&self, row: &'a Row, column: usize) -> &'a str {
        row.cells.get(column).map_or("", String::as_str)
    }

    /// The cell as a number; an empty cell is None.
    pub fn number(&self, row: &Row, column: usize) -> Result<Option<f64>, CliError> {
        let text = self.text(row, column).trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.bad_cell(row, column, "a finite number")),
        }
    }

    /// The cell as a number that must be there.
    pub fn required_number(&self, row: &Row, column: usize) -> Result<f64, CliError> {
        self.number(row, column)?.ok_or_else(|| self.bad_cell(row, column, "a number"))
    }

    /// An error about one cell: file, line, column, what was there and what was expected.
    pub fn bad_cell(&self, row: &Row, column: usize, expected: &str) -> CliError {
        let name = self.header.get(column).map_or("?", String::as_str);
        bad(format!(
            "{}:{}: column `{name}`: found `{}`; expected {expected}",
            self.path.display(),
            row.line,
            self.text(row, column)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, text: &str) -> Result<Table, CliError> {
        let dir = std::env::temp_dir().join(format!("mrsim-table-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Table::read(&path, "the test")
    }

    #[test]
    fn errors_name_file_line_and_expectation() {
        let t = table("a.csv", "x,y\n1,2\n3,oops\n").unwrap();
        assert_eq!(t.rows[1].line, 3);
        let (x, y) = (t.column("x").unwrap(), t.column("y").unwrap());
        assert_eq!(t.required_number(&t.rows[0], x).unwrap(), 1.0);
        let e = t.number(&t.rows[1], y).unwrap_err();
        assert!(e.message.contains("a.csv:3: column `y`: found `oops`; expected a finite number"), "{}", e.message);
        assert_eq!(e.exit_code, 2);
        let e = t.column("z").unwrap_err();
        assert!(e.message.contains("a.csv:1: no column `z`") && e.message.contains("found: x, y"), "{}", e.message);
        let e = table("b.csv", "x,y\n1,2\n3\n").unwrap_err();
        assert!(e.message.contains("b.csv:3: a row of 1 fields; expected 2"), "{}", e.message);
        let e = table("c.csv", "").unwrap_err();
        assert!(e.message.contains("c.csv: empty"), "{}", e.message);
        let e = Table::read(Path::new("/no/such/d.csv"), "the timeline").unwrap_err();
        assert!(e.message.contains("d.csv: missing; needed by the timeline"), "{}", e.message);
    }
}
