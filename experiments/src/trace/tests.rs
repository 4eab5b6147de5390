//! Tests of the trace reader and writer: accepted forms, every error class with its place, the
//! writer's round trip, and thousands of mutated files that must never make the reader panic.

use super::*;
use sim_core::{Seed, Stream};

fn parse(text: &str) -> Result<Vec<TraceRecord>, TraceError> {
    parse_trace(Path::new("t.csv"), text)
}

/// The rendered errors of a trace that must fail.
fn errors(text: &str) -> String {
    match parse(text) {
        Ok(records) => panic!("{text:?} should fail, parsed {records:?}"),
        Err(e) => e.to_string(),
    }
}

fn record(
    time_ms: u64,
    client: &str,
    operation: TraceOperation,
    store: &str,
    key: u64,
    size: Option<u64>,
) -> TraceRecord {
    let time = SimTime::at(SimDuration::from_millis(time_ms));
    TraceRecord { time, client: client.into(), operation, store: store.into(), key, size }
}

#[test]
fn accepts_units_plain_seconds_quotes_blank_lines_crlf_and_a_byte_order_mark() {
    let text = "\u{feff}time, client ,operation,store,key,size\r\n\
                0.25,alice,read,orders,7,\r\n\
                \r\n\
                250ms,\"bob, jr\",write,orders,8,1024\n\
                \n\
                1.5s ,\"multi\nline\" ,conditional_write,carts, 18446744073709551615 ,0\n\
                90s,carol,delete,carts,0,\n";
    let got = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let want = vec![
        record(250, "alice", TraceOperation::Read, "orders", 7, None),
        record(250, "bob, jr", TraceOperation::Write, "orders", 8, Some(1024)),
        record(1500, "multi\nline", TraceOperation::ConditionalWrite, "carts", u64::MAX, Some(0)),
        record(90_000, "carol", TraceOperation::Delete, "carts", 0, None),
    ];
    assert_eq!(got, want);
    assert_eq!(parse("time,client,operation,store,key\n"), Ok(vec![]), "a header alone is an empty trace");
    let exact = parse("time,client,operation,store,key\n0.000000001,a,read,s,1\n").unwrap();
    assert_eq!(exact[0].time, SimTime::from_nanos(1), "plain seconds are exact to the nanosecond");
}

#[test]
fn empty_file_and_header_problems_name_the_expected_columns() {
    let header = "the header is time,client,operation,store,key[,size]";
    let cases = [
        ("", "error: t.csv:1:1: found an empty file; expected the header line time,client,operation,store,key[,size], then one row per request".to_string()),
        ("\n\n", "error: t.csv:1:1: found an empty file; expected the header line time,client,operation,store,key[,size], then one row per request".to_string()),
        ("1.5,c,read,s,1\n", "error: t.csv:1:1: found a data row where the header belongs; expected the header line time,client,operation,store,key[,size] first".to_string()),
        ("time,client,op,store,key\n", format!("error: t.csv:1:13: column operation: found header \"op\"; expected \"operation\" ({header})")),
        ("time,client,operation\n", "error: t.csv:1:22: column store: found a header of 3 fields; expected time,client,operation,store,key[,size]".to_string()),
        ("time,client,operation,store,key,size,extra\n", "error: t.csv:1:38: found an extra header column \"extra\"; expected only time,client,operation,store,key[,size]".to_string()),
    ];
    for (text, want) in cases {
        assert_eq!(errors(text), want, "{text:?}");
    }
    let with_mark = "\u{feff}time,client,op,store,key\n";
    assert!(
        errors(with_mark).starts_with("error: t.csv:1:13: column operation:"),
        "the byte order mark is not a column"
    );
}

#[test]
fn each_bad_field_is_reported_at_its_line_and_column() {
    let text = "time,client,operation,store,key,size\n\
                1s,alice,read,orders,1,\n\
                xyz,alice,read,orders,1,\n\
                2s,,read,orders,1,\n\
                3s,alice,fetch,orders,1,\n\
                4s,alice,read, ,1,\n\
                5s,alice,read,orders,-1,\n\
                6s,alice,write,orders,1,big\n\
                1.2s,alice,read,orders,1,\n\
                7s,alice,read\n\
                8s,alice,read,orders,1,2,3\n\
                -1s,é€,read,orders,1.5,\n";
    let want = [
        "error: t.csv:3:1: column time: found \"xyz\" (unknown unit \"xyz\"); expected a time since the start with a unit (ns, us, ms, s, m, h), as in \"1.5s\" or \"250ms\", or plain seconds as in \"1.5\"",
        "error: t.csv:4:4: column client: found \"\"; expected a non-empty name",
        "error: t.csv:5:10: column operation: found \"fetch\"; expected one of read, write, delete, conditional_write, conditional_update",
        "error: t.csv:6:15: column store: found \" \"; expected a non-empty name",
        "error: t.csv:7:22: column key: found \"-1\"; expected a key: a whole number from 0 to 18446744073709551615",
        "error: t.csv:8:25: column size: found \"big\"; expected a size in bytes (a whole number) or nothing",
        "error: t.csv:9:1: column time: found 1.2s after 6s on line 8; expected rows sorted by time",
        "error: t.csv:10:14: column store: found 3 fields, so the row ends before this column; expected time,client,operation,store,key,size",
        "error: t.csv:11:26: found 7 fields; expected 6 as in the header: time,client,operation,store,key,size",
        "error: t.csv:12:1: column time: found \"-1s\" (durations cannot be negative); expected a time since the start with a unit (ns, us, ms, s, m, h), as in \"1.5s\" or \"250ms\", or plain seconds as in \"1.5\"",
        "error: t.csv:12:20: column key: found \"1.5\"; expected a key: a whole number from 0 to 18446744073709551615",
    ];
    assert_eq!(errors(text), want.join("\n"));
}

#[test]
fn columns_count_characters_and_lines_count_quoted_newlines_and_skipped_blank_lines() {
    let text = "time,client,operation,store,key\n\n\n0s,\"two\nlines\",read,s,1\n\n1s,\"é,\"\"q\"\"\",rd,s,1\n";
    assert_eq!(
        errors(text),
        "error: t.csv:7:14: column operation: found \"rd\"; expected one of read, write, delete, conditional_write, conditional_update"
    );
    let multi = "time,client,operation,store,key\n0s,\"a\nb\",read,s,x\n";
    assert_eq!(
        errors(multi),
        "error: t.csv:3:11: column key: found \"x\"; expected a key: a whole number from 0 to 18446744073709551615"
    );
}

#[test]
fn invalid_utf8_is_reported_at_its_first_bad_byte() {
    let bytes = b"time,client,operation,store,key\n0s,a,read,s,1\n1s,\xc3\xa9\xff,read,s,2\n";
    let e = parse_trace_bytes(Path::new("t.csv"), bytes).unwrap_err().to_string();
    assert_eq!(
        e,
        "error: t.csv:3:5: found byte 0xFF, which is not UTF-8; expected a UTF-8 text file (is it corrupt, or in another encoding?)"
    );
}

#[test]
fn reporting_stops_after_twenty_errors_and_says_there_are_more() {
    let mut text = String::from("time,client,operation,store,key\n");
    for _ in 0..30 {
        text.push_str("0s,a,read,s,bad\n");
    }
    let e = parse(&text).unwrap_err();
    assert_eq!(e.problems.len(), MAX_REPORTED_ERRORS);
    assert!(e.more);
    let rendered = e.to_string();
    assert_eq!(rendered.lines().count(), 21);
    assert!(rendered.ends_with("error: t.csv: and more; stopped after the first 20 errors"), "{rendered}");
    text.truncate(32 + 16 * 20);
    let e = parse(&text).unwrap_err();
    assert_eq!((e.problems.len(), e.more), (20, false), "exactly 20 errors are all reported");
}

#[test]
fn read_trace_names_a_missing_file() {
    let e = read_trace(Path::new("/nonexistent/mrsim/trace.csv")).unwrap_err().to_string();
    assert!(e.starts_with("error: /nonexistent/mrsim/trace.csv: cannot read the trace file: "), "{e}");
}

/// A name of 1..8 characters, with commas, quotes, newlines and non-ASCII inside, never whitespace at the
/// ends (the reader trims it).
fn random_name(rng: &mut Stream) -> String {
    const CHARACTERS: [char; 12] = ['a', 'b', 'z', '0', ',', '"', '\n', ' ', 'é', '€', '-', '\r'];
    let length = 1 + rng.below(8) as usize;
    let mut name: String = (0..length).map(|_| CHARACTERS[rng.below(12) as usize]).collect();
    let trimmed = name.trim().to_string();
    if trimmed.is_empty() {
        name = "x".into();
    } else {
        name = trimmed;
    }
    name
}

fn random_trace(rng: &mut Stream) -> Vec<TraceRecord> {
    let with_sizes = rng.chance(0.5);
    let mut time = 0u64;
    (0..rng.below(40))
        .map(|_| {
            // Mostly small steps, at whole seconds, milliseconds or nanoseconds, sometimes none.
            time += [0, 1, 1_000_000, 1_000_000_000, rng.below(5_000_000_000)][rng.below(5) as usize];
            TraceRecord {
                time: SimTime::from_nanos(time),
                client: random_name(rng),
                operation: OPERATIONS[rng.below(4) as usize].1,
                store: random_name(rng),
                key: if rng.chance(0.1) { u64::MAX } else { rng.below(1000) },
                size: if with_sizes && rng.chance(0.8) { Some(rng.next_u64() >> rng.below(64)) } else { None },
            }
        })
        .collect()
}

#[test]
fn written_traces_read_back_to_the_same_records() {
    let mut rng = Seed(0x7ace).stream("round-trip");
    for _ in 0..300 {
        let records = random_trace(&mut rng);
        let bytes = write_trace(&records);
        let text = String::from_utf8(bytes).expect("the writer writes UTF-8");
        assert_eq!(parse(&text), Ok(records.clone()), "written as:\n{text}");
    }
}

/// One random edit of a trace's bytes: the kinds of damage a hand edit, a bad export or a truncated copy
/// would do, with the characters the format gives meaning to.
fn mutate(rng: &mut Stream, bytes: &mut Vec<u8>) {
    const INTERESTING: &[&[u8]] = &[
        b",",
        b"\"",
        b"\n",
        b"\r",
        b"\r\n",
        b"0",
        b"9",
        b".",
        b"-",
        b"s",
        b"ms",
        b" ",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\xc3",
        b"\xc3\xa9",
        b"read",
        b"18446744073709551616",
        b"",
    ];
    let at = if bytes.is_empty() { 0 } else { rng.below(bytes.len() as u64 + 1) as usize };
    match rng.below(5) {
        0 => {
            let insert = INTERESTING[rng.below(INTERESTING.len() as u64) as usize];
            bytes.splice(at..at, insert.iter().copied());
        }
        1 => {
            let end = (at + 1 + rng.below(6) as usize).min(bytes.len());
            bytes.drain(at.min(end)..end);
        }
        2 if at < bytes.len() => bytes[at] = rng.next_u64() as u8,
        3 => bytes.truncate(at),
        _ => {
            // Duplicate a stretch elsewhere: rows out of order, repeated headers.
            let end = (at + rng.below(40) as usize).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            let to = rng.below(bytes.len() as u64 + 1) as usize;
            bytes.splice(to..to, copy);
        }
    }
}

#[test]
fn mutated_traces_never_panic() {
    let mut rng = Seed(0xf022).stream("mutations");
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..4000 {
        let mut bytes = write_trace(&random_trace(&mut rng));
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut bytes);
        }
        match parse_trace_bytes(Path::new("m.csv"), &bytes) {
            Ok(records) => {
                accepted += 1;
                assert!(records.windows(2).all(|w| w[0].time <= w[1].time), "accepted rows out of order");
            }
            Err(e) => {
                rejected += 1;
                assert!(e.problems.len() <= MAX_REPORTED_ERRORS);
                let rendered = e.to_string();
                assert!(rendered.starts_with("error: m.csv:"), "{rendered}");
            }
        }
    }
    // Both outcomes must be exercised for the test to mean anything.
    eprintln!("mutated traces: {accepted} accepted, {rejected} rejected");
    assert!(accepted > 100 && rejected > 1000, "accepted {accepted}, rejected {rejected}");
}
