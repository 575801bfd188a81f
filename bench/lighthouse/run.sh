#!/usr/bin/env bash
# Lighthouse (mobile: a mid-range phone on slow 4G, simulated) on each page type of
# the bundled content, served by the Quire binary given (default target/release/quire).
# Prints one line per page: performance, accessibility, best practices, SEO, and the
# first and largest contentful paint. Needs chromium and `npm ci --prefix bench/lighthouse`.
set -euo pipefail
cd "$(dirname "$0")/../.."
QUIRE_BIN=${QUIRE_BIN:-./target/release/quire}
PORT=${PORT:-18181}
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
data=$(mktemp -d)
profile=$(mktemp -d)
"$QUIRE_BIN" --bind "127.0.0.1:$PORT" --data "$data" --semantic false >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data" "$profile"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
printf '%-10s %5s %5s %5s %5s %8s %8s\n' page perf a11y bp seo fcp_ms lcp_ms
for page in home:/ category:/categories/writing-articles article:/articles/tables-and-code faq:/faq/quire search:/search?q=password; do
  name=${page%%:*}
  path=${page#*:}
  if ! CHROME_PATH=$CHROME bench/lighthouse/node_modules/.bin/lighthouse "http://127.0.0.1:$PORT$path" \
    --quiet --output=json --output-path="$data/$name.json" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --user-data-dir=$profile/$name" \
    --only-categories=performance,accessibility,best-practices,seo >"$data/$name.log" 2>&1; then
    echo "$name: lighthouse failed: $(tail -1 "$data/$name.log")"
    continue
  fi
  node -e '
    const r = require(process.argv[1]);
    const c = r.categories, a = r.audits;
    const s = k => Math.round((c[k]?.score ?? 0) * 100);
    console.log(process.argv[2].padEnd(10), String(s("performance")).padStart(5), String(s("accessibility")).padStart(5),
      String(s("best-practices")).padStart(5), String(s("seo")).padStart(5),
      String(Math.round(a["first-contentful-paint"].numericValue)).padStart(8),
      String(Math.round(a["largest-contentful-paint"].numericValue)).padStart(8));
  ' "$data/$name.json" "$name"
done
