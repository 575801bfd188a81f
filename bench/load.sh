#!/usr/bin/env bash
# Load test: Quire against nginx serving Quire's own static export, on this machine,
# in one run, with the same wrk settings (keep-alive, fixed connections, br/gzip
# accepted). Needs wrk and nginx (Debian: apt-get install wrk nginx
# libnginx-mod-http-brotli-static).
#
#   bench/load.sh           full run: 10,000 generated articles, 15 s per scenario;
#                           writes target/bench/load.md and prints it
#   bench/load.sh --smoke   seconds: 200 articles, 2 s per scenario; fails on any socket
#                           error or error status, never on timing (used by .ci/run)
#
# Knobs (environment): ARTICLES, DURATION, CONNECTIONS, THREADS, QUIRE_BIN, SEMANTIC.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=0
if [[ "${1:-}" == "--smoke" ]]; then SMOKE=1; fi
if (( SMOKE )); then
  ARTICLES=${ARTICLES:-200}; DURATION=${DURATION:-2s}; CONNECTIONS=${CONNECTIONS:-8}; THREADS=${THREADS:-1}
else
  ARTICLES=${ARTICLES:-10000}; DURATION=${DURATION:-15s}; CONNECTIONS=${CONNECTIONS:-32}; THREADS=${THREADS:-2}
fi
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is not installed" >&2; exit 2; }
done
BIN=${QUIRE_BIN:-$ROOT/target/release/quire}
if [[ ! -x "$BIN" ]]; then cargo build --release --locked; fi

WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers run as an unprivileged user
QUIRE_PID=""; NGINX_PID=""; VOTE_PID=""
cleanup() {
  for pid in $VOTE_PID $QUIRE_PID $NGINX_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "load.sh: generating $ARTICLES articles" >&2
"$BIN" generate "$WORK/content" --articles "$ARTICLES" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- Quire -------------------------------------------------------------------------
QUIRE_PORT=$(free_port)
mkdir -p "$WORK/data"
cat > "$WORK/quire.toml" <<TOML
bind = "127.0.0.1:$QUIRE_PORT"
content = "$WORK/content"
data = "$WORK/data"
watch = false
[search]
# Keyword search only by default: embedding a generated help center takes an hour and
# would share the CPU with the servers under test (hybrid latency: benches/semantic.rs).
semantic = ${SEMANTIC:-false}
[feedback]
writes_per_minute = 100000000
TOML
START_NS=$(date +%s%N)
RUST_LOG=warn "$BIN" --config "$WORK/quire.toml" serve > "$WORK/quire.out" 2> "$WORK/quire.err" &
QUIRE_PID=$!
until grep -q "listening on" "$WORK/quire.out" 2>/dev/null; do
  kill -0 "$QUIRE_PID" 2>/dev/null || { cat "$WORK/quire.err" >&2; exit 1; }
  sleep 0.02
done
READY_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
QUIRE="http://127.0.0.1:$QUIRE_PORT"
echo "load.sh: quire ready in ${READY_MS} ms" >&2

# --- nginx on the static export --------------------------------------------------------
"$BIN" --config "$WORK/quire.toml" export "$WORK/site" >/dev/null 2>&1
chmod -R a+rX "$WORK/site"
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
BROTLI_MODULE=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so
{
  if [[ -f "$BROTLI_MODULE" ]]; then echo "load_module $BROTLI_MODULE;"; fi
  cat <<NGINX
worker_processes 2;
error_log $WORK/nginx/logs/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  gzip_static on;
  $( [[ -f "$BROTLI_MODULE" ]] && echo "brotli_static on;" )
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/site;
    index index.html;
    location / { try_files \$uri \$uri.html \$uri/ =404; }
  }
}
NGINX
} > "$WORK/nginx/nginx.conf"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
NGINX="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 1 200); do curl -fs -o /dev/null "$NGINX/" && break; sleep 0.05; done
curl -fs -o /dev/null "$NGINX/" || { echo "load.sh: nginx does not serve the export" >&2; cat "$WORK/nginx/logs/error.log" >&2; exit 1; }

# --- request lists -----------------------------------------------------------------------
ls "$WORK/site/articles" | grep '\.html$' | sed 's/\.html$//' | awk 'NR<=2000' > "$WORK/slugs.txt"
sed 's|^|/articles/|' "$WORK/slugs.txt" > "$WORK/articles.txt"
{ echo "/"; ls "$WORK/site/categories" | grep '\.html$' | sed 's|\.html$||; s|^|/categories/|'; head -n 50 "$WORK/articles.txt"; } > "$WORK/pages.txt"
# Real queries: article titles (as typed, lower case, without the number) and the same
# titles half typed for the suggestions.
grep -h -m1 '^title:' -r "$WORK/content" | awk 'NR<=500' | sed 's/^title: *//; s/"//g; s/ [0-9]*$//' \
  | tr 'A-Z' 'a-z' > "$WORK/titles.txt"
python3 - "$WORK" <<'PY'
import sys, urllib.parse
work = sys.argv[1]
titles = [t.strip() for t in open(f"{work}/titles.txt") if t.strip()]
queries = [" ".join(t.split()[: 2 + i % 3]) for i, t in enumerate(titles)]
with open(f"{work}/search.txt", "w") as out:
    out.writelines("/api/search?limit=8&q=" + urllib.parse.quote(q) + "\n" for q in queries)
with open(f"{work}/searchpage.txt", "w") as out:
    out.writelines("/search?q=" + urllib.parse.quote(q) + "\n" for q in queries)
with open(f"{work}/suggest.txt", "w") as out:
    for t in titles:
        cut = max(2, len(t) - 3)
        out.write("/api/search?suggest=1&limit=6&q=" + urllib.parse.quote(t[:cut]) + "\n")
PY
# Revalidation: each article with the ETag Quire gave it (brotli, as browsers ask).
head -n 500 "$WORK/articles.txt" | while read -r path; do
  etag=$(curl -s -o /dev/null -D - -H 'Accept-Encoding: br, gzip' "$QUIRE$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
  printf '%s\t%s\n' "$path" "$etag"
done > "$WORK/etags.txt"
head -n 500 "$WORK/slugs.txt" > "$WORK/votes.txt"

# --- scenarios -----------------------------------------------------------------------------
RESULTS="$WORK/results.tsv"
: > "$RESULTS"
run() { # name base-url mode list
  local name=$1 base=$2 mode=$3 list=$4
  local json
  json=$(WRK_PATHS="$list" WRK_MODE="$mode" WRK_ORIGIN="$base" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Accept-Encoding: br, gzip' \
      -s "$ROOT/bench/load/wrk.lua" "$base" | grep '^{')
  printf '%s\t%s\n' "$name" "$json" >> "$RESULTS"
  echo "load.sh: $name $json" >&2
}

# Warm the page cache the way real traffic would before measuring.
for f in articles pages; do
  while read -r path; do curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' "$QUIRE$path"; done < "$WORK/$f.txt"
done

run "nginx: article pages (static export)" "$NGINX" get "$WORK/articles.txt"
run "quire: article pages" "$QUIRE" get "$WORK/articles.txt"
run "nginx: home, categories, articles" "$NGINX" get "$WORK/pages.txt"
run "quire: home, categories, articles" "$QUIRE" get "$WORK/pages.txt"
run "quire: search API (500 real queries, repeating)" "$QUIRE" get "$WORK/search.txt"
run "quire: search API, every request new (no cache)" "$QUIRE" unique "$WORK/search.txt"
run "quire: search API, 1 request in 5 new (long tail)" "$QUIRE" tail "$WORK/search.txt"
run "quire: search results page (no JavaScript), 500 repeating" "$QUIRE" get "$WORK/searchpage.txt"
run "quire: suggestions (500 half-typed titles, repeating)" "$QUIRE" get "$WORK/suggest.txt"
run "quire: suggestions, every request new (no cache)" "$QUIRE" unique "$WORK/suggest.txt"
run "quire: revalidation (304)" "$QUIRE" etag "$WORK/etags.txt"
# Votes (committed before each answer) while article pages are being read.
( WRK_PATHS="$WORK/votes.txt" WRK_MODE=vote WRK_ORIGIN="$QUIRE" \
    wrk -t1 -c4 -d"$DURATION" --latency -s "$ROOT/bench/load/wrk.lua" "$QUIRE" | grep '^{' > "$WORK/votes.json" ) &
VOTE_PID=$!
run "quire: article pages while votes come in" "$QUIRE" get "$WORK/articles.txt"
wait "$VOTE_PID"; VOTE_PID=""
printf '%s\t%s\n' "quire: votes (during the run above)" "$(cat "$WORK/votes.json")" >> "$RESULTS"

RSS_KB=$(awk '/VmHWM/{print $2}' "/proc/$QUIRE_PID/status")
VOTES_STORED=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from votes').fetchone()[0])" "$WORK/data/quire.db")

# --- report ------------------------------------------------------------------------------------
python3 - "$RESULTS" "$READY_MS" "$RSS_KB" "$ARTICLES" "$DURATION" "$CONNECTIONS" "$THREADS" "$VOTES_STORED" "$SMOKE" <<'PY'
import json, sys
results, ready_ms, rss_kb, articles, duration, connections, threads, votes_stored, smoke = sys.argv[1:]
rows = []
for line in open(results):
    name, data = line.rstrip("\n").split("\t", 1)
    rows.append((name, json.loads(data)))
by = dict(rows)
out = []
out.append(f"{articles} generated articles; wrk {threads} threads, {connections} connections, {duration} per scenario, keep-alive, `Accept-Encoding: br, gzip`.\n")
out.append("| scenario | requests/s | p50 | p99 | p99.9 | errors |")
out.append("|---|---|---|---|---|---|")
for name, r in rows:
    out.append(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['p999_ms']:.2f} ms | {r['socket_errors'] + r['bad_status']} |")
n, q = by["nginx: article pages (static export)"], by["quire: article pages"]
out.append("")
out.append(f"- Quire / nginx, article pages: throughput {q['rps'] / n['rps']:.2f}×, p99 {q['p99_ms'] / max(n['p99_ms'], 1e-9):.2f}×")
s = by["quire: search API (500 real queries, repeating)"]
u = by["quire: search API, every request new (no cache)"]
t = by["quire: search API, 1 request in 5 new (long tail)"]
out.append(f"- search API / Quire article pages: {s['rps'] / q['rps']:.2f}× with repeating queries, {t['rps'] / q['rps']:.3f}× with 1 in 5 new, {u['rps'] / q['rps']:.3f}× when every request is new")
out.append(f"- start to ready: {int(ready_ms) / 1000:.2f} s; peak RSS: {int(rss_kb) / 1024:.0f} MB")
out.append(f"- votes acknowledged: {by['quire: votes (during the run above)']['requests']}, stored (distinct visitors and pages): {votes_stored}")
report = "\n".join(out)
print(report)
bad = [name for name, r in rows if r["socket_errors"] or r["bad_status"]]
if bad:
    print("load.sh: errors in: " + ", ".join(bad), file=sys.stderr)
    sys.exit(1)
if smoke == "0":
    import os
    os.makedirs("target/bench", exist_ok=True)
    open("target/bench/load.md", "w").write(report + "\n")
PY
