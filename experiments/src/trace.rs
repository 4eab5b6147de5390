//! Trace replay files: a recorded workload as CSV, one request per row.
//!
//! This module owns the trace format, its reader and its writer. The header is
//! `time,client,operation,store,key`, optionally followed by `,size`; columns come in that order.
//! `time` is a duration since the start of the run, with a unit as scenario files write durations
//! (`1.5s`, `250ms`) or in plain seconds (`1.5`); `operation` is one of [`OPERATIONS`]; `client` and
//! `store` are non-empty names; `key` and `size` (bytes; may be left empty) are whole numbers. Rows are
//! sorted by time. Whitespace around a field is ignored.
//!
//! Guarantees: no input makes the reader panic (a test feeds it thousands of mutated files); every
//! problem is reported as `error: FILE:LINE:COLUMN: column NAME: found "X"; expected ...`, with the
//! 1-based line in the file and the character column where the field starts, up to
//! [`MAX_REPORTED_ERRORS`] of them; times are exact to the nanosecond, and the writer's output reads
//! back to the same records.

use std::fmt;
use std::path::{Path, PathBuf};

use sim_core::{SimDuration, SimTime};

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    pub time: SimTime,
    pub client: String,
    pub operation: TraceOperation,
    pub store: String,
    pub key: u64,
    /// Bytes written, when the trace records it.
    pub size: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceOperation {
    Read,
    Write,
    Delete,
    ConditionalWrite,
    ConditionalUpdate,
}

/// The operations as a trace spells them, in the order error messages list them.
pub const OPERATIONS: [(&str, TraceOperation); 5] = [
    ("read", TraceOperation::Read),
    ("write", TraceOperation::Write),
    ("delete", TraceOperation::Delete),
    ("conditional_write", TraceOperation::ConditionalWrite),
    ("conditional_update", TraceOperation::ConditionalUpdate),
];

impl TraceOperation {
    pub fn name(self) -> &'static str {
        OPERATIONS.iter().find(|&&(_, op)| op == self).map_or("read", |&(name, _)| name)
    }
}

/// The reader stops after this many problems: past a few, the rest are usually the same mistake.
pub const MAX_REPORTED_ERRORS: usize = 20;

const COLUMNS: [&str; 6] = ["time", "client", "operation", "store", "key", "size"];
const HEADER_TEXT: &str = "time,client,operation,store,key[,size]";
const TIME_EXPECTED: &str = "a time since the start with a unit (ns, us, ms, s, m, h), as in \"1.5s\" or \"250ms\", or plain seconds as in \"1.5\"";

/// One problem in a trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceProblem {
    /// 1-based line and character column, when the problem has a place.
    pub line_column: Option<(usize, usize)>,
    /// The column of the trace the problem is in, when it is in one.
    pub column_name: Option<&'static str>,
    /// What was found and what was expected.
    pub message: String,
}

/// Why a trace could not be read. Displays one line per problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub file: PathBuf,
    pub problems: Vec<TraceProblem>,
    /// The reader stopped after [`MAX_REPORTED_ERRORS`] problems; there are more.
    pub more: bool,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {file}:")?;
            if let Some((line, column)) = p.line_column {
                write!(f, "{line}:{column}:")?;
            }
            if let Some(name) = p.column_name {
                write!(f, " column {name}:")?;
            }
            write!(f, " {}", p.message)?;
        }
        if self.more {
            write!(f, "\nerror: {file}: and more; stopped after the first {MAX_REPORTED_ERRORS} errors")?;
        }
        Ok(())
    }
}

impl std::error::Error for TraceError {}

/// Reads and parses the trace at `path`.
pub fn read_trace(path: &Path) -> Result<Vec<TraceRecord>, TraceError> {
    parse_trace_bytes(path, &read_trace_bytes(path)?)
}

/// A trace file's bytes, or an error naming the file.
pub fn read_trace_bytes(path: &Path) -> Result<Vec<u8>, TraceError> {
    std::fs::read(path).map_err(|e| TraceError {
        file: path.to_path_buf(),
        problems: vec![TraceProblem {
            line_column: None,
            column_name: None,
            message: format!("cannot read the trace file: {e}; expected a readable CSV file"),
        }],
        more: false,
    })
}

/// Parses a trace given as bytes: a file that is not UTF-8 is reported at its first invalid byte.
pub fn parse_trace_bytes(path_for_messages: &Path, bytes: &[u8]) -> Result<Vec<TraceRecord>, TraceError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_trace(path_for_messages, text),
        Err(e) => {
            let offset = e.valid_up_to();
            let problem = TraceProblem {
                line_column: Some(Lines::new(&bytes[..offset]).line_column(offset)),
                column_name: None,
                message: format!(
                    "found byte 0x{:02X}, which is not UTF-8; expected a UTF-8 text file (is it corrupt, or in another encoding?)",
                    bytes[offset]
                ),
            };
            Err(TraceError { file: path_for_messages.to_path_buf(), problems: vec![problem], more: false })
        }
    }
}

/// Parses trace text; `path_for_messages` only names the file in errors.
pub fn parse_trace(path_for_messages: &Path, text: &str) -> Result<Vec<TraceRecord>, TraceError> {
    let mut parser = Parser { text, lines: Lines::new(text.as_bytes()), problems: Vec::new(), more: false };
    let records = parser.parse();
    if parser.problems.is_empty() {
        Ok(records)
    } else {
        Err(TraceError { file: path_for_messages.to_path_buf(), problems: parser.problems, more: parser.more })
    }
}

/// The trace as CSV, readable by [`parse_trace`]. The `size` column is written when any record has a size.
pub fn write_trace(records: &[TraceRecord]) -> Vec<u8> {
    let with_size = records.iter().any(|r| r.size.is_some());
    let columns = if with_size { &COLUMNS[..] } else { &COLUMNS[..5] };
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing to a Vec cannot fail: its only errors are I/O errors.
    let write = |w: &mut csv::Writer<Vec<u8>>, row: &[String]| w.write_record(row).expect("writing to a Vec");
    write(&mut w, &columns.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    for r in records {
        let mut row = vec![
            exact_seconds(r.time.since_start()),
            r.client.clone(),
            r.operation.name().to_string(),
            r.store.clone(),
            r.key.to_string(),
        ];
        if with_size {
            row.push(r.size.map_or(String::new(), |s| s.to_string()));
        }
        write(&mut w, &row);
    }
    w.into_inner().expect("flushing to a Vec")
}

/// Plain seconds with as many decimals as needed, exactly: `1.5`, `0.000000001`, `12`.
fn exact_seconds(d: SimDuration) -> String {
    let (whole, nanos) = (d.as_nanos() / 1_000_000_000, d.as_nanos() % 1_000_000_000);
    if nanos == 0 {
        return whole.to_string();
    }
    let fraction = format!("{nanos:09}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Byte offsets to 1-based lines and character columns.
struct Lines<'a> {
    bytes: &'a [u8],
    /// The offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let starts =
            std::iter::once(0).chain(bytes.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i + 1));
        Lines { bytes, starts: starts.collect() }
    }

    fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.bytes.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        // Characters, not bytes: count the bytes that start a UTF-8 character. A byte order mark is
        // invisible in editors, so it is not counted.
        let mut column = self.bytes[start..offset].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
        if start == 0 && offset >= 3 && self.bytes.starts_with(b"\xef\xbb\xbf") {
            column -= 1;
        }
        (line, column)
    }
}

/// Where a record's fields start in the text, and where the record ends, found by following the same
/// quoting rules as the csv crate: a field is quoted only if it starts with `"`, `""` inside quotes is a
/// quote, and text after the closing quote belongs to the field. The csv crate reports only where a
/// record starts, and that is before any blank lines it skipped, so those are skipped first.
fn field_offsets(bytes: &[u8], record_start: usize, fields: usize) -> (Vec<usize>, usize) {
    let mut i = record_start;
    while i < bytes.len() && (bytes[i] == b'\n' || bytes[i] == b'\r') {
        i += 1;
    }
    let mut starts = vec![i];
    loop {
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'"' {
                    if bytes.get(i + 1) != Some(&b'"') {
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
        }
        while i < bytes.len() && !matches!(bytes[i], b',' | b'\n' | b'\r') {
            i += 1;
        }
        if bytes.get(i) == Some(&b',') && starts.len() < fields {
            i += 1;
            starts.push(i);
        } else {
            return (starts, i.min(bytes.len()));
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    lines: Lines<'a>,
    problems: Vec<TraceProblem>,
    more: bool,
}

/// One data row's fields with their offsets.
struct Row<'r> {
    fields: Vec<&'r str>,
    starts: Vec<usize>,
}

impl Parser<'_> {
    /// Records a problem; false once the limit is passed, to stop reading.
    fn report(&mut self, offset: usize, column_name: Option<&'static str>, message: String) -> bool {
        if self.problems.len() >= MAX_REPORTED_ERRORS {
            self.more = true;
            return false;
        }
        let line_column = Some(self.lines.line_column(offset));
        self.problems.push(TraceProblem { line_column, column_name, message });
        true
    }

    fn parse(&mut self) -> Vec<TraceRecord> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(self.text.as_bytes());
        let mut records = Vec::new();
        let mut columns = 0;
        // The previous valid time and the line it was on, to check the order.
        let mut previous: Option<(SimDuration, usize)> = None;
        let mut empty = true;
        for (index, result) in reader.records().enumerate() {
            empty = false;
            let record = match result {
                Ok(record) => record,
                Err(e) => {
                    // The reader is given a &str and is flexible, so this is not expected; report it anyway.
                    let offset = e.position().map_or(self.text.len(), |p| p.byte() as usize);
                    self.report(offset, None, format!("found unreadable CSV ({e}); expected comma-separated rows"));
                    return records;
                }
            };
            let record_start = record.position().map_or(0, |p| p.byte() as usize);
            let (starts, end) = field_offsets(self.text.as_bytes(), record_start, record.len());
            if index == 0 {
                match self.check_header(&record, &starts, end) {
                    Some(n) => columns = n,
                    None => return records,
                }
                continue;
            }
            if record.len() != columns {
                let found = fields(record.len());
                let expected = COLUMNS[..columns].join(",");
                let (offset, name, message) = if record.len() < columns {
                    let message = format!("found {found}, so the row ends before this column; expected {expected}");
                    (end, Some(COLUMNS[record.len()]), message)
                } else {
                    // Points at the first extra field.
                    let offset = starts.get(columns).copied().unwrap_or(end);
                    (offset, None, format!("found {found}; expected {columns} as in the header: {expected}"))
                };
                if !self.report(offset, name, message) {
                    return records;
                }
                continue;
            }
            let row = Row { fields: record.iter().collect(), starts };
            match self.parse_row(&row, &mut previous) {
                Ok(Some(r)) => records.push(r),
                Ok(None) => {}
                Err(()) => return records,
            }
        }
        if empty {
            self.report(
                0,
                None,
                format!("found an empty file; expected the header line {HEADER_TEXT}, then one row per request"),
            );
        }
        records
    }

    /// The number of columns the header declares (5 or 6), or `None` after reporting what is wrong.
    fn check_header(&mut self, record: &csv::StringRecord, starts: &[usize], end: usize) -> Option<usize> {
        let names: Vec<&str> = record.iter().map(|f| f.trim_start_matches('\u{feff}').trim()).collect();
        let at = |i: usize| starts.get(i).copied().unwrap_or(end);
        if names.len() >= 5 && parse_time(names[0]).is_ok() {
            let message =
                format!("found a data row where the header belongs; expected the header line {HEADER_TEXT} first");
            self.report(at(0), None, message);
            return None;
        }
        for (i, name) in names.iter().enumerate() {
            let Some(&expected) = COLUMNS.get(i) else {
                self.report(at(i), None, format!("found an extra header column {name:?}; expected only {HEADER_TEXT}"));
                return None;
            };
            if *name != expected {
                let message = format!("found header {name:?}; expected {expected:?} (the header is {HEADER_TEXT})");
                self.report(at(i), Some(expected), message);
                return None;
            }
        }
        if names.len() < 5 {
            let message = format!("found a header of {}; expected {HEADER_TEXT}", fields(names.len()));
            self.report(end, Some(COLUMNS[names.len()]), message);
            return None;
        }
        Some(names.len())
    }

    /// One data row: the record, `None` if it had problems (reported), `Err` once the limit is passed.
    fn parse_row(&mut self, row: &Row, previous: &mut Option<(SimDuration, usize)>) -> Result<Option<TraceRecord>, ()> {
        let mut ok = true;
        let mut fail = |parser: &mut Self, i: usize, message: String| {
            ok = false;
            let offset = row.starts.get(i).or(row.starts.last()).copied().unwrap_or(0);
            if parser.report(offset, Some(COLUMNS[i]), message) { Ok(()) } else { Err(()) }
        };
        let field = |i: usize| row.fields[i].trim();

        let time = match parse_time(field(0)) {
            Ok(time) => Some(time),
            Err(reason) => {
                fail(self, 0, format!("found {:?} ({reason}); expected {TIME_EXPECTED}", field(0)))?;
                None
            }
        };
        if let Some(time) = time {
            let line = self.lines.line_column(row.starts[0]).0;
            if let Some((before, before_line)) = *previous
                && time < before
            {
                let message = format!(
                    "found {}s after {}s on line {before_line}; expected rows sorted by time",
                    exact_seconds(time),
                    exact_seconds(before)
                );
                fail(self, 0, message)?;
            }
            // Compare the next row with this one even if this one is out of order, so one misplaced
            // row is reported once, not once per row after it.
            *previous = Some((time, line));
        }
        for i in [1, 3] {
            if field(i).is_empty() {
                fail(self, i, format!("found {:?}; expected a non-empty name", row.fields[i]))?;
            }
        }
        let operation = OPERATIONS.iter().find(|&&(name, _)| name == field(2)).map(|&(_, op)| op);
        if operation.is_none() {
            let accepted: Vec<&str> = OPERATIONS.iter().map(|&(name, _)| name).collect();
            fail(self, 2, format!("found {:?}; expected one of {}", field(2), accepted.join(", ")))?;
        }
        let key = field(4).parse::<u64>().ok();
        if key.is_none() {
            fail(self, 4, format!("found {:?}; expected a key: a whole number from 0 to {}", field(4), u64::MAX))?;
        }
        let mut size = None;
        if row.fields.len() == 6 && !field(5).is_empty() {
            size = field(5).parse::<u64>().ok();
            if size.is_none() {
                let message = format!("found {:?}; expected a size in bytes (a whole number) or nothing", field(5));
                fail(self, 5, message)?;
            }
        }
        let (Some(time), Some(operation), Some(key), true) = (time, operation, key, ok) else {
            return Ok(None);
        };
        Ok(Some(TraceRecord {
            time: SimTime::at(time),
            client: field(1).to_string(),
            operation,
            store: field(3).to_string(),
            key,
            size,
        }))
    }
}

fn fields(n: usize) -> String {
    if n == 1 { "1 field".to_string() } else { format!("{n} fields") }
}

/// A duration with a unit, or plain seconds; the error is the reason it is not one.
fn parse_time(text: &str) -> Result<SimDuration, String> {
    let plain_seconds = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let parsed = if plain_seconds { format!("{text}s").parse::<SimDuration>() } else { text.parse::<SimDuration>() };
    parsed.map_err(|e| e.reason)
}

#[cfg(test)]
mod tests;
