//! What a shrink writes besides steps.csv: the account (one paragraph: what was removed and
//! halved, from what to what, in how many runs, and whether the result is shown 1-minimal), the
//! shrunk scenario file with a comment block saying where it came from, and the reproduce lines.
//! Every text depends only on the shrink's inputs and its walk, never on paths of the output
//! folder or wall time, so a reproduced shrink writes the same bytes.

use sim_core::Seed;

use super::log::{Stop, sizes_text};
use super::steps::{self, Candidate, LISTS};
use super::trial::Target;

/// Everything the texts are made from.
pub struct Facts<'a> {
    /// The scenario as the user named it, and its `[scenario] name`.
    pub file: &'a str,
    pub name: &'a str,
    pub seed: Seed,
    pub target: &'a Target,
    /// The expect's observed value on the original and on the shrunk scenario.
    pub observed: (&'a str, &'a str),
    pub original: &'a Candidate,
    pub shrunk: &'a Candidate,
    /// Candidates tried, failing, passing, other (invalid, run failed, failing otherwise).
    pub counts: [usize; 4],
    pub stop: Option<Stop>,
    /// Single steps from the shrunk scenario, each run and passing (when not stopped).
    pub single_steps: usize,
    /// The `mrsim shrink` command line, without `--out`.
    pub command: &'a str,
}

impl Facts<'_> {
    fn expect_text(&self) -> String {
        let e = &self.target.expect;
        format!("expect[{}] ({} {})", self.target.index, e.metric, e.bound)
    }

    /// The one-paragraph account.
    pub fn account(&self) -> String {
        let (before, after) = self.observed;
        let mut parts = vec![format!(
            "`mrsim shrink` reduced {} (\"{}\") with seed {} while {} kept failing: {before} on the original, {after} \
             on the shrunk scenario.",
            self.file,
            self.name,
            self.seed,
            self.expect_text()
        )];
        let mut removed = Vec::new();
        for l in 0..LISTS.len() {
            let (was, now) = (self.original.len(l), self.shrunk.len(l));
            if was == now {
                continue;
            }
            let gone: Vec<String> = (0..was)
                .filter(|i| !self.shrunk.origins[l].contains(i))
                .map(|i| steps::label(self.original, l, i))
                .collect();
            let noun = ["faults", "fault generators", "populations"][l];
            removed.push(format!("{} of {was} {noun} ({})", was - now, gone.join(", ")));
        }
        parts.push(match removed.is_empty() {
            true => "It removed nothing.".to_string(),
            false => format!("It removed {}.", join_and(&removed)),
        });
        let changes: Vec<String> = steps::changes(self.original, self.shrunk)
            .into_iter()
            .map(|(name, from, to)| format!("{name} {from} -> {to}"))
            .collect();
        parts.push(match changes.is_empty() {
            true => "It halved no value.".to_string(),
            false => format!("It halved {}.", join_and(&changes)),
        });
        let kept = sizes_text(&[0, 1, 2].map(|l| self.shrunk.len(l)));
        parts.push(format!("What is left: {kept}."));
        let [runs, fails, passes, other] = self.counts;
        parts.push(format!(
            "It tried {} ({fails} failing, {passes} passing, {other} invalid or failing otherwise).",
            crate::count(runs as u64, "candidate", "candidates")
        ));
        parts.push(match self.stop {
            None => format!(
                "No single further step still fails: each of the {} single removals and halvings above their floors \
                 from the shrunk scenario was run and passed, so it is 1-minimal.",
                self.single_steps
            ),
            Some(Stop::Runs) => {
                "It stopped at --max-runs before it could show the result 1-minimal; raise --max-runs and run the \
                 same command into the same folder to go on."
                    .to_string()
            }
            Some(Stop::Seconds) => "It stopped at --max-seconds before it could show the result 1-minimal; run the \
                 same command into the same folder to go on."
                .to_string(),
        });
        format!("{}\n", parts.join(" "))
    }

    /// shrunk.toml: a comment block (the original, the seed, the command, the account), then the
    /// scenario.
    pub fn shrunk_file(&self) -> String {
        let head = format!(
            "Shrunk by `mrsim shrink` from {} (scenario \"{}\") with seed {}: {} fails here as it fails there. \
             Check it with `mrsim check` on this file (the seed is the scenario's own).",
            self.file,
            self.name,
            self.seed,
            self.expect_text()
        );
        let mut text = String::new();
        for line in wrap(&head, 98) {
            text.push_str(&format!("# {line}\n"));
        }
        text.push_str(&format!("# Made by: {}\n#\n", self.command));
        for line in wrap(&self.account(), 98) {
            text.push_str(&format!("# {line}\n"));
        }
        text.push('\n');
        text.push_str(&self.shrunk.text());
        text
    }

    /// reproduce.txt: the commands that show the failure and the one that made the file.
    pub fn reproduce(&self) -> String {
        format!(
            "# From this folder: the shrunk scenario fails {} with seed {}.\n\
             mrsim check shrunk.toml --seed0 {}\n\
             mrsim run shrunk.toml --seed {}\n\
             # The shrink that wrote this folder (started again into the same --out, it resumes):\n\
             {}\n",
            self.expect_text(),
            self.seed,
            self.seed,
            self.seed,
            self.command
        )
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_join_with_and_and_lines_wrap_at_spaces() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(join_and(&s(&["a"])), "a");
        assert_eq!(join_and(&s(&["a", "b", "c"])), "a, b and c");
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
    }
}
