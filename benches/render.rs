//! Rendering speed (`cargo bench --bench render`): one article's Markdown to sanitized
//! HTML (the per-article cost of a content reload), and loading a whole generated help
//! center of 1,000 articles from disk (parse, render, link check).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use quire::content::markdown::{render, KeepLinks, RenderRequest};
use quire::content::{self, LoadOptions};
use quire::synthetic;

const SAMPLE_ARTICLE: &str = include_str!("../content/getting-started/configure-quire.md");

fn bench_render(c: &mut Criterion) {
    // The body after the front matter, as the loader passes it.
    let body = SAMPLE_ARTICLE.splitn(3, "---").nth(2).unwrap_or(SAMPLE_ARTICLE);
    c.bench_function("render/one-article", |b| {
        b.iter(|| {
            black_box(render(&RenderRequest {
                markdown: black_box(body),
                first_line: 1,
                title: Some("Configure Quire"),
                links: &KeepLinks,
                mdx: content::MdxMode::Detect,
                line_map: None,
            }))
        })
    });

    // One link per paragraph, 1 MB: each link's line number used to be counted from the
    // top of the file (quadratic: 3.4 s for this article, 51 s at 4 MB).
    let link_heavy: String = (0..13_000)
        .map(|i| format!("Paragraph {i} with a [link](https://example.com/page/{i}) to somewhere.\n\n"))
        .collect();
    c.bench_function("render/link-heavy-1mb", |b| {
        b.iter(|| {
            black_box(render(&RenderRequest {
                markdown: black_box(&link_heavy),
                first_line: 1,
                title: None,
                links: &KeepLinks,
                mdx: content::MdxMode::Detect,
                line_map: None,
            }))
        })
    });

    let dir = tempfile::tempdir().expect("tempdir");
    synthetic::write_help_center(dir.path(), 1_000, 7).expect("generate");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("load-and-render-1000-articles", |b| {
        b.iter(|| black_box(content::load(dir.path(), &LoadOptions::default())))
    });
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
