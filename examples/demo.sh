#!/usr/bin/env bash
# make demo: build a demo fleet of several passes in demo/fleetq.db and run
# representative queries against it. Safe to re-run: it starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
FLEETQ="$PWD/bin/fleetq"
DIR=demo
rm -rf "$DIR" && mkdir -p "$DIR"
export FLEETQ_DB="$DIR/fleetq.db"

# shown prints a command as it would be typed: arguments with spaces or
# shell characters in single quotes, so it can be pasted into a shell.
shown() {
  local out="fleetq" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%,+-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '\n$ %s\n' "$out"
}
run() { shown "$@"; "$FLEETQ" "$@"; }
fails() { shown "$@"; printf '  # fails on purpose\n'; "$FLEETQ" "$@" || printf '(exit %d)\n' $?; }

# The passes are dated from the clock: pass 3 is five minutes old, so the
# decisions below run on fresh evidence (a verb refuses a pass older than
# the policy's max_evidence_age, 2h by default).
stamp() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
start=$(( ($(date -u +%s) - 7800) / 60 * 60 ))   # pass 1 sampled 2h10m ago, read 5m later
echo "== generating a 5,000-host demo fleet: 3 passes an hour apart, 1% churn each"
./bin/genfleet --out "$DIR/fleet" --hosts 5000 --passes 3 --seed 7 --start "$(stamp $start)" >/dev/null
F="$DIR/fleet"

echo "== pass 1: inventory CSV, HDFS dfsadmin -report, yarn node -list, Prometheus 'up', a host list"
"$FLEETQ" --create defs set examples/fleet.defs   # before the first ingest: --create starts the file
run ingest --at "$(stamp $((start + 300)))" --label demo-1 "$F/pass-001/inventory.csv" \
  "$F/pass-001/hdfs-report.txt" "$F/pass-001/yarn-nodes.txt" "$F/pass-001/prom-up.json" "$F/pass-001/dead-reboot"
echo; echo "== pass 2 re-reads only the inventory and metrics: HDFS and YARN are carried forward"
run ingest --at "$(stamp $((start + 3900)))" --label demo-2 "$F/pass-002/inventory.csv" "$F/pass-002/prom-up.json"
echo; echo "== pass 3 re-reads everything, and the kernels the hosts run: Prometheus' node_uname_info, a second prom source named uname"
run ingest --at "$(stamp $((start + 7500)))" --label demo-3 "$F/pass-003/inventory.csv" \
  "$F/pass-003/hdfs-report.txt" "$F/pass-003/yarn-nodes.txt" "$F/pass-003/prom-up.json" "$F/pass-003/dead-reboot" \
  prom:uname="$F/pass-003/prom-uname.json"

run passes
run sets
echo; echo "== the question fleetq exists for"
run query --seed 42 'all - hadoop_exclude & responsive | sample 5'
run explain --seed 42 'all - hadoop_exclude & responsive & puppet_ok | sample 5'
echo; echo "== precedence is left to right: these differ"
run query 'all - hadoop_exclude & responsive | count'
run query 'all - (hadoop_exclude & responsive) | count'
echo; echo "== three observers: the CMDB, the control planes, the metrics"
run query 'hdfs - inventory'
run query 'hdfs.state = "dead" - dead | by lifecycle'
run query --seed 42 'hdfs.state = "dead" - dead | sample 4 | show cluster,lifecycle,hdfs.admin'
run query 'yarn.state in (lost, unhealthy) | by cluster'
run query --pass 2 'hdfs.state = "dead" | count'
echo; echo "== predicates, tables, folded output"
run query 'hadoop & lifecycle in (dead, repair) | by cluster'
run query --seed 42 'cluster = "smf1-dense-02" & responsive | spread rack 1 | count'
run query --format folded 'dead-reboot'
run query --seed 42 'lifecycle = "active" | stratify sku 1 | show sku,role,rack'
echo; echo "== history: newly dead since the previous pass, and why a host is not a candidate"
run query 'dead - dead@-1'
host=$("$FLEETQ" query 'hadoop & dead | head 1')
run why "$host" 'all - hadoop_exclude & responsive & puppet_ok & hadoop'
run log 2
echo; echo "== a typo is an error with a suggestion, never an empty set"
fails query 'all - hadoop_exlude & responsive'

echo; echo "== acting safely: decisions through safety invariants and policy budgets (docs/actions.md)"
export FLEETQ_POLICY=examples/policy/
echo "# policy: the directory examples/policy/ (dense clusters 8%, others 3%, per_rack 2, one replica group at a time;"
echo "# db/smf1-critical-01.toml: one host at a time there). Validate it, and see what applies to one cluster:"
run policy check
run policy show smf1-critical-01
echo "# a dry run: the arithmetic by cause, the approved hosts, every refused host with its rule"
run drain 'cluster = "smf1-dense-02" & hdfs.state = "in_service" | sample 30' --reason "disk firmware" --seed 42
echo; echo "# a cluster whose budget broken hosts already spent: do nothing (exit 0)"
run reboot 'cluster = "atla-hadoop-02" & lifecycle = "active" | sample 5' --reason "kernel 6.8" --seed 42
echo; echo "# a refused host and its rule: HDFS still serves it, so it may not be reinstalled"
served=$("$FLEETQ" query 'cluster = "smf1-dense-02" & hdfs.state = "in_service" | head 1')
run rekick "\"$served\"" --reason "reimage" --seed 42
echo; echo "# commit: leases granted in the transaction that re-checked the budget; the next request finds it spent"
run drain 'cluster = "smf1-dense-02" & hdfs.state = "in_service" | sample 30' --reason "disk firmware" --seed 42 --commit --yes --as alice
echo "# (the plan tokens printed by the dry runs above are now stale: fleetq apply refuses a plan whose ledger changed)"
run leases
run drain 'cluster = "smf1-dense-02" & hdfs.state = "in_service" | sample 30' --reason "more disks" --seed 7 --as bob
run audit
run audit replay 4

echo; echo "== drift: the kernel the CMDB declares against the one node_exporter reports (policy [drift], docs/windows.md)"
echo "# counts first, then the drifted hosts, risky first; --save stores drift.kernel, drift.kernel.safe, ... in pass 3"
run drift --save
echo "# the hand-written query it replaces finds the same hosts"
run query 'node_uname.release exists & kernel != node_uname.release | count'
run query 'drift.kernel.risky | show cluster,kernel,node_uname.release'
echo "# the safe drifts go to a verb (and its executor): a reboot boots the declared kernel"
run reboot drift.kernel.safe --reason "boot the declared kernel" --seed 42

echo; echo "== the maintenance week: one, few, many over smf1, every host one slot (examples/week.toml; docs/windows.md)"
run plan week examples/week.toml --seed 7
run week show
echo "# the cross-check: every host of smf1 has a slot in the week (exit 4 and the list when not)"
run check windows 'dc = "smf1"'
echo "# tell each customer: a CSV of their hosts and slots and an iCalendar file per customer"
run week export "$DIR/week-export"
ls "$DIR/week-export" | head -8

echo; echo "== a progressive rollout: canaries first, then waves across racks, each judged on a pass sealed after it started (docs/actions.md)"
run plan rollout 'cluster = "atla-k8s-01" & lifecycle = "active" & responsive' --waves 10%,50%,100% --canary-by sku --name k8s-bios --seed 42
run firmware rollout:k8s-bios/w0 --reason "BIOS 2.19 canaries" --seed 42 --commit --yes --as alice
echo "# the canaries' wave started with their leases; its verdict waits for a pass sealed after that (the next ingest)"
run check wave k8s-bios 0
run rollout list
