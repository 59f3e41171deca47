#!/usr/bin/env bash
# make bench: Go benchmarks, then whole processes side by side on generated
# fleets (cached in .bench/): one table per row of issue 14's table, fleetq
# and its peer (or floor) in the same run with their ratio, at each size;
# then database growth over many passes. Everything is also written to
# .bench/report.txt.
#
#   BENCH_SIZES="1000000"   fleet sizes (default 1000000; BENCH_5M=1 adds 5000000)
#   BENCH_RUNS=5            runs of each command (the heavy rows run fewer)
#   BENCH_BIG_RUNS=1        runs of the drain over every candidate
#   BENCH_GO=1              the Go benchmarks first (0 skips them)
#   BENCH_GROWTH_HOSTS=100000 BENCH_GROWTH_PASSES=300   the growth section
#   BENCH_FLEETQ=bin/fleetq  the binary measured
#   BENCH_SIZES=none BENCH_GROWTH=0   skip the sizes, or the growth section
#   BENCH_SERVE_SIZES="100000 1000000"  fleet sizes of the fleetq serve rows
#                           (default 100000 and BENCH_SIZES; none skips them)
#   BENCH_SERVE_CLIENTS=1,8,32 BENCH_SERVE_REQUESTS=50 BENCH_SERVE_CLI=4
#                           concurrent clients; requests per client to the
#                           server, and decisions per client by CLI processes
#   BENCH_DASHBOARD_SIZES="1000000"  fleet sizes of the dashboard rows (default
#                           1000000 and BENCH_SIZES; none skips them)
#   BENCH_DASHBOARD_PASSES=5 BENCH_DASHBOARD_RUNS=20 BENCH_DASHBOARD_DECISIONS=30
#                           passes of that fleet, requests of each page (and
#                           runs of its peer), dry runs in its audit log
#   BENCH_REPORT=.bench/report.txt    where the report goes
#
# A command that fails prints a FAILED line in its table; the bench goes
# on. Floors (examples/benchfloor) time only their in-memory work, so they
# report "(in-process)"; fleetq's figures are whole processes.
set -uo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
SIZES=${BENCH_SIZES:-"1000000${BENCH_5M:+ 5000000}"}
RUNS=${BENCH_RUNS:-5}
FEW=$(( RUNS < 3 ? RUNS : 3 ))
BIG_RUNS=${BENCH_BIG_RUNS:-1}
GROWTH_HOSTS=${BENCH_GROWTH_HOSTS:-100000}
GROWTH_PASSES=${BENCH_GROWTH_PASSES:-300}
B=.bench
mkdir -p "$B"
FQ=$(realpath "${BENCH_FLEETQ:-bin/fleetq}")
FLOOR="$PWD/bin/benchfloor"
REPORT=${BENCH_REPORT:-$B/report.txt}
: >"$REPORT"
say() { echo "$*" | tee -a "$REPORT"; }
# row RUNS TITLE NAME=CMD...: one benchrun table; a failed command has
# its FAILED line in the table and the bench goes on.
row() {
  local runs=$1 title=$2; shift 2
  ./bin/benchrun -runs "$runs" -title "$title" "$@" | tee -a "$REPORT"
  [ "${PIPESTATUS[0]}" -eq 0 ] || say "(a command of this table failed; the others were measured)"
}

if ! command -v sqlite3 >/dev/null; then
  echo "installing sqlite3 (apt-get)"; (apt-get update -qq && apt-get install -y -qq sqlite3) >/dev/null
fi
go build -o bin/benchrun ./examples/benchrun || exit 1
go build -o bin/benchfloor ./examples/benchfloor || exit 1

say "# fleetq bench $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$FQ" version 2>/dev/null | head -1)"
say "# $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
say "# $(go version), sqlite $(sqlite3 --version | cut -d' ' -f1), $(comm --version | head -1), $(diff --version | head -1)"
say "# load at start:$(uptime | sed 's/.*load average//')"

if [ "${BENCH_GO:-1}" != 0 ]; then
  say ""; say "## Go benchmarks (1,000,000 hosts)"
  go test -run '^$' -bench . -benchmem -benchtime 10x ./internal/setops/ ./internal/query/ ./internal/store/ ./internal/ingest/... 2>&1 \
    | grep -E '^(Benchmark|ok|PASS|FAIL)' | tee -a "$REPORT"
fi

# gen N PASSES CHURN DIR: generate once, reuse while the flags match.
gen() {
  local n=$1 passes=$2 churn=$3 dir=$4 want="--hosts $1 --passes $2 --churn $3 --lists"
  if [ -f "$dir/MANIFEST" ] && grep -qF -- "$want" "$dir/.flags" 2>/dev/null; then return; fi
  echo "generating $dir ($want)"
  rm -rf "$dir"; ./bin/genfleet --out "$dir" --hosts "$n" --passes "$passes" --churn "$churn" --lists --control-planes=false >/dev/null || exit 1
  echo "$want" >"$dir/.flags"
}

sqlite_lists() { # DB LISTS: the four lists as WITHOUT ROWID tables keyed by host
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

sqlite_inventory() { # DB CSV: the inventory, host the primary key, loaded with .import
  rm -f "$1"
  local cols; cols=$(head -1 "$2" | sed 's/^host,//')
  sqlite3 "$1" "CREATE TABLE inventory(host TEXT PRIMARY KEY, $cols) WITHOUT ROWID;" \
    ".import --csv --skip 1 $2 inventory"
}

Q='all - hadoop_exclude & responsive & puppet_ok'
SQL="SELECT host FROM all_hosts EXCEPT SELECT host FROM hadoop_exclude INTERSECT SELECT host FROM responsive INTERSECT SELECT host FROM puppet_ok"
RE='^Q9'
if [ "$(sqlite3 :memory: "SELECT 'Q9X' REGEXP '$RE'" 2>/dev/null)" = 1 ]; then HAVE_REGEXP=1; else HAVE_REGEXP=0; fi

[ "$SIZES" = none ] && SIZES=""
SERVE_SIZES=${BENCH_SERVE_SIZES:-$(printf '%s\n' 100000 $SIZES | sort -nu | tr '\n' ' ')}
[ "$SERVE_SIZES" = none ] && SERVE_SIZES=""
for n in $SIZES; do
  d="$B/fleet-$n"; gen "$n" 2 0.01 "$d"
  # The queries run on the newest pass (pass 2), compared with pass 2's
  # sorted lists and inventory; pass 1, stored as deltas by then, gets a
  # line of its own.
  p1="$d/pass-001"; p2="$d/pass-002"; L="$p2/lists"; inv="$p2/inventory.csv"
  db="$B/fleetq-$n.db"; one="$B/fleetq-$n-pass1.db"; sdb="$B/sqlite-$n.db"; idb="$B/sqlite-inv-$n.db"
  rm -f "$db" "$one"
  "$FQ" --db "$one" ingest --fresh "$p1/inventory.csv" "$p1/responsive" >/dev/null || { say "FAILED: ingest of pass 1 at $n hosts"; continue; }
  cp "$one" "$db"
  "$FQ" --db "$db" ingest --fresh "$p2/inventory.csv" "$p2/responsive" >/dev/null || { say "FAILED: ingest of pass 2 at $n hosts"; continue; }
  sqlite_lists "$sdb" "$L"
  sqlite_inventory "$idb" "$inv"
  # A cluster of this fleet with at least 100 hosts (the largest), a host
  # from the middle of the fleet, and a scratch copy for the dry runs.
  X=$(awk -F, 'NR>1{c[$3]++} END{for(k in c) if(c[k]>m){m=c[k];b=k}; print b}' "$inv")
  H=$(sed -n "$((n/2+1))p" "$L/all")
  scratch="$B/scratch-$n.db"
  sed 's/^max_request = .*/max_request = 100000000/' examples/policy.toml >"$B/policy-big.toml"
  say ""; say "## $n hosts (cluster $X, host $H, the load now:$(uptime | sed 's/.*load average//'))"

  row "$RUNS" "drain dry run of 100 hosts of $X vs the same selection as a query (the dry run on a fresh copy of the db each run)" \
    "fleetq drain (dry run)=cp $db $scratch ::: $FQ --db $scratch --policy examples/policy.toml drain 'cluster = \"$X\" | head 100' --reason bench" \
    "fleetq query=$FQ --db $db query 'cluster = \"$X\" | head 100'"
  # Every candidate of the classic query (870,326 at 1M); above 1M the
  # first 870,000 of them (issue 14's row is 870k candidates), so a 5M
  # run does not need five times the memory of today's decisions.
  BIG="$Q"; [ "$n" -gt 1000000 ] && BIG="$Q | head 870000"
  c=$("$FQ" --db "$db" query "$BIG | count")
  row "$BIG_RUNS" "drain dry run over $c candidates ($BIG), max_request raised" \
    "fleetq drain (dry run)=cp $db $scratch ::: $FQ --db $scratch --policy $B/policy-big.toml drain '$BIG' --reason bench" \
    "fleetq query=$FQ --db $db query '$BIG'"
  # The scratch copy now holds exactly one dry run more than $db.
  before=$("$FLOOR" databytes "$db"); after=$("$FLOOR" databytes "$scratch" 2>/dev/null)
  if [ -n "$after" ] && [ "$after" -gt "$before" ] && [ "${c:-0}" -gt 0 ]; then
    say "audit: one dry run over $c candidates added $((after-before)) bytes of data ($(( (after-before)/c )) bytes per candidate host; benchfloor databytes, keys and values of every bucket)"
  else
    say "FAILED: no dry run over the candidates to count the audit bytes of"
  fi
  rm -f "$scratch"

  row "$RUNS" "host $H vs SQLite's primary-key lookup (inventory loaded with .import)" \
    "fleetq host=$FQ --db $db host $H" \
    "sqlite3 primary key=sqlite3 $idb \"SELECT * FROM inventory WHERE host = '$H'\""
  row "$RUNS" "why $H '$Q' vs SQLite's primary-key lookup and the query" \
    "fleetq why=$FQ --db $db why $H '$Q'" \
    "sqlite3 primary key=sqlite3 $idb \"SELECT * FROM inventory WHERE host = '$H'\"" \
    "fleetq query=$FQ --db $db query '$Q | count'"
  row "$RUNS" "cluster = \"$X\" | count vs its floor" \
    "fleetq=$FQ --db $db query 'cluster = \"$X\" | count'" \
    "@floor=$FLOOR count -csv $inv -col cluster -value $X"
  row "$RUNS" "all | by cluster vs its floor" \
    "fleetq=$FQ --db $db query 'all | by cluster'" \
    "@floor=$FLOOR by -csv $inv -col cluster"
  row "$RUNS" "all | spread rack 1 vs its floor" \
    "fleetq=$FQ --db $db query 'all | spread rack 1'" \
    "@floor=$FLOOR spread -csv $inv -col rack -n 1"
  row "$RUNS" "--format folded vs plain text of $Q" \
    "fleetq --format folded=$FQ --db $db query --format folded '$Q'" \
    "fleetq text=$FQ --db $db query '$Q'"
  row "$FEW" "ingest of inventory.csv ($(du -h "$p1/inventory.csv" | cut -f1)) vs sqlite3 .import; then pass 2 into a db holding pass 1" \
    "fleetq ingest=rm -f $B/i.db ::: $FQ --db $B/i.db ingest $p1/inventory.csv" \
    "sqlite3 .import=rm -f $B/i.sqlite ::: sqlite3 $B/i.sqlite '.mode csv' '.import $p1/inventory.csv inventory'" \
    "fleetq ingest, second pass=cp $one $B/i2.db ::: $FQ --db $B/i2.db ingest --fresh $p2/inventory.csv $p2/responsive"
  rm -f "$B/i.db" "$B/i.sqlite" "$B/i2.db"
  # fleetq collect of the same two files, one a path and one a command's
  # output (cat), against fleetq ingest of them: what the sources file,
  # the concurrent reads and the buffered command output cost.
  printf '%s\n' '[[source]]' 'name = "inventory"' 'kind = "inventory"' "path = \"$(realpath "$p2/inventory.csv")\"" \
    '[[source]]' 'name = "responsive"' 'kind = "hosts"' "command = [\"cat\", \"$(realpath "$p2/responsive")\"]" 'timeout = "120s"' >"$B/collect.toml"
  row "$FEW" "fleetq collect (a path and a command source) vs fleetq ingest of the same files, into a db holding pass 1" \
    "fleetq collect=cp $one $B/c.db ::: $FQ --db $B/c.db collect --sources $B/collect.toml" \
    "fleetq ingest=cp $one $B/c.db ::: $FQ --db $B/c.db ingest --fresh $p2/inventory.csv hosts:responsive=$p2/responsive"
  rm -f "$B/c.db"
  row "$FEW" "diff --attrs 1 2 vs GNU diff of the two inventory CSVs" \
    "fleetq diff --attrs=$FQ --db $db diff --attrs 1 2" \
    "GNU diff=diff $p1/inventory.csv $p2/inventory.csv; [ \$? -le 1 ]"
  if [ "$HAVE_REGEXP" = 1 ]; then
    row "$RUNS" "regex on serial (high cardinality: about one value per host): serial ~ \"$RE\" | count vs sqlite3's REGEXP" \
      "fleetq=$FQ --db $db query 'serial ~ \"$RE\" | count'" \
      "sqlite3 REGEXP=sqlite3 $idb \"SELECT count(*) FROM inventory WHERE serial REGEXP '$RE'\""
  else
    col=$(head -1 "$inv" | tr , '\n' | grep -nx serial | cut -d: -f1)
    row "$RUNS" "regex on serial: serial ~ \"$RE\" | count vs grep -cE on the CSV column (this sqlite3 has no REGEXP)" \
      "fleetq=$FQ --db $db query 'serial ~ \"$RE\" | count'" \
      "grep -cE=cut -d, -f$col $inv | grep -cE '$RE'; [ \$? -le 1 ]"
  fi
  row "$RUNS" "the whole result ($("$FQ" --db "$db" query "$Q | count") hosts) to a pipe" \
    "fleetq=$FQ --db $db query '$Q' | cat" \
    "comm pipeline=comm -23 $L/all $L/hadoop_exclude | comm -12 - $L/responsive | comm -12 - $L/puppet_ok | cat" \
    "sqlite3=sqlite3 $sdb \"$SQL\" | cat"
  row "$RUNS" "the flagship: sample 5 of $Q" \
    "fleetq=$FQ --db $db query '$Q | sample 5'" \
    "comm pipeline=comm -23 $L/all $L/hadoop_exclude | comm -12 - $L/responsive | comm -12 - $L/puppet_ok | shuf -n 5" \
    "sqlite3=sqlite3 $sdb \"SELECT host FROM ($SQL) ORDER BY random() LIMIT 5\"" \
    "fleetq, older pass (deltas)=$FQ --db $db --pass 1 query '$Q | sample 5'" \
    "fleetq version (process start)=$FQ version"
  say "database: $(stat -c %s "$db") bytes for 2 passes; sqlite: $(stat -c %s "$sdb") bytes for 4 indexed lists"
done

# fleetq serve: dry-run decisions (POST /v1/request of 5 hosts of the
# largest cluster) by 1, 8 and 32 concurrent clients, each a fixed number
# of requests, beside the same decision made by one fleetq process each
# (fleetq drain, the peer), as many clients at once. The server is the
# built binary on a copy of the fleet's newest pass; examples/loadgen
# starts it, waits for its listening line and stops it.
if [ -n "$SERVE_SIZES" ]; then
  go build -o bin/loadgen ./examples/loadgen || exit 1
fi
for n in $SERVE_SIZES; do
  d="$B/fleet-$n"; gen "$n" 2 0.01 "$d"
  p2="$d/pass-002"; sdb="$B/serve-$n.db"; export FLEETQ_TOKENS="$B/serve-$n.tokens.json"
  rm -f "$sdb" "$FLEETQ_TOKENS"
  "$FQ" --db "$sdb" ingest --fresh "$p2/inventory.csv" "$p2/responsive" >/dev/null || { say "FAILED: ingest for the serve rows at $n hosts"; continue; }
  X=$(awk -F, 'NR>1{c[$3]++} END{for(k in c) if(c[k]>m){m=c[k];b=k}; print b}' "$p2/inventory.csv")
  TOKEN=$("$FQ" --db "$sdb" token create bench --role requester) || { say "FAILED: token create at $n hosts"; continue; }
  SEL="cluster = \"$X\" | sample 5"
  say ""; say "## fleetq serve at $n hosts: dry runs of '$SEL' (the load now:$(uptime | sed 's/.*load average//'))"
  say "serve: ${BENCH_SERVE_REQUESTS:-50} POST /v1/request per client to one fleetq serve; CLI (the peer): ${BENCH_SERVE_CLI:-4} fleetq drain processes per client, one decision each"
  ./bin/loadgen -serve "$FQ --db $sdb serve --listen 127.0.0.1:0 --policy examples/policy.toml --rate 0 --timeout 120s" \
    -token "$TOKEN" -expr "$SEL" -clients "${BENCH_SERVE_CLIENTS:-1,8,32}" -requests "${BENCH_SERVE_REQUESTS:-50}" \
    -cli "$FQ --db $sdb --policy examples/policy.toml --timeout 120s drain '$SEL' --reason bench >/dev/null" -cli-requests "${BENCH_SERVE_CLI:-4}" \
    | tee -a "$REPORT"
  [ "${PIPESTATUS[0]}" -eq 0 ] || say "FAILED: the serve rows at $n hosts"
  unset FLEETQ_TOKENS
done

# The dashboard: every page of fleetq serve requested in turn, its server
# time read from the server's request log (duration_ms), beside its peer:
# the fleetq commands that compute the page's numbers, one process each.
# The fleet has several passes (for /trends), leases on its largest
# cluster and dry runs in its audit log; examples/pagebench starts the
# server, signs in with a viewer's bearer token and stops it.
DASH_SIZES=${BENCH_DASHBOARD_SIZES:-$(printf '%s\n' 1000000 $SIZES | sort -nu | tr '\n' ' ')}
[ "$DASH_SIZES" = none ] && DASH_SIZES=""
[ -n "$DASH_SIZES" ] && { go build -o bin/pagebench ./examples/pagebench || exit 1; }
DASH_PASSES=${BENCH_DASHBOARD_PASSES:-5}
for n in $DASH_SIZES; do
  d="$B/dash-fleet-$n"; gen "$n" "$DASH_PASSES" 0.01 "$d"
  ddb="$B/dash-$n.db"; export FLEETQ_TOKENS="$B/dash-$n.tokens.json"; P=examples/policy.toml
  rm -f "$ddb" "$FLEETQ_TOKENS"
  printf 'dead = lifecycle = "dead"\nrepair = lifecycle = "repair"\n' >"$B/dash.defs"
  "$FQ" --db "$ddb" --create defs set "$B/dash.defs" >/dev/null || { say "FAILED: defs set for the dashboard rows at $n hosts"; continue; }
  for p in "$d"/pass-*; do
    "$FQ" --db "$ddb" ingest --fresh "$p/inventory.csv" "$p/responsive" >/dev/null || { say "FAILED: ingest of $p for the dashboard rows"; continue 2; }
  done
  inv=$(ls -d "$d"/pass-* | tail -1)/inventory.csv
  X=$(awk -F, 'NR>1{c[$3]++} END{for(k in c) if(c[k]>m){m=c[k];b=k}; print b}' "$inv")
  for i in $(seq "${BENCH_DASHBOARD_DECISIONS:-30}"); do
    "$FQ" --db "$ddb" --policy $P drain "cluster = \"$X\" | sample 5" --reason "bench $i" --seed "$i" >/dev/null || { say "FAILED: a dry run for the dashboard rows"; break; }
  done
  "$FQ" --db "$ddb" --policy $P drain "cluster = \"$X\" & lifecycle = \"active\" | sample 3" --reason bench --seed 1 --commit --yes --as alice >/dev/null &&
    "$FQ" --db "$ddb" --policy $P reboot "lifecycle = \"active\" | sample 20" --reason bench --seed 2 --commit --yes --as bob >/dev/null ||
    say "FAILED: the leases for the dashboard rows"
  # A week over the largest cluster (three days of slots) and a rollout
  # of its active hosts in three waves, for /week and /rollouts.
  printf '%s\n' 'name = "bench-week"' 'zone = "UTC"' "scope = 'cluster = \"$X\"'" 'verbs = ["reboot"]' 'length = "4h"' \
    '[[step]]' 'start = "Mon 09:00"' 'name = "canaries"' '[[step.take]]' "expr = 'lifecycle = \"active\"'" 'max = 5' \
    '[[step]]' 'start = "Tue 09:00"' 'name = "a third"' "expr = 'lifecycle = \"active\" | sample 33%'" \
    '[[step]]' 'start = "Wed 09:00"' 'name = "the rest"' "expr = 'all'" >"$B/dash-week.toml"
  "$FQ" --db "$ddb" --policy $P plan week "$B/dash-week.toml" --seed 7 >/dev/null &&
    "$FQ" --db "$ddb" --policy $P plan rollout "cluster = \"$X\" & lifecycle = \"active\"" --waves 10%,50%,100% --name bench-ro --seed 42 >/dev/null ||
    say "FAILED: the week and the rollout for the dashboard rows"
  VIEWER=$("$FQ" --db "$ddb" token create bench-viewer --role viewer) || { say "FAILED: token create for the dashboard rows"; continue; }
  QX="cluster = \"$X\" & responsive"; QU=$(printf '%s' "$QX" | sed 's/%/%25/g; s/ /%20/g; s/"/%22/g; s/&/%26/g; s/=/%3D/g; s/|/%7C/g')
  F="$FQ --db $ddb"; FP="$F --policy $P"
  say ""; say "## the dashboard at $n hosts, $DASH_PASSES passes, cluster $X (the load now:$(uptime | sed 's/.*load average//'))"
  say "server time: the request log's duration_ms of each GET, ${BENCH_DASHBOARD_RUNS:-20} requests a page; CPU/req: the server process's CPU time per request (/proc); peer: the commands computing the page's numbers, one process each"
  ./bin/pagebench -serve "$FQ --db $ddb serve --listen 127.0.0.1:0 --policy $P --rate 0" -token "$VIEWER" -runs "${BENCH_DASHBOARD_RUNS:-20}" \
    -page "overview|/|$FP headroom --format json >/dev/null && $FP leases --format json >/dev/null && $FP freezes --format json >/dev/null && $FP incident status --format json >/dev/null && $F passes --format json >/dev/null" \
    -page "cluster|/clusters/$X|$FP headroom --cluster $X --format json >/dev/null && $FP policy show $X --format json >/dev/null && $F audit --kind decision,commit,apply --format json >/dev/null && $F query 'cluster = \"$X\" | show rack' --format json >/dev/null && $F query 'cluster = \"$X\" | show replica_group' --format json >/dev/null" \
    -page "leases|/leases|$FP leases --format json >/dev/null" \
    -page "audit|/audit|$F audit --format json >/dev/null" \
    -page "rollouts|/rollouts|$FP rollout list --format json >/dev/null" \
    -page "week|/week|$FP week show --format json >/dev/null && $FP week list --format json >/dev/null" \
    -page "trends|/trends|$F trend dead repair responsive --format json >/dev/null" \
    -page "query|/query?expr=$QU|$F query '$QX' --format json >/dev/null && $F explain '$QX' --format json >/dev/null" \
    -page "floor|/healthz|$FQ version >/dev/null" \
    | tee -a "$REPORT"
  [ "${PIPESTATUS[0]}" -eq 0 ] || say "FAILED: the dashboard rows at $n hosts"
  unset FLEETQ_TOKENS
done

if [ "${BENCH_GROWTH:-1}" != 0 ]; then
say ""; say "## storage growth: $GROWTH_HOSTS hosts, 1 pass, an identical pass, $GROWTH_PASSES passes at 1% churn"
d="$B/growth-$GROWTH_HOSTS"; gen "$GROWTH_HOSTS" "$GROWTH_PASSES" 0.01 "$d"
g="$B/growth-$GROWTH_HOSTS.db"; rm -f "$g"
"$FQ" --db "$g" ingest --fresh "$d/pass-001/inventory.csv" "$d/pass-001/responsive" >/dev/null
one=$(stat -c %s "$g")
"$FQ" --db "$g" ingest --fresh "$d/pass-001/inventory.csv" "$d/pass-001/responsive" >/dev/null
two=$(stat -c %s "$g")
say "1 pass: $one bytes; + an identical pass: $two bytes (+$(( (two-one)*10000/one ))‱ of one pass)"
for i in $(seq 2 "$GROWTH_PASSES"); do
  p=$(printf '%s/pass-%03d' "$d" "$i")
  "$FQ" --db "$g" ingest --fresh "$p/inventory.csv" "$p/responsive" >/dev/null || { say "FAILED: ingest of $p"; break; }
  if [ $((i % 100)) = 0 ] || [ "$i" = "$GROWTH_PASSES" ]; then
    last=$(stat -c %s "$g")
    say "$i passes: $last bytes = $(awk -v a="$last" -v b="$one" 'BEGIN{printf "%.2f", a/b}')x one pass"
  fi
done
row "$RUNS" "the oldest pass (pass 1, $GROWTH_PASSES passes back) vs the newest" \
  "fleetq, newest pass=$FQ --db $g query '$Q | count'" \
  "fleetq, pass 1=$FQ --db $g --pass 1 query '$Q | count'"
fi
say ""; say "# load at the end:$(uptime | sed 's/.*load average//')"
say "report written to $REPORT"
