#!/usr/bin/env bash
# The steps of github-actions.yml and gitlab-ci.yml run for real, from this checkout instead of a git
# URL: `cargo install --locked --profile dist --path experiments` into a temporary root, `mrsim check`
# on a shipped scenario with [[expect]] writing its output folder (the artifact), which must pass,
# then the same check with one expectation made impossible, which must fail with exit 1 and still
# write its folder.
#
#   bash experiments/ci-examples/ci.sh    # from the repository root
#
# The install builds in ${CARGO_TARGET_DIR:-target}/dist (a few minutes the first time), reused after.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
root=$(mktemp -d "${TMPDIR:-/tmp}/mrsim-install.XXXXXX")
trap 'rm -rf "$root"' EXIT
die() {
  echo "ci-examples: $*" >&2
  exit 1
}

target_dir=${CARGO_TARGET_DIR:-$repo/target}
cargo install --locked --quiet --profile dist --path experiments --root "$root" --target-dir "$target_dir" ||
  die "cargo install --profile dist --path experiments failed"
mrsim="$root/bin/mrsim"
[ -x "$mrsim" ] || die "cargo install put no mrsim in $root/bin"

# The scenario's six expects hold: exit 0, and the folder a pipeline keeps.
scenario=experiments/scenarios/mrsc.toml
"$mrsim" check "$scenario" --seeds 2 --out "$root/check-pass" >"$root/pass.log" 2>&1 ||
  { cat "$root/pass.log" >&2; die "mrsim check $scenario failed where its expectations hold"; }
for f in check.csv check.json; do [ -s "$root/check-pass/$f" ] || die "mrsim check --out wrote no $f"; done

# One expect made impossible (MREC loses more than 10^9 writes): exit 1, and the folder still written.
status=0
"$mrsim" check "$scenario" --seeds 2 --set 'expect[3].greater_than=1000000000' --out "$root/check-fail" \
  >"$root/fail.log" 2>&1 || status=$?
[ "$status" = 1 ] || { cat "$root/fail.log" >&2; die "a violated expectation exited $status, not 1"; }
grep -q ',3,stores.ledger-mrec.lost_last_writer_wins,.*,false$' "$root/check-fail/check.csv" ||
  die "the failing check's check.csv does not record expect 3 as failed"
echo "ci-examples: ok: cargo install --profile dist --path experiments, mrsim check passes (exit 0), a violated expectation fails (exit 1), check.csv/check.json written both times"
