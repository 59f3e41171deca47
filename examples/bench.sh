#!/usr/bin/env bash
# make bench: Go benchmarks, then whole processes side by side on generated
# fleets (cached in .bench/): fleetq vs a comm pipeline vs sqlite3, ingest
# vs sqlite3 .import, diff, database growth, peak memory. A table per size;
# everything is also written to .bench/report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
RUNS=${BENCH_RUNS:-5}
GROWTH_HOSTS=${BENCH_GROWTH_HOSTS:-100000}
GROWTH_PASSES=${BENCH_GROWTH_PASSES:-100}
B=.bench
mkdir -p "$B"
FQ="$PWD/bin/fleetq"
REPORT="$B/report.txt"
: >"$REPORT"
say() { echo "$*" | tee -a "$REPORT"; }

if ! command -v sqlite3 >/dev/null; then
  echo "installing sqlite3 (apt-get)"; (apt-get update -qq && apt-get install -y -qq sqlite3) >/dev/null
fi
go build -o bin/benchrun ./examples/benchrun

say "# fleetq bench $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "# $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
say "# $(go version), $(sqlite3 --version | cut -d' ' -f1-2), $(comm --version | head -1)"

say ""; say "## Go benchmarks (1,000,000 hosts)"
go test -run '^$' -bench . -benchmem -benchtime 10x ./internal/setops/ ./internal/query/ ./internal/store/ ./internal/ingest/... 2>&1 \
  | grep -E '^(Benchmark|ok|PASS|FAIL)' | tee -a "$REPORT"

# gen N PASSES CHURN DIR: generate once, reuse while the flags match.
gen() {
  local n=$1 passes=$2 churn=$3 dir=$4 want="--hosts $1 --passes $2 --churn $3 --lists"
  if [ -f "$dir/MANIFEST" ] && grep -qF -- "$want" "$dir/.flags" 2>/dev/null; then return; fi
  rm -rf "$dir"; ./bin/genfleet --out "$dir" --hosts "$n" --passes "$passes" --churn "$churn" --lists --control-planes=false >/dev/null
  echo "$want" >"$dir/.flags"
}

sqlite_load() { # DB LISTS
  rm -f "$1"
  sqlite3 "$1" <<SQL
CREATE TABLE all_hosts(host TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE hadoop_exclude(host TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE responsive(host TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE puppet_ok(host TEXT PRIMARY KEY) WITHOUT ROWID;
.import $2/all all_hosts
.import $2/hadoop_exclude hadoop_exclude
.import $2/responsive responsive
.import $2/puppet_ok puppet_ok
SQL
}

Q='all - hadoop_exclude & responsive & puppet_ok'
SQL="SELECT host FROM all_hosts EXCEPT SELECT host FROM hadoop_exclude INTERSECT SELECT host FROM responsive INTERSECT SELECT host FROM puppet_ok"

for n in $SIZES; do
  d="$B/fleet-$n"; gen "$n" 2 0.01 "$d"
  # The query runs on the newest pass (pass 2), compared with pass 2's
  # sorted lists; pass 1, stored as deltas by then, gets a line of its own.
  p1="$d/pass-001"; p2="$d/pass-002"; L="$p2/lists"
  db="$B/fleetq-$n.db"; sdb="$B/sqlite-$n.db"
  rm -f "$db"
  "$FQ" --db "$db" ingest --fresh "$p1/inventory.csv" "$p1/responsive" >/dev/null
  "$FQ" --db "$db" ingest --fresh "$p2/inventory.csv" "$p2/responsive" >/dev/null
  sqlite_load "$sdb" "$L"
  say ""; say "## $n hosts"
  ./bin/benchrun -runs "$RUNS" -title "sample 5 of: $Q" \
    "fleetq=$FQ --db $db query '$Q | sample 5'" \
    "comm pipeline=comm -23 $L/all $L/hadoop_exclude | comm -12 - $L/responsive | comm -12 - $L/puppet_ok | shuf -n 5" \
    "sqlite3=sqlite3 $sdb \"SELECT host FROM ($SQL) ORDER BY random() LIMIT 5\"" \
    "fleetq, older pass (deltas)=$FQ --db $db --pass 1 query '$Q | sample 5'" | tee -a "$REPORT"
  ./bin/benchrun -runs "$RUNS" -title "the whole result ($("$FQ" --db "$db" query "$Q | count") hosts) to a pipe" \
    "fleetq=$FQ --db $db query '$Q'" \
    "comm pipeline=comm -23 $L/all $L/hadoop_exclude | comm -12 - $L/responsive | comm -12 - $L/puppet_ok" \
    "sqlite3=sqlite3 $sdb \"$SQL\"" | tee -a "$REPORT"
  ./bin/benchrun -runs 3 -title "ingest of inventory.csv ($(du -h "$p1/inventory.csv" | cut -f1)) into a new database" \
    "fleetq ingest=rm -f $B/i.db && $FQ --db $B/i.db ingest $p1/inventory.csv" \
    "sqlite3 .import=rm -f $B/i.sqlite && sqlite3 $B/i.sqlite '.mode csv' '.import $p1/inventory.csv inventory'" | tee -a "$REPORT"
  if "$FQ" diff --help >/dev/null 2>&1; then
    ./bin/benchrun -runs 3 -title "diff of pass 1 and pass 2 (1% churn)" \
      "fleetq diff=$FQ --db $db diff 1 2" | tee -a "$REPORT"
  fi
  say "database: $(stat -c %s "$db") bytes for 2 passes; sqlite: $(stat -c %s "$sdb") bytes for 4 indexed lists"
done

say ""; say "## storage growth: $GROWTH_HOSTS hosts, 1 pass, an identical pass, $GROWTH_PASSES passes at 1% churn"
d="$B/growth-$GROWTH_HOSTS"; gen "$GROWTH_HOSTS" "$GROWTH_PASSES" 0.01 "$d"
g="$B/growth.db"; rm -f "$g"
"$FQ" --db "$g" ingest --fresh "$d/pass-001/inventory.csv" "$d/pass-001/responsive" >/dev/null
one=$(stat -c %s "$g")
"$FQ" --db "$g" ingest --fresh "$d/pass-001/inventory.csv" "$d/pass-001/responsive" >/dev/null
two=$(stat -c %s "$g")
say "1 pass: $one bytes; + an identical pass: $two bytes (+$(( (two-one)*10000/one ))‱ of one pass)"
for i in $(seq 2 "$GROWTH_PASSES"); do
  p=$(printf '%s/pass-%03d' "$d" "$i")
  "$FQ" --db "$g" ingest --fresh "$p/inventory.csv" "$p/responsive" >/dev/null
done
last=$(stat -c %s "$g")
say "$GROWTH_PASSES passes: $last bytes = $(awk -v a="$last" -v b="$one" 'BEGIN{printf "%.2f", a/b}')x one pass"
say ""; say "report written to $REPORT"
