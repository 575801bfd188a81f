// Side-by-side relevance of Quire and MiniSearch (a popular client-side docs search)
// on the same pages and queries.
//
// 1. `cargo test --test relevance` writes target/relevance/<set>.json: the indexed
//    pages, each query with its kind and expected titles, and Quire's top 10.
// 2. `npm ci && node compare.mjs` (in this folder) indexes the same pages with
//    MiniSearch, fuzzy and prefix search on and the same field boosts as Quire,
//    answers the same queries, and prints recall@1, recall@3 and MRR@10 per kind.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import MiniSearch from 'minisearch';

const here = dirname(fileURLToPath(import.meta.url));
const reportDir = join(here, '..', '..', 'target', 'relevance');

function metrics(ranks) {
  const n = ranks.length;
  const at = (k) => ranks.filter((r) => r !== null && r <= k).length / n;
  const mrr = ranks.reduce((sum, r) => sum + (r !== null && r <= 10 ? 1 / r : 0), 0) / n;
  return { n, r1: at(1), r3: at(3), mrr };
}

function rankOf(titles, expected) {
  const index = titles.findIndex((t) => expected.includes(t));
  return index === -1 ? null : index + 1;
}

const lines = [];
// Quire must never be worse than MiniSearch on any kind, and better overall. (Where
// both rank every query identically, as on perfect title scores, neither can win.)
let neverWorse = true;
let betterOverall = true;
for (const set of ['sample', 'arduino', 'arduino-heldout', 'plausible', 'plausible-heldout']) {
  const file = join(reportDir, `${set}.json`);
  if (!existsSync(file)) {
    console.error(`missing ${file}: run \`cargo test --test relevance\` first`);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const search = new MiniSearch({
    fields: ['title', 'summary', 'headings', 'tags', 'category', 'body'],
    storeFields: ['title'],
    searchOptions: {
      boost: { title: 4, summary: 2, headings: 2, tags: 2 },
      fuzzy: 0.2,
      prefix: true,
      combineWith: 'OR',
    },
  });
  search.addAll(report.pages.map((page, id) => ({ id, ...page })));

  const byKind = {};
  for (const c of report.cases) {
    const mini = search.search(c.query).slice(0, 10).map((r) => r.title);
    if (process.argv.includes('--detail')) {
      const q = rankOf(c.quire, c.expected);
      const m = rankOf(mini, c.expected);
      if (q !== m) console.error(`${set} [${c.kind}] ${JSON.stringify(c.query)}: Quire ${q}, MiniSearch ${m}`);
    }
    for (const kind of [c.kind, 'all']) {
      byKind[kind] ??= { quire: [], mini: [] };
      byKind[kind].quire.push(rankOf(c.quire, c.expected));
      byKind[kind].mini.push(rankOf(mini, c.expected));
    }
  }
  lines.push(`### ${set} (${report.cases.length} queries, ${report.pages.length} pages)`, '');
  lines.push('| kind | n | Quire R@1 | MiniSearch R@1 | Quire R@3 | MiniSearch R@3 | Quire MRR@10 | MiniSearch MRR@10 |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const kind of ['title', 'question', 'typo', 'short', 'prefix', 'all']) {
    if (!byKind[kind]) continue;
    const q = metrics(byKind[kind].quire);
    const m = metrics(byKind[kind].mini);
    if (q.r3 < m.r3 || q.mrr < m.mrr) neverWorse = false;
    if (kind === 'all' && (q.r3 <= m.r3 || q.mrr <= m.mrr)) betterOverall = false;
    const f = (x) => x.toFixed(3);
    lines.push(`| ${kind} | ${q.n} | ${f(q.r1)} | ${f(m.r1)} | ${f(q.r3)} | ${f(m.r3)} | ${f(q.mrr)} | ${f(m.mrr)} |`);
  }
  lines.push('');
}
const verdict = neverWorse && betterOverall;
lines.push(verdict
  ? 'Quire is at least as good as MiniSearch on recall@3 and MRR@10 for every kind of query, and better overall.'
  : 'Quire is WORSE than MiniSearch on recall@3 or MRR@10 for some kind of query, or not better overall.');
const text = lines.join('\n');
console.log(text);
writeFileSync(join(reportDir, 'comparison.md'), text + '\n');
process.exitCode = verdict ? 0 : 1;
