//! The event-stream trace: a running hash of every event a run fires, and the records the
//! determinism check needs to locate a divergence.
//!
//! Each event contributes `(index, time, event)` hashed with [`StableHasher`], a fixed hash whose
//! integer writes are little-endian and whose `usize`/`isize` writes are widened to 64 bits, so a
//! `#[derive(Hash)]` event hashes to the same value on every machine. The running hash folds the
//! per-event hashes in order: two runs have the same trace hash only if they fired the same events,
//! at the same times, in the same order.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};

use crate::time::SimTime;

/// A fixed 64-bit hash (FNV-1a style over 64-bit words, finished with a SplitMix64 avalanche).
/// Unlike `std`'s `DefaultHasher` it is documented never to change, and it is platform-independent.
#[derive(Clone, Debug)]
pub struct StableHasher {
    state: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher { state: FNV_OFFSET }
    }
}

impl StableHasher {
    fn mix_word(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(FNV_PRIME).rotate_left(23);
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix_word(u64::from_le_bytes(chunk.try_into().expect("chunks_exact(8) yields 8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length marks how many bytes were real, so "a" and "a\0" differ.
            self.mix_word(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.mix_word(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.mix_word(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.mix_word(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.mix_word(i);
    }
    fn write_u128(&mut self, i: u128) {
        self.mix_word(i as u64);
        self.mix_word((i >> 64) as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.mix_word(i as u64);
    }
    fn write_i8(&mut self, i: i8) {
        self.mix_word(i as u64);
    }
    fn write_i16(&mut self, i: i16) {
        self.mix_word(i as u64);
    }
    fn write_i32(&mut self, i: i32) {
        self.mix_word(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.mix_word(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.mix_word(i as u64);
    }
}

/// The stable hash of one value.
pub fn stable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = StableHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// How much of the event stream a run records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceMode {
    /// Nothing: the fastest, for benchmarks.
    Off,
    /// The running hash only.
    Hash,
    /// The running hash, plus a checkpoint of it after every `every` events.
    Checkpoints { every: u64 },
    /// The running hash, plus a full record (with the event's `Debug` text) of every event whose
    /// index lies in `from..to`.
    Capture { from: u64, to: u64 },
}

/// One event as the trace saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub index: u64,
    pub time: SimTime,
    pub hash: u64,
    pub text: String,
}

/// What a run's trace recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceSummary {
    /// Events fired.
    pub events: u64,
    /// The running hash after the last event (zero when tracing was off).
    pub hash: u64,
    /// With [`TraceMode::Checkpoints`]: the running hash after events `every`, `2 every`, ...
    pub checkpoints: Vec<u64>,
    /// With [`TraceMode::Capture`]: the records of the captured range.
    pub captured: Vec<EventRecord>,
}

/// Records the trace as the run loop feeds it events.
#[derive(Clone, Debug)]
pub(crate) struct TraceRecorder {
    mode: TraceMode,
    summary: TraceSummary,
}

impl TraceRecorder {
    pub(crate) fn new(mode: TraceMode) -> Self {
        TraceRecorder { mode, summary: TraceSummary::default() }
    }

    #[inline]
    pub(crate) fn record<E: Hash + Debug>(&mut self, index: u64, time: SimTime, event: &E) {
        if self.mode == TraceMode::Off {
            return;
        }
        let mut h = StableHasher::default();
        index.hash(&mut h);
        time.as_nanos().hash(&mut h);
        event.hash(&mut h);
        let event_hash = h.finish();
        let mut running = StableHasher { state: self.summary.hash };
        running.write_u64(event_hash);
        self.summary.hash = running.finish();
        match self.mode {
            TraceMode::Checkpoints { every } if every > 0 && (index + 1) % every == 0 => {
                self.summary.checkpoints.push(self.summary.hash);
            }
            TraceMode::Capture { from, to } if (from..to).contains(&index) => {
                self.summary.captured.push(EventRecord { index, time, hash: event_hash, text: format!("{event:?}") });
            }
            _ => {}
        }
    }

    pub(crate) fn finish(mut self, events: u64) -> TraceSummary {
        self.summary.events = events;
        self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Hash, Debug)]
    enum Sample {
        A { x: u32, name: String },
        B(usize),
    }

    /// Pins the hash: a change here changes every recorded trace hash.
    #[test]
    fn stable_hash_is_pinned() {
        assert_eq!(stable_hash(&Sample::A { x: 7, name: "us-east-1".into() }), GOLDEN_A);
        assert_eq!(stable_hash(&Sample::B(3)), GOLDEN_B);
        assert_ne!(stable_hash("a"), stable_hash("a\0"));
        assert_ne!(stable_hash(&(1u32, 2u32)), stable_hash(&(2u32, 1u32)));
        // Every integer width reaches the state, both halves of a u128 included.
        assert_ne!(stable_hash(&1u8), stable_hash(&2u8));
        assert_ne!(stable_hash(&1u16), stable_hash(&2u16));
        assert_ne!(stable_hash(&1u32), stable_hash(&2u32));
        assert_ne!(stable_hash(&1usize), stable_hash(&2usize));
        assert_ne!(stable_hash(&1u128), stable_hash(&(1u128 << 64 | 1)));
        assert_ne!(stable_hash(&-1i8), stable_hash(&1i8));
        assert_ne!(stable_hash(&-1i16), stable_hash(&1i16));
        assert_ne!(stable_hash(&-1i32), stable_hash(&1i32));
        assert_ne!(stable_hash(&-1i64), stable_hash(&1i64));
        assert_ne!(stable_hash(&-1isize), stable_hash(&1isize));
    }

    fn record_six(mode: TraceMode) -> TraceSummary {
        let mut recorder = TraceRecorder::new(mode);
        for index in 0..6u64 {
            recorder.record(index, SimTime::from_nanos(10 * index), &Sample::B(index as usize));
        }
        recorder.finish(6)
    }

    /// A capture keeps exactly the events of its window; checkpoints fall after every `every`
    /// events, and a spacing of zero records none (rather than dividing by zero).
    #[test]
    fn capture_and_checkpoints_follow_their_mode() {
        let captured = record_six(TraceMode::Capture { from: 2, to: 4 }).captured;
        let seen: Vec<(u64, SimTime, &str)> = captured.iter().map(|r| (r.index, r.time, r.text.as_str())).collect();
        assert_eq!(seen, vec![(2, SimTime::from_nanos(20), "B(2)"), (3, SimTime::from_nanos(30), "B(3)")]);
        let hash = record_six(TraceMode::Hash).hash;
        let every_two = record_six(TraceMode::Checkpoints { every: 2 });
        assert_eq!((every_two.checkpoints.len(), every_two.checkpoints[2]), (3, hash));
        assert!(record_six(TraceMode::Checkpoints { every: 0 }).checkpoints.is_empty());
    }

    const GOLDEN_A: u64 = 13108781501919791772;
    const GOLDEN_B: u64 = 6290636265745276676;
}
