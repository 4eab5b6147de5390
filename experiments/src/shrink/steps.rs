//! What `mrsim shrink` may take away from a scenario, as edits of its TOML table: removing one entry
//! of a list (a fault, a fault generator, a population) and halving one continuous value towards
//! its floor. A [`Candidate`] is a table plus, for each list, where each remaining entry stood in
//! the original, so that every step and the account name entries as the original file numbers them.
//!
//! The values and their floors (a value at its floor is not halved again):
//!
//! | value | step | floor |
//! |---|---|---|
//! | `scenario.duration` | halved | 1 s |
//! | a fault's window (`end` - `start`) | halved, `end` moves | 1 s |
//! | a fault's `start` | halved, the window moves with it; below 1 s it becomes 0 s | 0 s |
//! | a degraded link's `loss` | halved | 0.01 |
//! | a degraded link's `extra_latency` (a plain duration) | halved | 1 ms |
//! | a clock skew's `offset` | halved towards 0 | 1 ms either side |
//! | a clock skew's `drift_ppm` | halved towards 0 (to a whole number) | 1 ppm either side |
//! | a replication impairment's `slowdown` | its excess over 1 halved | 1.1 |
//! | a population's `rate` | halved (to a whole number) | 1 request/s |
//! | a population's `sessions`, `users` | halved | 1 |
//! | a key space (`keys.uniform`, `keys.zipf`, `keys.hot_set`, also per `operation`) | halved | 1 key |
//!
//! Halved durations are cut to whole seconds (to whole milliseconds for the 1 ms floors). Nothing else changes: topology, stores, routing,
//! alarms, actions, expects, rate profiles and distributions stay as written. An edit may make the
//! scenario invalid (a population a route names is gone, a fault ends after the run); validation
//! decides, and the shrinker counts an invalid candidate as one that does not fail.

use sim_core::SimDuration;
use toml::{Table, Value};

use crate::overrides::TOP_LEVEL;
use crate::scale::{duration_of, exact_duration_text, float_text};

/// The lists whose entries may be removed, in the order they are reduced.
pub const LISTS: [&str; 3] = ["fault", "fault_generator", "population"];

/// A scenario being shrunk: its table, and per list of [`LISTS`] the original index of each entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub table: Table,
    pub origins: [Vec<usize>; 3],
}

/// One single step from a candidate: what it does, in the original's numbering, and its result.
#[derive(Clone, Debug)]
pub struct Step {
    pub description: String,
    pub candidate: Candidate,
}

impl Candidate {
    /// The original scenario: every entry where it is.
    pub fn new(table: Table) -> Candidate {
        let origins = LISTS.map(|list| (0..entries(&table, list).len()).collect());
        Candidate { table, origins }
    }

    /// Entries now in list `l` of [`LISTS`].
    pub fn len(&self, l: usize) -> usize {
        self.origins[l].len()
    }

    /// The candidate with only the entries `kept` (indices into the current list, ascending) of
    /// list `l`; an emptied list is removed from the table.
    pub fn keep(&self, l: usize, kept: &[usize]) -> Candidate {
        let mut next = self.clone();
        let list = entries(&self.table, LISTS[l]);
        let remaining: Vec<Value> = kept.iter().map(|&i| list[i].clone()).collect();
        match remaining.is_empty() {
            true => next.table.remove(LISTS[l]),
            false => next.table.insert(LISTS[l].to_string(), Value::Array(remaining)),
        };
        next.origins[l] = kept.iter().map(|&i| self.origins[l][i]).collect();
        next
    }

    /// `list[origin, ...]` for entries `current` of list `l`, in the original's numbering.
    pub fn name_entries(&self, l: usize, current: &[usize]) -> String {
        current.iter().map(|&i| format!("{}[{}]", LISTS[l], self.origins[l][i])).collect::<Vec<_>>().join(", ")
    }

    /// The scenario file: the top-level tables in the order of the format's documentation
    /// (`[scenario]` first, `[[expect]]` last), each as the TOML serialiser writes it. The same
    /// table always gives the same text, which is what candidates are known by.
    pub fn text(&self) -> String {
        let mut keys: Vec<&String> = self.table.keys().collect();
        let rank = |k: &str| TOP_LEVEL.iter().position(|t| *t == k).unwrap_or(TOP_LEVEL.len());
        keys.sort_by_key(|k| (rank(k), k.to_string()));
        let mut text = String::new();
        for key in keys {
            let mut one = Table::new();
            one.insert(key.clone(), self.table[key].clone());
            let part = toml::to_string(&one).expect("a table parsed from TOML serialises");
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&part);
        }
        text
    }
}

/// The entries of the array of tables `name` (empty when absent).
pub fn entries<'a>(table: &'a Table, name: &str) -> &'a [Value] {
    table.get(name).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// What halving does to one value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A duration, halved to whole seconds (milliseconds under a 1 s floor), not below the floor.
    Duration(SimDuration),
    /// A fault's start: halved to whole seconds, the end moved by as much; under 1 s it becomes 0 s.
    Start,
    /// A fault's window: the end moved so the window is halved, not below 1 s.
    Window,
    /// A number halved, not below the floor (integers stay integers).
    Number(f64),
    /// A signed duration halved towards 0, not below 1 ms either side.
    Offset,
    /// A slowdown factor: its excess over 1 halved, not below 1.1.
    Slowdown,
}

/// A continuous value of a candidate: its place (current indices) and how it halves.
#[derive(Clone, Debug, PartialEq)]
pub struct Dial {
    /// `scenario`, or a list of [`LISTS`] and the entry's current index.
    owner: Option<(usize, usize)>,
    /// The keys below the owner (`["keys", "uniform"]`, `["operation", "1", "keys", "zipf"]`).
    keys: Vec<String>,
    kind: Kind,
}

const SECOND: SimDuration = SimDuration::from_secs(1);
const MILLISECOND: SimDuration = SimDuration::from_millis(1);
/// A slowdown's floor, compared as written (1.1 - 1.0 is not 0.1 in floating point).
const SLOWDOWN_FLOOR: f64 = 1.1;

/// Every continuous value of `c`, in a fixed order: the scenario's duration, then per fault its
/// window, start and severities, then per population its rate, sessions, users and key spaces.
pub fn dials(c: &Candidate) -> Vec<Dial> {
    let mut out = vec![Dial { owner: None, keys: vec!["duration".into()], kind: Kind::Duration(SECOND) }];
    let at = |l: usize, i: usize, keys: &[&str], kind: Kind| Dial {
        owner: Some((l, i)),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        kind,
    };
    for (i, fault) in entries(&c.table, "fault").iter().enumerate() {
        let Some(f) = fault.as_table() else { continue };
        if f.contains_key("end") {
            out.push(at(0, i, &["end"], Kind::Window));
        }
        out.push(at(0, i, &["start"], Kind::Start));
        let severities: [(&str, Kind); 5] = [
            ("loss", Kind::Number(0.01)),
            ("extra_latency", Kind::Duration(MILLISECOND)),
            ("offset", Kind::Offset),
            ("drift_ppm", Kind::Number(1.0)),
            ("slowdown", Kind::Slowdown),
        ];
        for (key, kind) in severities {
            if f.contains_key(key) {
                out.push(at(0, i, &[key], kind));
            }
        }
    }
    for (i, population) in entries(&c.table, "population").iter().enumerate() {
        let Some(p) = population.as_table() else { continue };
        for key in ["rate", "sessions", "users"] {
            if p.contains_key(key) {
                out.push(at(2, i, &[key], Kind::Number(1.0)));
            }
        }
        let mut key_spaces = vec![(Vec::<String>::new(), p)];
        for (j, op) in entries(p, "operation").iter().enumerate() {
            if let Some(op) = op.as_table() {
                key_spaces.push((vec!["operation".into(), j.to_string()], op));
            }
        }
        for (prefix, owner) in key_spaces {
            let Some(keys) = owner.get("keys").and_then(Value::as_table) else { continue };
            for space in ["uniform", "zipf", "hot_set"] {
                if keys.contains_key(space) {
                    let mut path = prefix.clone();
                    path.extend(["keys".to_string(), space.to_string()]);
                    out.push(Dial { owner: Some((2, i)), keys: path, kind: Kind::Number(1.0) });
                }
            }
        }
    }
    out
}

impl Dial {
    /// The value's name in the original's numbering: `scenario.duration`, `fault[3].window`,
    /// `population[1].keys.uniform`.
    pub fn name(&self, c: &Candidate) -> String {
        let owner = match self.owner {
            None => "scenario".to_string(),
            Some((l, i)) => format!("{}[{}]", LISTS[l], c.origins[l][i]),
        };
        let window = ["window".to_string()];
        let keys = if self.kind == Kind::Window { &window[..] } else { &self.keys[..] };
        let mut name = owner;
        for k in keys {
            match k.parse::<usize>() {
                Ok(j) => name.push_str(&format!("[{j}]")),
                Err(_) => {
                    name.push('.');
                    name.push_str(k);
                }
            }
        }
        name
    }

    /// The owning table (`[scenario]` or the list entry).
    fn owner<'a>(&self, table: &'a Table) -> Option<&'a Table> {
        match self.owner {
            None => table.get("scenario")?.as_table(),
            Some((l, i)) => entries(table, LISTS[l]).get(i)?.as_table(),
        }
    }

    fn owner_mut<'a>(&self, table: &'a mut Table) -> Option<&'a mut Table> {
        match self.owner {
            None => table.get_mut("scenario")?.as_table_mut(),
            Some((l, i)) => table.get_mut(LISTS[l])?.as_array_mut()?.get_mut(i)?.as_table_mut(),
        }
    }

    /// The value the keys reach from `owner`.
    fn value<'a>(&self, owner: &'a Table) -> Option<&'a Value> {
        let mut here = owner.get(self.keys.first()?)?;
        for k in &self.keys[1..] {
            here = match k.parse::<usize>() {
                Ok(j) => here.as_array()?.get(j)?,
                Err(_) => here.as_table()?.get(k)?,
            };
        }
        Some(here)
    }

    fn value_mut<'a>(&self, owner: &'a mut Table) -> Option<&'a mut Value> {
        let mut here = owner.get_mut(self.keys.first()?)?;
        for k in &self.keys[1..] {
            here = match k.parse::<usize>() {
                Ok(j) => here.as_array_mut()?.get_mut(j)?,
                Err(_) => here.as_table_mut()?.get_mut(k)?,
            };
        }
        Some(here)
    }

    /// The value as text (a window as its length), `None` when absent.
    fn text(&self, c: &Candidate) -> Option<String> {
        let owner = self.owner(&c.table)?;
        if self.kind == Kind::Window {
            let start = duration_of("", owner.get("start")?).ok()?.as_nanos();
            let end = duration_of("", owner.get("end")?).ok()?.as_nanos();
            return Some(exact_duration_text(SimDuration::from_nanos(end.checked_sub(start)?)));
        }
        Some(match self.value(owner)? {
            Value::String(s) => s.clone(),
            Value::Float(f) => float_text(*f),
            other => other.to_string(),
        })
    }

    /// The candidate with this value halved, and the value before and after as text; `None` at the
    /// floor, or when the value is not of a form that halves (a distribution, a permanent fault).
    pub fn halve(&self, c: &Candidate) -> Option<(Candidate, String, String)> {
        let owner = self.owner(&c.table)?;
        let value = self.value(owner)?;
        let mut next = c.clone();
        let (from, to) = match self.kind {
            Kind::Duration(floor) => {
                let d = duration_of("", value).ok()?;
                let half = half_duration(d, floor)?;
                *self.value_mut(self.owner_mut(&mut next.table)?)? = Value::String(exact_duration_text(half));
                (exact_duration_text(d), exact_duration_text(half))
            }
            Kind::Start => {
                let start = duration_of("", owner.get("start")?).ok()?;
                if start.as_nanos() == 0 {
                    return None;
                }
                let half = start.as_nanos() / 2 / SECOND.as_nanos() * SECOND.as_nanos();
                let moved = SimDuration::from_nanos(if half < SECOND.as_nanos() { 0 } else { half });
                let shift = start.as_nanos() - moved.as_nanos();
                let t = self.owner_mut(&mut next.table)?;
                t.insert("start".into(), Value::String(exact_duration_text(moved)));
                if let Some(end) = owner.get("end") {
                    let end = duration_of("", end).ok()?.as_nanos().checked_sub(shift)?;
                    t.insert("end".into(), Value::String(exact_duration_text(SimDuration::from_nanos(end))));
                }
                (exact_duration_text(start), exact_duration_text(moved))
            }
            Kind::Window => {
                let start = duration_of("", owner.get("start")?).ok()?;
                let end = duration_of("", owner.get("end")?).ok()?;
                let window = SimDuration::from_nanos(end.as_nanos().checked_sub(start.as_nanos())?);
                let half = half_duration(window, SECOND)?;
                let new_end = SimDuration::from_nanos(start.as_nanos() + half.as_nanos());
                self.owner_mut(&mut next.table)?.insert("end".into(), Value::String(exact_duration_text(new_end)));
                (exact_duration_text(window), exact_duration_text(half))
            }
            Kind::Number(floor) => {
                let (halved, from, to) = half_number(value, floor)?;
                *self.value_mut(self.owner_mut(&mut next.table)?)? = halved;
                (from, to)
            }
            Kind::Offset => {
                let text = value.as_str()?.trim();
                let (sign, magnitude) = match text.strip_prefix('-') {
                    Some(rest) => ("-", rest),
                    None => ("", text.strip_prefix('+').unwrap_or(text)),
                };
                let d: SimDuration = magnitude.parse().ok()?;
                let half = half_duration(d, MILLISECOND)?;
                let to = format!("{sign}{}", exact_duration_text(half));
                *self.value_mut(self.owner_mut(&mut next.table)?)? = Value::String(to.clone());
                (text.to_string(), to)
            }
            Kind::Slowdown => {
                let s = number_of(value)?;
                if s <= SLOWDOWN_FLOOR {
                    return None;
                }
                let halved = (1.0 + (s - 1.0) / 2.0).max(SLOWDOWN_FLOOR);
                *self.value_mut(self.owner_mut(&mut next.table)?)? = Value::Float(halved);
                (float_text(s), float_text(halved))
            }
        };
        // A step that changes nothing would let a walk repeat it for ever.
        (from != to).then_some((next, from, to))
    }
}

/// Every value `current` holds at another value than `original` (the same entry, in the
/// original's numbering): its name, the original's value and the current one, in [`dials`] order.
pub fn changes(original: &Candidate, current: &Candidate) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for dial in dials(current) {
        let mut before = dial.clone();
        before.owner = dial.owner.map(|(l, i)| (l, current.origins[l][i]));
        if let (Some(from), Some(to)) = (before.text(original), dial.text(current)) {
            if from != to {
                out.push((dial.name(current), from, to));
            }
        }
    }
    out
}

/// A short description of entry `i` (current numbering) of list `l`, in the original's numbering:
/// `fault[2]: partition 2m..5m`, `population[1]: west-users`.
pub fn label(c: &Candidate, l: usize, i: usize) -> String {
    let entry = entries(&c.table, LISTS[l]).get(i).and_then(Value::as_table);
    let text = |t: &Table, k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
    let what = entry.map(|t| match l {
        0 => {
            let kind = text(t, "type").unwrap_or_default();
            let start = text(t, "start").unwrap_or_default();
            match (text(t, "end"), t.get("permanent").and_then(Value::as_bool)) {
                (Some(end), _) => format!("{kind} {start}..{end}"),
                (None, Some(true)) => format!("{kind} from {start}, permanent"),
                (None, _) => format!("{kind} from {start}"),
            }
        }
        1 => text(t, "type").unwrap_or_default(),
        _ => text(t, "name").unwrap_or_default(),
    });
    format!("{}[{}]: {}", LISTS[l], c.origins[l][i], what.unwrap_or_default())
}

/// `d` halved to whole seconds (whole milliseconds under a 1 s floor), not below `floor`; `None` when `d` is at or below the floor.
fn half_duration(d: SimDuration, floor: SimDuration) -> Option<SimDuration> {
    if d <= floor {
        return None;
    }
    // Whole seconds for values whose floor is a second or more, so they stay easy to read.
    let unit = if floor >= SECOND { SECOND } else { MILLISECOND }.as_nanos();
    let half = (d.as_nanos() / 2) / unit * unit;
    Some(SimDuration::from_nanos(half.max(floor.as_nanos())))
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// A number halved towards 0 (its magnitude not below `floor`), integers staying integers; with
/// the value before and after as text. `None` at or below the floor.
fn half_number(value: &Value, floor: f64) -> Option<(Value, String, String)> {
    match value {
        Value::Integer(n) => {
            let floor = floor as i64;
            if n.abs() <= floor {
                return None;
            }
            let half = n.signum() * (n.abs() / 2).max(floor);
            Some((Value::Integer(half), n.to_string(), half.to_string()))
        }
        Value::Float(f) => {
            if f.abs() <= floor {
                return None;
            }
            // Whole numbers for values whose floor is 1 or more (a rate of 150 halves to 75, 37,
            // 18, ...), so the shrunk file reads as a person would write it.
            let half = if floor >= 1.0 { (f.abs() / 2.0).floor() } else { f.abs() / 2.0 };
            let half = f.signum() * half.max(floor);
            Some((Value::Float(half), float_text(*f), float_text(half)))
        }
        _ => None,
    }
}

/// Every single step from `c`: each removal of one entry of each list, then each halving of one
/// value above its floor. `mrsim shrink` ends only when none of them still fails.
pub fn single_steps(c: &Candidate) -> Vec<Step> {
    let mut steps = Vec::new();
    for l in 0..LISTS.len() {
        for i in 0..c.len(l) {
            let kept: Vec<usize> = (0..c.len(l)).filter(|&j| j != i).collect();
            steps.push(Step { description: format!("drop {}", c.name_entries(l, &[i])), candidate: c.keep(l, &kept) });
        }
    }
    for dial in dials(c) {
        if let Some((next, from, to)) = dial.halve(c) {
            steps.push(Step { description: format!("halve {} {from} -> {to}", dial.name(c)), candidate: next });
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[scenario]
name = "t"
duration = "7m"

[[population]]
name = "a"
rate = 10.0
keys = { uniform = 20 }
users = 3

[[population]]
name = "b"
sessions = 5
[[population.operation]]
kind = "read"
keys = { zipf = 100, exponent = 1.0 }

[[fault]]
type = "partition"
start = "2m"
end = "5m"

[[fault]]
type = "clock_skew"
start = "1500ms"
offset = "-150ms"
drift_ppm = 3.0

[[fault]]
type = "replication_impairment"
start = "600ms"
end = "1s"
slowdown = 4.0
"#;

    fn candidate() -> Candidate {
        Candidate::new(TEXT.parse().unwrap())
    }

    fn halvings(c: &Candidate) -> Vec<String> {
        single_steps(c).into_iter().map(|s| s.description).filter(|d| d.starts_with("halve")).collect()
    }

    #[test]
    fn every_value_halves_towards_its_floor() {
        assert_eq!(
            halvings(&candidate()),
            [
                "halve scenario.duration 7m -> 210s",
                "halve fault[0].window 3m -> 90s",
                "halve fault[0].start 2m -> 1m",
                "halve fault[1].start 1500ms -> 0s",
                "halve fault[1].offset -150ms -> -75ms",
                "halve fault[1].drift_ppm 3.0 -> 1.0",
                "halve fault[2].start 600ms -> 0s",
                "halve fault[2].slowdown 4.0 -> 2.5",
                "halve population[0].rate 10.0 -> 5.0",
                "halve population[0].users 3 -> 1",
                "halve population[0].keys.uniform 20 -> 10",
                "halve population[1].sessions 5 -> 2",
                "halve population[1].operation[0].keys.zipf 100 -> 50",
            ],
            "fault[2]'s window is 400ms, under the 1 s floor"
        );
    }

    #[test]
    fn moving_a_start_keeps_the_window_and_values_stop_at_their_floors() {
        let c = candidate();
        let start = dials(&c).into_iter().find(|d| d.name(&c) == "fault[0].start").unwrap();
        let (moved, ..) = start.halve(&c).unwrap();
        let fault = &entries(&moved.table, "fault")[0];
        assert_eq!((fault["start"].as_str(), fault["end"].as_str()), (Some("1m"), Some("4m")));
        let mut c = c;
        for dial in dials(&c) {
            while let Some((next, ..)) = dial.halve(&c) {
                c = next;
            }
        }
        assert!(halvings(&c).is_empty(), "every value at its floor: {:?}", halvings(&c));
        let scenario = c.table["scenario"].as_table().unwrap();
        assert_eq!(scenario["duration"].as_str(), Some("1s"));
        let p = &entries(&c.table, "population")[0];
        assert_eq!((p["rate"].as_float(), p["keys"]["uniform"].as_integer()), (Some(1.0), Some(1)));
        let f = &entries(&c.table, "fault");
        assert_eq!((f[0]["start"].as_str(), f[0]["end"].as_str()), (Some("0s"), Some("1s")));
        assert_eq!((f[1]["offset"].as_str(), f[1]["drift_ppm"].as_float()), (Some("-1ms"), Some(1.0)));
        assert_eq!(f[2]["slowdown"].as_float(), Some(1.1));
    }

    #[test]
    fn removals_name_entries_as_the_original_numbers_them() {
        let c = candidate().keep(0, &[0, 2]);
        assert_eq!(c.origins[0], [0, 2]);
        let drops: Vec<String> =
            single_steps(&c).into_iter().map(|s| s.description).filter(|d| d.starts_with("drop")).collect();
        assert_eq!(drops, ["drop fault[0]", "drop fault[2]", "drop population[0]", "drop population[1]"]);
        let none = c.keep(0, &[]);
        assert!(!none.table.contains_key("fault"), "an emptied list leaves the table");
        assert!(none.text().starts_with("[scenario]"), "{}", none.text());
    }

    #[test]
    fn the_text_lists_tables_in_the_format_order_and_parses_back() {
        let c = candidate();
        let text = c.text();
        let order: Vec<usize> =
            ["[scenario]", "[[population]]", "[[fault]]"].iter().map(|h| text.find(h).unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let back: Table = text.parse().unwrap();
        assert_eq!(back, c.table);
    }

    #[test]
    fn changes_and_labels_speak_of_the_original() {
        let original = candidate();
        let c = original.keep(0, &[1, 2]).keep(2, &[1]);
        let start = dials(&c).into_iter().find(|d| d.name(&c) == "fault[1].start").unwrap();
        let (c, ..) = start.halve(&c).unwrap();
        let sessions = dials(&c).into_iter().find(|d| d.name(&c) == "population[1].sessions").unwrap();
        let (c, ..) = sessions.halve(&c).unwrap();
        assert_eq!(
            changes(&original, &c),
            [
                ("fault[1].start".to_string(), "1500ms".to_string(), "0s".to_string()),
                ("population[1].sessions".to_string(), "5".to_string(), "2".to_string()),
            ]
        );
        assert_eq!(label(&original, 0, 0), "fault[0]: partition 2m..5m");
        assert_eq!(label(&original, 0, 1), "fault[1]: clock_skew from 1500ms");
        assert_eq!(label(&c, 2, 0), "population[1]: b");
    }
}
