//! `quire import zendesk`: a Zendesk Guide help center, from its Help Center API or
//! from the JSON files that API returns, saved in a folder.
//!
//! Live, it reads `/api/v2/help_center/<locale>/{categories,sections,articles}.json`
//! page by page (following `next_page`, or `links.next` while `meta.has_more`),
//! waits as long as a 429 answer's `Retry-After` says, and downloads each article's
//! attachments (from the help center's own host only), pointing the article's images
//! at the saved files. From files, it reads `categories*.json`, `sections*.json` and
//! `articles*.json` (each one page of the API's answer).
//!
//! Each article keeps its Zendesk `id` in the front matter, so links to the old
//! `/hc/<locale>/articles/<id>-…` addresses redirect to it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde::Deserialize;

use super::{file_name, html, prepare_output, unique_path, write_file, yaml_string, ImportReport};

/// Where the help center is read from.
pub enum Source {
    /// The live API at `base` (`https://acme.zendesk.com`), with an API token for
    /// `email` when the help center is not public.
    Live { base: String, email: Option<String>, token: Option<String> },
    /// A folder of saved API answers.
    Saved(PathBuf),
}

/// One import.
pub struct ZendeskImport {
    pub source: Source,
    /// The help center locale to read (`en-us`).
    pub locale: String,
    /// The content folder to write (new or empty).
    pub out: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Category {
    id: u64,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    position: i64,
}

#[derive(Debug, Deserialize)]
struct Section {
    id: u64,
    #[serde(default)]
    category_id: Option<u64>,
    #[serde(default)]
    parent_section_id: Option<u64>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    position: i64,
}

#[derive(Debug, Deserialize)]
struct Article {
    id: u64,
    #[serde(default)]
    section_id: Option<u64>,
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    label_names: Vec<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    promoted: bool,
    #[serde(default)]
    position: i64,
    #[serde(default)]
    edited_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Attachment {
    id: u64,
    file_name: String,
    content_url: String,
}

/// Most attachments downloaded per article, and their size each.
const MAX_ATTACHMENTS: usize = 100;
const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;
/// Most pages of one list read (100 items each): a loop in `next_page` links ends.
const MAX_PAGES: usize = 2_000;

/// Runs the import; the report says what could not be carried over.
pub fn import(job: &ZendeskImport) -> Result<ImportReport> {
    prepare_output(&job.out)?;
    let reader = Reader::new(&job.source, &job.locale)?;
    let categories: Vec<Category> = reader.list("categories")?;
    let sections: Vec<Section> = reader.list("sections")?;
    let articles: Vec<Article> = reader.list("articles")?;
    let mut report = ImportReport::default();
    let mut taken: HashSet<PathBuf> = HashSet::new();

    let mut category_dirs: HashMap<u64, PathBuf> = HashMap::new();
    for category in &categories {
        let dir =
            unique_path(&job.out, &file_name(&category.name, &format!("category-{}", category.id)), "", &mut taken);
        write_file(
            &dir.join("_meta.yml"),
            folder_meta(&category.name, category.description.as_deref(), category.position).as_bytes(),
        )?;
        category_dirs.insert(category.id, dir);
        report.categories += 1;
    }
    let mut section_dirs: HashMap<u64, PathBuf> = HashMap::new();
    let section_by_id: HashMap<u64, &Section> = sections.iter().map(|s| (s.id, s)).collect();
    for section in &sections {
        // Quire shows sections one level deep: a section inside a section goes to
        // the category of the outermost one.
        let mut outer = section;
        let mut hops = 0;
        while let Some(parent) = outer.parent_section_id.and_then(|p| section_by_id.get(&p)) {
            outer = parent;
            hops += 1;
            if hops > 16 {
                break;
            }
        }
        if outer.id != section.id {
            report.problem(
                format!("section {} \"{}\"", section.id, section.name),
                format!(
                    "it is inside section \"{}\"; Quire shows one level of sections, so it is placed beside it",
                    outer.name
                ),
            );
        }
        let parent = match outer.category_id.and_then(|c| category_dirs.get(&c)) {
            Some(dir) => dir.clone(),
            None => {
                report.problem(
                    format!("section {} \"{}\"", section.id, section.name),
                    "its category was not found; placed in \"Uncategorized\"",
                );
                uncategorized(&job.out, &mut taken)?
            }
        };
        let dir = unique_path(&parent, &file_name(&section.name, &format!("section-{}", section.id)), "", &mut taken);
        write_file(
            &dir.join("_meta.yml"),
            folder_meta(&section.name, section.description.as_deref(), section.position).as_bytes(),
        )?;
        section_dirs.insert(section.id, dir);
        report.sections += 1;
    }

    for article in &articles {
        let item = format!("article {} \"{}\"", article.id, article.title);
        let dir = match article.section_id.and_then(|s| section_dirs.get(&s)) {
            Some(dir) => dir.clone(),
            None => {
                report.problem(&item, "its section was not found; placed in \"Uncategorized\"");
                uncategorized(&job.out, &mut taken)?
            }
        };
        let path = unique_path(&dir, &file_name(&article.title, &format!("article-{}", article.id)), "md", &mut taken);
        let local = match &reader {
            Reader::Live(live) => live.save_attachments(article, &path, &job.out, &mut report)?,
            Reader::Saved(_) => HashMap::new(),
        };
        let body = article.body.as_deref().unwrap_or_default();
        if let Reader::Saved(_) = reader {
            if body.contains("/article_attachments/") {
                report.problem(&item, "its attachments are not in a saved export: images pointing at the old help center stay as links to it");
            }
        }
        let markdown = match html::to_markdown(body, &local) {
            Ok(markdown) => markdown,
            Err(err) => {
                report.problem(&item, format!("its HTML could not be converted ({err}); kept as HTML"));
                format!("{body}\n")
            }
        };
        write_file(&path, front_matter(article, &markdown).as_bytes())?;
        report.articles += 1;
        report.drafts += usize::from(article.draft);
    }
    Ok(report)
}

/// The folder for pages whose category or section is unknown.
fn uncategorized(out: &Path, taken: &mut HashSet<PathBuf>) -> Result<PathBuf> {
    let dir = out.join("uncategorized");
    if taken.insert(dir.clone()) {
        write_file(&dir.join("_meta.yml"), folder_meta("Uncategorized", None, i64::MAX / 2).as_bytes())?;
    }
    Ok(dir)
}

fn folder_meta(title: &str, description: Option<&str>, order: i64) -> String {
    let mut meta = format!("title: {}\n", yaml_string(title));
    if let Some(description) = description.map(str::trim).filter(|d| !d.is_empty()) {
        meta.push_str(&format!("description: {}\n", yaml_string(description)));
    }
    meta.push_str(&format!("order: {order}\n"));
    meta
}

fn front_matter(article: &Article, markdown: &str) -> String {
    let mut text = format!("---\ntitle: {}\nid: {}\n", yaml_string(&article.title), article.id);
    if !article.label_names.is_empty() {
        let tags: Vec<String> = article.label_names.iter().map(|t| yaml_string(t)).collect();
        text.push_str(&format!("tags: [{}]\n", tags.join(", ")));
    }
    if article.position != 0 {
        text.push_str(&format!("order: {}\n", article.position));
    }
    if let Some(date) = article.edited_at.as_deref().or(article.updated_at.as_deref()).and_then(|d| d.get(..10)) {
        text.push_str(&format!("updated: {date}\n"));
    }
    if article.promoted {
        text.push_str("promoted: true\n");
    }
    if article.draft {
        text.push_str("draft: true\n");
    }
    text.push_str("---\n\n");
    text.push_str(markdown);
    text
}

/// Reads lists from the live API or from saved files.
enum Reader {
    Live(Live),
    Saved(PathBuf),
}

impl Reader {
    fn new(source: &Source, locale: &str) -> Result<Self> {
        Ok(match source {
            Source::Live { base, email, token } => {
                Reader::Live(Live::new(base, locale, email.as_deref(), token.as_deref())?)
            }
            Source::Saved(dir) => {
                if !dir.is_dir() {
                    bail!("{} is not a folder of saved Zendesk API answers", dir.display());
                }
                Reader::Saved(dir.clone())
            }
        })
    }

    /// Every item of a list (`categories`, `sections`, `articles`).
    fn list<T: for<'de> Deserialize<'de>>(&self, kind: &str) -> Result<Vec<T>> {
        let pages = match self {
            Reader::Live(live) => live.pages(kind)?,
            Reader::Saved(dir) => saved_pages(dir, kind)?,
        };
        let mut items = Vec::new();
        for page in pages {
            let Some(list) = page.get(kind).cloned() else { continue };
            items.extend(
                serde_json::from_value::<Vec<T>>(list).with_context(|| format!("unexpected {kind} in the answer"))?,
            );
        }
        Ok(items)
    }
}

/// The saved answers for `kind`: `<kind>.json`, `<kind>-2.json`, … in name order.
fn saved_pages(dir: &Path, kind: &str) -> Result<Vec<serde_json::Value>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            name.starts_with(kind) && name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))
        })
        .collect()
}

/// The live Help Center API.
struct Live {
    agent: ureq::Agent,
    base: url::Url,
    locale: String,
    authorization: Option<String>,
}

impl Live {
    fn new(base: &str, locale: &str, email: Option<&str>, token: Option<&str>) -> Result<Self> {
        let base =
            url::Url::parse(base).with_context(|| format!("{base:?} is not a URL such as https://acme.zendesk.com"))?;
        let authorization = match (email, token) {
            (Some(email), Some(token)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{email}/token:{token}"))
            )),
            (None, None) => None,
            _ => {
                bail!("an API token needs the e-mail address of its owner (--email) and the token (ZENDESK_API_TOKEN)")
            }
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .user_agent(concat!("quire-import/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Self { agent, base, locale: locale.to_string(), authorization })
    }

    /// GET `url`, waiting out rate limits (429 with `Retry-After`) up to five times.
    fn get(&self, url: &str) -> Result<ureq::http::Response<ureq::Body>> {
        for _attempt in 0..6 {
            let mut request = self.agent.get(url);
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            let response = request.call().with_context(|| format!("cannot reach {url}"))?;
            let status = response.status().as_u16();
            if status == 429 {
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(5)
                    .min(60);
                std::thread::sleep(Duration::from_secs(wait));
                continue;
            }
            if !(200..300).contains(&status) {
                bail!(
                    "{url} answered {status}{}",
                    if status == 401 || status == 403 { ": check --email and ZENDESK_API_TOKEN" } else { "" }
                );
            }
            return Ok(response);
        }
        bail!("{url} kept answering 429 (too many requests): try again later")
    }

    fn json(&self, url: &str) -> Result<serde_json::Value> {
        let mut response = self.get(url)?;
        let text = response.body_mut().read_to_string().with_context(|| format!("cannot read {url}"))?;
        serde_json::from_str(&text).with_context(|| format!("{url} did not answer JSON"))
    }

    /// Every page of a list, following the API's pagination.
    fn pages(&self, kind: &str) -> Result<Vec<serde_json::Value>> {
        let first = self.base.join(&format!("/api/v2/help_center/{}/{kind}.json?per_page=100", self.locale))?;
        let mut next = Some(first.to_string());
        let mut pages = Vec::new();
        while let Some(url) = next.take() {
            if pages.len() >= MAX_PAGES {
                bail!("{kind}: more than {MAX_PAGES} pages; stopped");
            }
            let page = self.json(&url)?;
            let cursor_next = (page["meta"]["has_more"] == true).then(|| page["links"]["next"].as_str()).flatten();
            next = cursor_next.or(page["next_page"].as_str()).map(str::to_string).filter(|n| self.same_host(n));
            pages.push(page);
        }
        Ok(pages)
    }

    /// Whether `url` is on the help center's host (a page link or attachment
    /// elsewhere is never followed).
    fn same_host(&self, url: &str) -> bool {
        url::Url::parse(url).is_ok_and(|u| {
            u.host_str() == self.base.host_str() && u.port_or_known_default() == self.base.port_or_known_default()
        })
    }

    /// Downloads an article's attachments into `_media/<article id>/` and returns the
    /// addresses the article's HTML may use for each → the saved file, relative to the
    /// article.
    fn save_attachments(
        &self,
        article: &Article,
        article_path: &Path,
        out: &Path,
        report: &mut ImportReport,
    ) -> Result<HashMap<String, String>> {
        let item = format!("article {} \"{}\"", article.id, article.title);
        let url =
            self.base.join(&format!("/api/v2/help_center/{}/articles/{}/attachments.json", self.locale, article.id))?;
        let list = match self.json(url.as_str()) {
            Ok(list) => list,
            Err(err) => {
                report.problem(&item, format!("its attachments could not be listed: {err:#}"));
                return Ok(HashMap::new());
            }
        };
        let attachments: Vec<Attachment> =
            serde_json::from_value(list["article_attachments"].clone()).unwrap_or_default();
        let depth = article_path.strip_prefix(out).map(|p| p.components().count().saturating_sub(1)).unwrap_or(0);
        let up = "../".repeat(depth);
        let mut local = HashMap::new();
        for attachment in attachments.iter().take(MAX_ATTACHMENTS) {
            if !self.same_host(&attachment.content_url) {
                report.problem(
                    &item,
                    format!("attachment {} is on another host and was not downloaded", attachment.content_url),
                );
                continue;
            }
            let name = attachment_file_name(&attachment.file_name, attachment.id);
            let relative = format!("_media/{}/{name}", article.id);
            match self.download(&attachment.content_url, &out.join(&relative)) {
                Ok(()) => {
                    report.attachments += 1;
                    let target = format!("{up}{relative}");
                    local.insert(attachment.content_url.clone(), target.clone());
                    // Bodies refer to attachments by their help center path too.
                    if let Ok(parsed) = url::Url::parse(&attachment.content_url) {
                        local.insert(parsed.path().to_string(), target.clone());
                    }
                    let by_id = format!("/hc/article_attachments/{}", attachment.id);
                    local.insert(self.base.join(&by_id).map(|u| u.to_string()).unwrap_or_default(), target.clone());
                    local.insert(format!("{by_id}/{}", attachment.file_name), target.clone());
                    local.insert(by_id, target);
                }
                Err(err) => report
                    .problem(&item, format!("attachment {} could not be downloaded: {err:#}", attachment.file_name)),
            }
        }
        Ok(local)
    }

    fn download(&self, url: &str, to: &Path) -> Result<()> {
        let response = self.get(url)?;
        let mut body = response.into_body().into_with_config().limit(MAX_ATTACHMENT_BYTES).reader();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut body, &mut bytes).with_context(|| format!("cannot download {url}"))?;
        write_file(to, &bytes)
    }
}

/// A safe file name for an attachment: its own name's letters, digits, dots and
/// dashes (never a path), or its id.
fn attachment_file_name(name: &str, id: u64) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        format!("attachment-{id}")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_are_never_paths() {
        assert_eq!(attachment_file_name("../../etc/passwd", 7), "passwd");
        assert_eq!(attachment_file_name("Screen Shot 1.png", 7), "Screen-Shot-1.png");
        assert_eq!(attachment_file_name("..", 7), "attachment-7");
    }

    #[test]
    fn front_matter_keeps_what_quire_uses() {
        let article = Article {
            id: 360001,
            section_id: Some(1),
            title: "Refunds: \"how\" and when".into(),
            body: None,
            label_names: vec!["billing".into()],
            draft: true,
            promoted: true,
            position: 3,
            edited_at: Some("2025-04-02T10:00:00Z".into()),
            updated_at: None,
        };
        let text = front_matter(&article, "Body\n");
        let (front, body) = text.trim_start_matches("---\n").split_once("---\n").expect("front matter");
        let parsed = crate::content::front_matter::parse(front, 2).expect("valid front matter");
        assert_eq!(parsed.title, "Refunds: \"how\" and when");
        assert_eq!(parsed.legacy_id.as_deref(), Some("360001"));
        assert_eq!((parsed.order, parsed.draft, parsed.promoted), (Some(3), true, true));
        assert_eq!(parsed.tags, vec!["billing"]);
        assert_eq!(parsed.updated.map(|d| d.to_string()).as_deref(), Some("2025-04-02"));
        assert_eq!(body, "\nBody\n");
    }
}
