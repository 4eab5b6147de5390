#!/usr/bin/env bash
# The Slurm array job checked for real on this machine: installs Debian's slurm-wlm and munge if they
# are missing, starts a one-node Slurm as root without systemd (munged, slurmctld and slurmd, all on a
# configuration written to a temporary folder, with their own munge socket and free ports, so nothing
# of the machine's own Slurm or munge is used or changed), submits sweep.sbatch over a small sweep
# as a 4-task array and merge.sbatch after it, waits for both (bounded), and compares the merged
# sweep byte for byte with the same sweep run on one machine. The daemons are stopped and the folder
# removed on any exit; on failure the daemons' logs and the jobs' output are printed first.
#
#   bash experiments/jobs/slurm/ci.sh        # from the repository root, after a release build
#
# MRSIM: the binary (default ${CARGO_TARGET_DIR:-target}/release/mrsim); MRSIM_SLURM_TIMEOUT_S: the
# longest wait for the jobs (default 300); MRSIM_SLURM_KEEP=1 keeps the temporary folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
mrsim=${MRSIM:-${CARGO_TARGET_DIR:-$repo/target}/release/mrsim}
timeout_s=${MRSIM_SLURM_TIMEOUT_S:-300}
tasks=4

die() {
  echo "slurm ci: $*" >&2
  exit 1
}

case "$mrsim" in /*) ;; *) mrsim="$PWD/$mrsim" ;; esac
[ -x "$mrsim" ] || die "no mrsim binary at $mrsim: build it (cargo build --release -p experiments --bin mrsim) or set MRSIM"
[ "$(id -u)" = 0 ] || die "starts munged, slurmctld and slurmd as root: run it as root (a CI container)"
case "$timeout_s" in '' | *[!0-9]*) die "MRSIM_SLURM_TIMEOUT_S=$timeout_s is not a whole number of seconds" ;; esac

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm ci: installing slurm-wlm and munge (Debian packages)"
  command -v apt-get >/dev/null || die "slurmctld, slurmd or munged is missing and there is no apt-get to install slurm-wlm and munge"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null ||
    die "apt-get install slurm-wlm munge failed"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mrsim-slurm.XXXXXX")
daemons=() # pids, in start order
jobs_submitted=()
failed=1

stop_daemons() {
  local i pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    pid=${daemons[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${#jobs_submitted[@]}" -gt 0 ]; then scancel "${jobs_submitted[@]}" 2>/dev/null || true; fi
  if [ "$failed" = 1 ]; then
    for f in "$work"/log/* "$work"/jobs/*.out; do
      [ -s "$f" ] || continue
      echo "---- $f (last 40 lines)" >&2
      tail -n 40 "$f" >&2
    done
  fi
  stop_daemons
  if [ "${MRSIM_SLURM_KEEP:-0}" = 1 ]; then echo "slurm ci: kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port on 127.0.0.1 that nothing listens on, from `from` upwards.
free_port() {
  local port
  for ((port = $1; port < $1 + 200; port++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free TCP port in $1..$(($1 + 199))"
}

mkdir -p "$work"/{munge,log,state,spool,jobs}
# munged insists that everyone may reach its socket (execute on every folder above it).
chmod 755 "$work" "$work/munge"

# munge: its own key and socket, so a munged the machine runs already is neither used nor disturbed.
mungekey --create --keyfile="$work/munge/munge.key" || die "mungekey could not create a key"
munged --foreground --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munge.seed" \
  --log-file="$work/log/munged.log" 2>"$work/log/munged.stderr" &
daemons+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.socket" ] || die "munged did not open its socket within 5 s"

ctld_port=$(free_port 16817)
slurmd_port=$(free_port $((ctld_port + 1)))
: >"$work/plugstack.conf"
cat >"$work/slurm.conf" <<CONF
# A one-node Slurm for the check, written by experiments/jobs/slurm/ci.sh.
ClusterName=mrsim-ci
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
PlugStackConfig=$work/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.stderr" 2>&1 &
daemons+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$work/log/slurmd.stderr" 2>&1 &
daemons+=($!)

# The node must register and come up idle before a job can run.
state=
for _ in $(seq 60); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || die "the Slurm node did not come up idle within 30 s (state: '${state:-no answer}')"
echo "slurm ci: one-node Slurm up ($(nproc) CPUs, slurmctld on port $ctld_port)"

# A small sweep (about 2 s of compute): 2 points x 3 seeds, 6 runs over 4 array tasks, so shards own
# 1 or 2 runs each.
scenario="$repo/experiments/scenarios/skeleton.toml"
sweep_args=("$scenario" --grid 'population[0].rate=50,100' --seeds 3)

array_job=$(cd "$work/jobs" && sbatch --parsable --array=0-$((tasks - 1)) --export="ALL,MRSIM=$mrsim" \
  "$here/sweep.sbatch" "$work/slurm-sweep" "${sweep_args[@]}") || die "sbatch of sweep.sbatch was refused"
jobs_submitted+=("$array_job")
merge_job=$(cd "$work/jobs" && sbatch --parsable --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --export="ALL,MRSIM=$mrsim" "$here/merge.sbatch" "$work/slurm-sweep") || die "sbatch of merge.sbatch was refused"
jobs_submitted+=("$merge_job")
echo "slurm ci: submitted array job $array_job ($tasks tasks) and merge job $merge_job"

waited=0
while [ -n "$(squeue -h -j "$array_job,$merge_job" -o %i 2>/dev/null)" ]; do
  [ "$waited" -lt "$timeout_s" ] || die "the jobs did not finish within $timeout_s s (MRSIM_SLURM_TIMEOUT_S)"
  sleep 1
  waited=$((waited + 1))
done

# Every array task and the merge must have completed with exit code 0 (no accounting: slurmctld
# keeps finished jobs for MinJobAge, 300 s by default).
states=$(scontrol -o show job "$array_job"; scontrol -o show job "$merge_job") ||
  die "scontrol no longer knows the jobs"
completed=$(grep -c 'JobState=COMPLETED .*ExitCode=0:0' <<<"$states" || true)
if [ "$completed" != $((tasks + 1)) ]; then
  awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(JobId|ArrayTaskId|JobState|ExitCode)=/) printf "%s ", $i; print "" }' \
    <<<"$states" >&2
  die "$completed of $((tasks + 1)) jobs completed with exit code 0"
fi

"$mrsim" sweep "${sweep_args[@]}" --out "$work/one-machine" --threads 1 >"$work/log/one-machine.log" 2>&1 ||
  die "the same sweep on one machine failed"
for f in sweep.json runs.csv points.csv; do
  cmp "$work/one-machine/$f" "$work/slurm-sweep/$f" || die "$f from the Slurm array differs from one machine's"
done
diff -r "$work/one-machine/runs" "$work/slurm-sweep/runs" >/dev/null || die "runs/ from the Slurm array differs from one machine's"
echo "slurm ci: ok, $tasks array tasks + merge in ${waited} s, sweep.json, runs.csv, points.csv and runs/ identical to one machine's"
failed=0
