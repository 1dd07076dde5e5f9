#!/bin/bash
# Side-by-side runs against the peers with ratios taken within each run.
# usage: benchmarks/compare.sh MODEL [REPS] [peer ...]    (run from the repository root)
# Each repetition waits until the machine is idle (the peers' cpustat.py), then runs the
# peers' run.sh once (MXNet, PyTorch, then mxlite) into its own results file; ratios.py
# then prints the peers' table over all repetitions and the per-run ratios with medians.
# env: PEERS_DIR (default ../shared/peers), OUT (default /tmp/mxlite-bench), WAIT (s, 300)
set -u
model=$1; reps=${2:-3}; shift; shift 2>/dev/null
peers=${*:-mxnet torch}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
pdir=${PEERS_DIR:-$repo/../shared/peers}
out=${OUT:-/tmp/mxlite-bench}
mkdir -p "$out"
files=()
for rep in $(seq "$reps"); do
  idle=$(python3 "$pdir/cpustat.py" waitidle "${WAIT:-300}")
  load=$(cut -d' ' -f1 /proc/loadavg)
  f="$out/$model-$rep.jsonl"
  ( cd "$repo" && RESULTS="$f" EXTRA="mxlite=python $repo/benchmarks/train.py" \
      "$pdir/run.sh" "$model" $peers > /dev/null )
  echo "run $rep: busy fraction before start $idle, load $load" >&2
  files+=("$f")
done
python3 "$pdir/summarize.py" "${files[@]}"
echo
python3 "$here/ratios.py" "${files[@]}"
