//! Resolving the link destinations authors write into the URLs Quire serves.
//!
//! Authors link the way their editor or old help desk taught them: relative Markdown
//! paths (`../billing/refunds.md#fees`), site-absolute paths with or without `.md`
//! (`/proxy/introduction`), Quire URLs (`/articles/refunds`), or absolute URLs of the
//! help desk the content was migrated from (`https://support.example.com/hc/en-us/
//! articles/360001-Refunds`). All of them resolve to the page's Quire URL, and the ones
//! that lead nowhere are reported.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use regex::Regex;

use super::diagnostics::Severity;
use super::markdown::{LinkKind, LinkResolver, Resolution};

/// Characters escaped in a path segment of a `/media/` URL.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'&')
    .add(b'+')
    .add(b'\'');

static LEGACY_ARTICLE_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^/hc(?:/[A-Za-z-]+)?/articles/(\d+)(?:[-/].*)?$").expect("valid regex"));
static URL_SCHEME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:").expect("valid regex"));

/// The id in a help-desk article path such as `/hc/en-us/articles/360001-Refunds`.
pub fn legacy_article_id(path: &str) -> Option<&str> {
    LEGACY_ARTICLE_PATH.captures(path).and_then(|c| c.get(1)).map(|m| m.as_str())
}

/// The public URL of a content asset at a content-relative path.
pub fn media_url(relative: &str) -> String {
    let encoded: Vec<String> = relative.split('/').map(|s| utf8_percent_encode(s, SEGMENT).to_string()).collect();
    format!("/media/{}", encoded.join("/"))
}

/// Pages the server always has, which content may link to site-absolutely.
pub const BUILT_IN_PATHS: &[&str] = &["/", "/search", "/sitemap.xml", "/robots.txt", "/llms.txt"];

/// What every document's links may point at.
#[derive(Debug, Default)]
pub struct LinkTargets {
    /// Content-relative path without extension (`billing/refunds`) → page URL.
    pub pages: HashMap<String, String>,
    /// Old help desk id → page URL.
    pub legacy_ids: HashMap<String, String>,
    /// Content-relative paths of assets (images, PDFs).
    pub media: HashSet<String>,
    /// Content-relative folder paths (`billing`, `billing/invoices`) → the URL of the
    /// category their pages are in, so a link to a folder leads to its category.
    pub folders: HashMap<String, String>,
    /// Published URLs (`/articles/x`, `/faq/y`, `/categories/z`) for site-absolute links.
    pub urls: HashSet<String>,
    /// Hosts of the old help desk (`support.example.com`).
    pub old_hosts: Vec<String>,
    /// Path prefixes the old site served its pages under (`/docs`): site-absolute links
    /// starting with one are read from the top of the content folder.
    pub old_path_prefixes: Vec<String>,
}

/// Resolves links for one document in the folder `dir` (content-relative, `/`-separated).
pub struct DocumentLinks<'a> {
    pub targets: &'a LinkTargets,
    pub dir: &'a str,
}

impl LinkResolver for DocumentLinks<'_> {
    fn resolve(&self, destination: &str, kind: LinkKind) -> Resolution {
        let destination = destination.trim();
        // Fragment- and query-only links (`#fees`, `?tab=advanced`) point into the page
        // itself, and `//host` links to another site: all stay as written.
        if destination.is_empty() || destination.starts_with(['#', '?']) || destination.starts_with("//") {
            return Resolution::default();
        }
        if URL_SCHEME.is_match(destination) {
            return self.resolve_absolute_url(destination);
        }
        if looks_like_email(destination) {
            return Resolution {
                rewrite: Some(format!("mailto:{destination}")),
                problem: Some((
                    Severity::Warning,
                    format!("link `{destination}` looks like an e-mail address: write it as `mailto:{destination}`"),
                )),
            };
        }
        let (path, fragment) = split_fragment(destination);
        let decoded = percent_decode_str(path).decode_utf8_lossy();
        let decoded = match self.strip_old_prefix(&decoded) {
            Some(stripped) => std::borrow::Cow::Owned(stripped),
            None => decoded,
        };
        if let Some(id) = legacy_article_id(&decoded) {
            return self.resolve_legacy(id, fragment, destination);
        }
        if let Some(rooted) = decoded.strip_prefix('/') {
            let known = self.targets.urls.contains(decoded.trim_end_matches(".md"));
            if known || BUILT_IN_PATHS.contains(&decoded.as_ref()) {
                return Resolution::default();
            }
            return match normalize(rooted) {
                Some(target) => self.resolve_path(&target, fragment, kind, destination),
                None => broken(kind, destination, "it points outside the content folder"),
            };
        }
        let Some(target) = normalize(&format!("{}/{}", self.dir, decoded)) else {
            return broken(kind, destination, "it points outside the content folder");
        };
        let resolution = self.resolve_path(&target, fragment, kind, destination);
        // Docusaurus and similar tools also look a relative link up from the top of the
        // docs folder when it is not next to the file; content moved from them does too.
        if resolution.problem.is_some() && !self.dir.is_empty() {
            if let Some(from_root) = normalize(&decoded) {
                let fallback = self.resolve_path(&from_root, fragment, kind, destination);
                if fallback.problem.is_none() {
                    return fallback;
                }
            }
        }
        resolution
    }
}

impl DocumentLinks<'_> {
    /// Resolves a normalized content-relative path to a page or asset URL.
    fn resolve_path(&self, target: &str, fragment: Option<&str>, kind: LinkKind, destination: &str) -> Resolution {
        if self.targets.media.contains(target) {
            return rewrite(media_url(target) + &fragment_suffix(fragment));
        }
        if kind == LinkKind::Link {
            let stem = target
                .strip_suffix(".md")
                .or_else(|| target.strip_suffix(".markdown"))
                .unwrap_or(target)
                .trim_end_matches('/');
            let candidates = [stem.to_string(), format!("{stem}/index"), format!("{stem}/README")];
            if let Some(url) = candidates.iter().find_map(|c| self.targets.pages.get(c)) {
                return rewrite(format!("{url}{}", fragment_suffix(fragment)));
            }
            // A link to a folder is a link to its category.
            if let Some(url) = self.targets.folders.get(stem) {
                return rewrite(url.clone());
            }
        }
        broken(kind, destination, &format!("there is no file `{target}` in the content folder"))
    }

    fn strip_old_prefix(&self, path: &str) -> Option<String> {
        self.targets.old_path_prefixes.iter().find_map(|prefix| {
            let prefix = prefix.trim_end_matches('/');
            path.strip_prefix(prefix).filter(|rest| rest.starts_with('/')).map(str::to_string)
        })
    }

    fn resolve_absolute_url(&self, url: &str) -> Resolution {
        let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
            return Resolution::default();
        };
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !self.targets.old_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Resolution::default();
        }
        let (path, fragment) = split_fragment(path);
        match legacy_article_id(path) {
            Some(id) => self.resolve_legacy(id, fragment, url),
            None => Resolution::default(),
        }
    }

    fn resolve_legacy(&self, id: &str, fragment: Option<&str>, original: &str) -> Resolution {
        match self.targets.legacy_ids.get(id) {
            Some(page) => rewrite(format!("{page}{}", fragment_suffix(fragment))),
            None => Resolution {
                rewrite: None,
                problem: Some((
                    Severity::Warning,
                    format!(
                        "link `{original}` is to old help desk article {id}, which no article here has as its `id`"
                    ),
                )),
            },
        }
    }
}

fn looks_like_email(destination: &str) -> bool {
    let Some((user, domain)) = destination.split_once('@') else {
        return false;
    };
    !user.is_empty() && domain.contains('.') && !destination.contains('/') && !destination.contains(':')
}

fn rewrite(url: String) -> Resolution {
    Resolution { rewrite: Some(url), problem: None }
}

fn broken(kind: LinkKind, destination: &str, why: &str) -> Resolution {
    let what = match kind {
        LinkKind::Link => "broken link",
        LinkKind::Image => "missing image",
    };
    Resolution { rewrite: None, problem: Some((Severity::Error, format!("{what} `{destination}`: {why}"))) }
}

fn split_fragment(destination: &str) -> (&str, Option<&str>) {
    let (before, fragment) = match destination.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (destination, None),
    };
    (before.split('?').next().unwrap_or(before), fragment)
}

fn fragment_suffix(fragment: Option<&str>) -> String {
    fragment.filter(|f| !f.is_empty()).map(|f| format!("#{f}")).unwrap_or_default()
}

/// Resolves `.` and `..` in a `/`-separated relative path; `None` if it climbs out.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> LinkTargets {
        let mut t = LinkTargets::default();
        t.pages.insert("billing/refunds".into(), "/articles/refunds".into());
        t.pages.insert("getting-started/install".into(), "/articles/install".into());
        t.legacy_ids.insert("360001".into(), "/articles/refunds".into());
        t.media.insert("billing/img/card form.png".into());
        t.urls.insert("/articles/refunds".into());
        t.old_hosts.push("support.example.com".into());
        t.old_path_prefixes.push("/docs".into());
        t
    }

    fn check(dir: &str, dest: &str, kind: LinkKind) -> Resolution {
        let t = targets();
        DocumentLinks { targets: &t, dir }.resolve(dest, kind)
    }

    #[test]
    fn relative_markdown_links() {
        assert_eq!(
            check("getting-started", "../billing/refunds.md#fees", LinkKind::Link).rewrite.as_deref(),
            Some("/articles/refunds#fees")
        );
        assert_eq!(check("billing", "refunds.md", LinkKind::Link).rewrite.as_deref(), Some("/articles/refunds"));
        assert_eq!(
            check("billing", "/getting-started/install", LinkKind::Link).rewrite.as_deref(),
            Some("/articles/install")
        );
    }

    #[test]
    fn quire_urls_and_externals_are_kept() {
        assert_eq!(check("x", "/articles/refunds", LinkKind::Link), Resolution::default());
        assert_eq!(check("x", "https://example.org/a", LinkKind::Link), Resolution::default());
        assert_eq!(check("x", "mailto:a@b.c", LinkKind::Link), Resolution::default());
        assert_eq!(check("x", "#top", LinkKind::Link), Resolution::default());
    }

    #[test]
    fn legacy_help_desk_links() {
        let r = check("x", "https://support.example.com/hc/en-us/articles/360001-Refunds#x", LinkKind::Link);
        assert_eq!(r.rewrite.as_deref(), Some("/articles/refunds#x"));
        assert_eq!(
            check("x", "/hc/en-us/articles/360001", LinkKind::Link).rewrite.as_deref(),
            Some("/articles/refunds")
        );
        let unknown = check("x", "https://support.example.com/hc/en-us/articles/999-Gone", LinkKind::Link);
        assert_eq!(unknown.problem.map(|p| p.0), Some(Severity::Warning));
    }

    #[test]
    fn old_path_prefix_and_bare_emails() {
        assert_eq!(
            check("x", "/docs/billing/refunds#a", LinkKind::Link).rewrite.as_deref(),
            Some("/articles/refunds#a")
        );
        let email = check("x", "help@example.com", LinkKind::Link);
        assert_eq!(email.rewrite.as_deref(), Some("mailto:help@example.com"));
        assert_eq!(email.problem.map(|p| p.0), Some(Severity::Warning));
    }

    #[test]
    fn images_next_to_content() {
        let r = check("billing", "img/card%20form.png", LinkKind::Image);
        assert_eq!(r.rewrite.as_deref(), Some("/media/billing/img/card%20form.png"));
        let missing = check("billing", "img/none.png", LinkKind::Image);
        assert!(missing.problem.expect("problem").1.starts_with("missing image"));
    }

    #[test]
    fn broken_links_are_errors() {
        let r = check("billing", "nothing.md", LinkKind::Link);
        assert_eq!(r.problem.as_ref().map(|p| p.0), Some(Severity::Error));
        assert!(r.problem.expect("problem").1.contains("billing/nothing.md"));
        assert!(check("", "../../etc/passwd", LinkKind::Link).problem.is_some());
    }
}
