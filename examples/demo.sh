#!/usr/bin/env bash
# make demo: build a demo fleet of several passes in demo/fleetq.db and run
# representative queries against it. Safe to re-run: it starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
FLEETQ="$PWD/bin/fleetq"
DIR=demo
rm -rf "$DIR" && mkdir -p "$DIR"
export FLEETQ_DB="$DIR/fleetq.db"

run() { printf '\n$ fleetq %s\n' "$*"; "$FLEETQ" "$@"; }
fails() { printf '\n$ fleetq %s   # fails on purpose\n' "$*"; "$FLEETQ" "$@" || printf '(exit %d)\n' $?; }

echo "== generating a 5,000-host demo fleet, 3 passes, 1% churn per pass"
./bin/genfleet --out "$DIR/fleet" --hosts 5000 --passes 3 --seed 7 >/dev/null

T=(2026-11-20T00:05:00Z 2026-11-20T01:05:00Z 2026-11-20T02:05:00Z)
for i in 1 2 3; do
  p=$(printf '%s/fleet/pass-%03d' "$DIR" "$i")
  run ingest --at "${T[$((i-1))]}" --label "demo-$i" \
    "$p/inventory.csv" "$p/responsive" "$p/dead-reboot"
done

run passes
run sets
echo; echo "== the question fleetq exists for"
run query --seed 42 'all - hadoop_exclude & responsive | sample 5'
run explain --seed 42 'all - hadoop_exclude & responsive & puppet_ok | sample 5'
echo; echo "== precedence is left to right: these differ"
run query 'all - hadoop_exclude & responsive | count'
run query 'all - (hadoop_exclude & responsive) | count'
echo; echo "== predicates, tables, folded output"
run query 'role = "hadoop-worker" & lifecycle in (dead, repair) | by cluster'
run query 'cluster = "smf1-dense-02" & responsive | spread rack 1 | count'
run query --format folded 'dead-reboot'
run query --seed 42 'lifecycle = "active" | stratify sku 1 | show sku,role,rack'
echo; echo "== time travel: hosts newly dead since the previous pass"
run query '(lifecycle = "dead") - (lifecycle = "dead")@-1'
echo; echo "== a typo is an error with a suggestion, never an empty set"
fails query 'all - hadoop_exlude & responsive'
