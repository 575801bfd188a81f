//! `quire export <dir>`: the public site as static files, produced by the server's own
//! handlers (in process, no socket), so every file is byte for byte what the server
//! would send. Pages go to `<path>.html` (`index.html` for `/`), with `.gz` and `.br`
//! next to every text file for servers that send precompressed files (nginx
//! `gzip_static`, `brotli_static`).
//!
//! Pages are exported as a reader arriving directly sees them, without public vote
//! counts. Votes, search and the staff pages still need the server: put it behind the
//! same host (e.g. proxy `/feedback`, `/search`, `/api/`, `/staff` and `/contact`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::{test, web, App};
use anyhow::{bail, Context, Result};

use crate::config::{Config, PublicCounts};

/// What an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub files: usize,
    pub bytes: u64,
}

/// Where a URL's body goes inside the export folder.
fn file_for(url: &str) -> PathBuf {
    let path = url.trim_start_matches('/');
    let is_page = path.starts_with("articles/") || path.starts_with("faq/") || path.starts_with("categories/");
    let keeps_name = if is_page { path.ends_with(".md") } else { Path::new(path).extension().is_some() };
    if path.is_empty() {
        PathBuf::from("index.html")
    } else if keeps_name {
        PathBuf::from(path)
    } else {
        PathBuf::from(format!("{path}.html"))
    }
}

fn is_text(file: &Path) -> bool {
    matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("html" | "css" | "js" | "svg" | "xml" | "txt" | "md" | "json")
    )
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The `.gz` and `.br` forms of a text file, at the highest levels: compressed once,
/// served many times.
fn compressed(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let gzip = super::compress::gzip(bytes, 9).context("gzip failed")?;
    let brotli = super::compress::brotli(bytes, 9).context("brotli failed")?;
    Ok((gzip, brotli))
}

/// Writes the site of `config` into `out` (created if needed; must be empty or absent).
pub fn run(config: &Config, out: &Path) -> Result<ExportSummary> {
    if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} is not empty; export into a new or empty folder", out.display());
    }
    let mut config = config.clone();
    config.watch = false;
    config.feedback.public_counts = PublicCounts::Never;
    // The handlers need a database; the export must not touch the live one.
    let scratch = tempfile::tempdir().context("cannot create a scratch folder")?;
    config.data = scratch.path().to_path_buf();
    // Exported pages hold no search results: no model needed.
    config.search.semantic = false;
    let site = Arc::new(crate::site::Site::load(&config)?);
    let library = &site.current().library;
    let mut urls: Vec<String> = vec!["/".into(), "/sitemap.xml".into(), "/robots.txt".into(), "/llms.txt".into()];
    urls.extend(library.categories.iter().map(|c| c.url()));
    urls.extend(super::handlers::category_list_urls(library).into_iter().filter(|u| u.matches('/').count() > 2));
    for article in library.published() {
        urls.push(article.url());
        urls.push(format!("{}.md", article.url()));
    }
    for faq in library.published_faqs() {
        urls.push(faq.url());
        urls.push(format!("{}.md", faq.url()));
    }
    urls.extend(library.media_paths().into_iter().map(|p| format!("/media/{p}")));
    urls.extend(super::assets::all_urls());
    // Canonical links use `site.base_url`, or the configured listening address.
    let bound = config.bind.parse().unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
    let state = super::build_state(&config, Arc::clone(&site), bound)?;

    actix_web::rt::System::new().block_on(async move {
        let state = web::Data::new(state);
        let app = test::init_service(
            App::new()
                .app_data(state.clone())
                .configure(super::routes)
                .default_service(web::to(super::handlers::not_found)),
        )
        .await;
        let mut summary = ExportSummary::default();
        let mut save = |relative: PathBuf, bytes: &[u8]| -> Result<()> {
            let path = out.join(&relative);
            write_file(&path, bytes)?;
            summary.files += 1;
            summary.bytes += bytes.len() as u64;
            if is_text(&relative) {
                let (gzip, brotli) = compressed(bytes)?;
                write_file(&PathBuf::from(format!("{}.gz", path.display())), &gzip)?;
                write_file(&PathBuf::from(format!("{}.br", path.display())), &brotli)?;
            }
            Ok(())
        };
        for url in &urls {
            let request = test::TestRequest::get().uri(url).insert_header(("accept-encoding", "identity")).to_request();
            let response = test::call_service(&app, request).await;
            let status = response.status();
            if !status.is_success() {
                // Categories without published pages, for instance, are not part of the site.
                tracing::warn!(url, status = status.as_u16(), "not exported");
                continue;
            }
            let body = test::read_body(response).await;
            save(file_for(url), &body)?;
        }
        let request = test::TestRequest::get().uri("/no-such-page-quire-export").to_request();
        let body = test::read_body(test::call_service(&app, request).await).await;
        save(PathBuf::from("404.html"), &body)?;
        Ok(summary)
    })
}

#[cfg(test)]
mod tests {
    use super::file_for;
    use std::path::PathBuf;

    #[test]
    fn urls_map_to_files_a_static_server_finds() {
        assert_eq!(file_for("/"), PathBuf::from("index.html"));
        assert_eq!(file_for("/articles/reset"), PathBuf::from("articles/reset.html"));
        assert_eq!(file_for("/articles/reset.md"), PathBuf::from("articles/reset.md"));
        assert_eq!(file_for("/articles/v1.2-notes"), PathBuf::from("articles/v1.2-notes.html"));
        assert_eq!(file_for("/static/quire.abc.css"), PathBuf::from("static/quire.abc.css"));
        assert_eq!(file_for("/sitemap.xml"), PathBuf::from("sitemap.xml"));
        assert_eq!(file_for("/media/img/a.png"), PathBuf::from("media/img/a.png"));
    }
}
