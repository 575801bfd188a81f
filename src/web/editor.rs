//! The browser editor (`/staff/edit`, `/staff/new`, `/staff/history`): editors and
//! admins open a page's file, change its fields and text with a live preview and
//! `quire check`'s findings beside it, add images, and save it back into the content
//! folder. The file stays the source of truth: a save touches only what changed, is
//! refused (with a comparison and a merge) when the file changed meanwhile, and is
//! recorded as a version (a git commit when the content folder is a repository).
//!
//! Every form works without JavaScript (Preview and Upload buttons re-render the
//! page); `static/editor.js` adds the toolbar, shortcuts, a preview updated as the
//! author types and pasted images, through the JSON routes `/staff/edit/preview` and
//! `/staff/edit/image`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::dashboard::{staff_frame, StaffFrame};
use super::feedback::form_fields;
use super::pages::Layout;
use super::response::AppError;
use super::staff::{check_staff_write, session, staff_layout, to_login};
use super::AppState;
use crate::content::diff::{self, DiffHunk, Merged};
use crate::content::edit::{self, EditError, EditorFields};
use crate::content::revisions::{Author, SavedVersion};
use crate::content::{Preview, Severity};
use crate::store::staff::{Role, StaffSession};

type PageResult = Result<HttpResponse, AppError>;

/// Signs the request in (editors and admins only) or answers for it.
macro_rules! editor_or_refuse {
    ($request:expr, $state:expr) => {
        match session(&$request, &$state).await? {
            Some(session) if session.role >= Role::Editor => session,
            Some(session) => return Ok(refuse_viewer(&session)),
            None => return Ok(to_login(&$request)),
        }
    };
}

fn refuse_viewer(session: &StaffSession) -> HttpResponse {
    text(
        StatusCode::FORBIDDEN,
        &format!(
            "your account ({}) can read the dashboard but not edit pages; an admin can make it an editor",
            session.role.as_str()
        ),
    )
}

fn text(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("{message}\n"))
}

/// A form as sent: its text fields, and the image if one was attached.
struct EditorForm {
    fields: HashMap<String, Vec<String>>,
    image: Option<(String, Vec<u8>)>,
}

impl EditorForm {
    fn value(&self, name: &str) -> String {
        self.fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default()
    }
}

/// Reads a `multipart/form-data` form (the editor's, which may carry an image) or an
/// URL-encoded one.
async fn read_form(request: &HttpRequest, body: web::Bytes) -> Result<EditorForm, String> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("multipart/form-data") {
        return Ok(EditorForm { fields: form_fields(&body), image: None });
    }
    let unreadable = |err: actix_multipart::MultipartError| format!("the form could not be read: {err}");
    let payload: actix_web::dev::Payload = body.into();
    let mut multipart = actix_multipart::Multipart::new(request.headers(), payload);
    let mut form = EditorForm { fields: HashMap::new(), image: None };
    while let Some(field) = next(&mut multipart).await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = next(&mut field).await {
            bytes.extend_from_slice(&chunk.map_err(unreadable)?);
        }
        match file_name {
            Some(file_name) if name == "image" => {
                if !bytes.is_empty() {
                    form.image = Some((file_name, bytes));
                }
            }
            _ => {
                let value = String::from_utf8(bytes).map_err(|_| format!("the field `{name}` is not UTF-8 text"))?;
                form.fields.entry(name).or_default().push(value);
            }
        }
    }
    Ok(form)
}

async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// What the editor holds: the form's values as typed, so a refused save or a preview
/// shows the author exactly what they wrote.
#[derive(Debug, Clone, Default)]
struct Draft {
    /// Content-relative path of the file; empty for a new page.
    path: String,
    /// For a new page: its folder and file name.
    folder: String,
    name: String,
    title: String,
    summary: String,
    tags: String,
    keywords: String,
    aliases: String,
    order: String,
    reviewed: String,
    draft: bool,
    body: String,
    /// Revision of the file when the editor opened it, and its text (for merging).
    revision: String,
    base: String,
    message: String,
}

impl Draft {
    fn is_new(&self) -> bool {
        self.path.is_empty()
    }

    /// The editor's values for the file `path` with text `text`.
    fn of_file(path: &str, text: &str) -> Result<Self, String> {
        let split = crate::content::front_matter::split(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
        let front = crate::content::front_matter::parse(split.yaml, 2)
            .map_err(|e| format!("line {}: {}", e.line, e.message))?;
        let fields = EditorFields::of(&front);
        Ok(Self {
            path: path.to_string(),
            folder: path.rsplit_once('/').map(|(folder, _)| folder.to_string()).unwrap_or_default(),
            body: split.body.replace("\r\n", "\n"),
            revision: crate::content::revision_of(&[text.as_bytes()]),
            base: text.to_string(),
            ..Self::of_fields(&fields)
        })
    }

    fn of_fields(fields: &EditorFields) -> Self {
        Self {
            title: fields.title.clone(),
            summary: fields.summary.clone().unwrap_or_default(),
            tags: fields.tags.join(", "),
            keywords: fields.keywords.join(", "),
            aliases: fields.aliases.join(", "),
            order: fields.order.map(|n| n.to_string()).unwrap_or_default(),
            reviewed: fields.reviewed.map(|d| d.to_string()).unwrap_or_default(),
            draft: fields.draft,
            ..Self::default()
        }
    }

    fn of_form(form: &EditorForm) -> Self {
        let path = form.value("path");
        // A form without a folder keeps the page where it is.
        let folder = match form.fields.get("folder") {
            Some(_) => form.value("folder"),
            None => path.rsplit_once('/').map(|(folder, _)| folder.to_string()).unwrap_or_default(),
        };
        Self {
            path,
            folder,
            name: form.value("name"),
            title: form.value("title"),
            summary: form.value("summary"),
            tags: form.value("tags"),
            keywords: form.value("keywords"),
            aliases: form.value("aliases"),
            order: form.value("order"),
            reviewed: form.value("reviewed"),
            draft: form.value("draft") == "true",
            body: form.value("body").replace("\r\n", "\n"),
            revision: form.value("revision"),
            base: form.value("base").replace("\r\n", "\n"),
            message: form.value("message"),
        }
    }

    /// The front matter fields, or what is wrong with them.
    fn fields(&self) -> Result<EditorFields, String> {
        let list = |text: &str| -> Vec<String> {
            text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        };
        let title = self.title.trim().to_string();
        if title.is_empty() {
            return Err("the title is empty: every page needs one".into());
        }
        let order = match self.order.trim() {
            "" => None,
            n => Some(n.parse::<i64>().map_err(|_| format!("the order `{n}` is not a whole number"))?),
        };
        let reviewed = match self.reviewed.trim() {
            "" => None,
            d => Some(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| format!("the reviewed date `{d}` is not a date (YYYY-MM-DD)"))?,
            ),
        };
        let summary = self.summary.trim();
        Ok(EditorFields {
            title,
            summary: (!summary.is_empty()).then(|| summary.to_string()),
            tags: list(&self.tags),
            keywords: list(&self.keywords),
            aliases: list(&self.aliases),
            order,
            draft: self.draft,
            reviewed,
        })
    }

    /// Where the page's file goes: for a page being moved, its new place.
    fn target(&self) -> Result<PathBuf, String> {
        let rel = edit::page_path(&self.path).map_err(|e| e.to_string())?;
        let folder = edit::folder_path(&self.folder).map_err(|e| e.to_string())?;
        Ok(rel.file_name().map(|name| folder.join(name)).unwrap_or(rel))
    }

    /// The file this draft is for, and its text as it would be saved.
    fn compose(&self) -> Result<(PathBuf, String), String> {
        let fields = self.fields()?;
        if self.is_new() {
            let folder = edit::folder_path(&self.folder).map_err(|e| e.to_string())?;
            let rel = folder.join(edit::new_page_name(&self.name, &fields.title));
            let text = edit::new_page_text(&fields, &self.body).map_err(|e| e.to_string())?;
            Ok((rel, text))
        } else {
            let rel = edit::page_path(&self.path).map_err(|e| e.to_string())?;
            let text = edit::apply_edit(&self.base, &fields, &self.body).map_err(|e| e.to_string())?;
            Ok((rel, text))
        }
    }
}

/// A finding about the page, for the list beside the editor.
pub struct FindingView {
    pub line: String,
    pub severity: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "staff_editor.html")]
struct EditorPage {
    layout: Layout,
    frame: StaffFrame,
    editor_js: String,
    editor_css: String,
    draft: Draft,
    /// Folders a new page may go in (and whether it is the chosen one).
    folders: Vec<(String, bool)>,
    notice: String,
    error: String,
    /// A save that met a newer file: how that file differs from the author's version.
    conflict: Vec<DiffHunk>,
    /// Whether the merge left lines changed on both sides, marked in the text.
    conflict_marked: bool,
    preview_html: String,
    findings: Vec<FindingView>,
    /// Line of the file on which the body starts, for findings' line numbers.
    body_first_line: usize,
    public_url: String,
    history_url: String,
    git: bool,
}

/// The preview's HTML: an article's body, or a FAQ's intro and answers under their
/// questions. The parts are sanitized already; questions are escaped here.
fn preview_html(preview: &Preview) -> String {
    let mut html = String::new();
    for part in &preview.parts {
        if let Some(question) = &part.question {
            html.push_str(&format!("<h2>{}</h2>\n", crate::content::preprocess::escape_html(question)));
        }
        html.push_str(&part.rendered.html);
    }
    html
}

fn findings(preview: &Preview) -> Vec<FindingView> {
    let mut found: Vec<FindingView> = preview
        .diagnostics
        .iter()
        .map(|d| FindingView {
            line: d.line.map(|l| l.to_string()).unwrap_or_default(),
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: d.message.clone(),
        })
        .collect();
    found.extend(preview.rewrites.iter().map(|r| FindingView {
        line: r.line.to_string(),
        severity: "rewrite",
        message: format!("{}: “{}” is shown as “{}”", r.rule.describe(), r.before, r.after),
    }));
    found
}

/// The file line on which the body of `text` starts.
fn body_first_line(text: &str) -> usize {
    crate::content::front_matter::split(text).map(|s| s.body_first_line).unwrap_or(1)
}

/// The public address of the page in `rel`: the loaded page's, else the one its slug
/// will give.
fn public_url(state: &AppState, rel: &Path, text: &str) -> String {
    let version = state.site.current();
    let library = &version.library;
    if let Some(article) = library.articles.iter().find(|a| a.source_path == rel) {
        return article.url();
    }
    if let Some(faq) = library.faqs.iter().find(|f| f.source_path == rel) {
        return faq.url();
    }
    let front = crate::content::front_matter::split(text)
        .ok()
        .and_then(|split| crate::content::front_matter::parse(split.yaml, 2).ok());
    let stem = rel.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let slug =
        front.as_ref().and_then(|f| f.slug.as_deref()).map(slug::slugify).unwrap_or_else(|| slug::slugify(&stem));
    match front.map(|f| f.kind) {
        Some(crate::content::front_matter::DocKind::Faq) => format!("/faq/{slug}"),
        _ => format!("/articles/{slug}"),
    }
}

/// Folders of the help center a new page may go in: every folder holding pages, and
/// their parents.
fn content_folders(state: &AppState, chosen: &str) -> Vec<(String, bool)> {
    let version = state.site.current();
    let mut folders: Vec<String> = version
        .library
        .articles
        .iter()
        .map(|a| &a.source_path)
        .chain(version.library.faqs.iter().map(|f| &f.source_path))
        .filter_map(|p| p.parent())
        .flat_map(|p| p.ancestors().map(|a| a.to_string_lossy().replace('\\', "/")).collect::<Vec<_>>())
        .collect();
    folders.push(chosen.to_string());
    folders.sort();
    folders.dedup();
    folders.into_iter().map(|f| (f.clone(), f == chosen)).collect()
}

struct PageExtras {
    notice: String,
    error: String,
    conflict: Vec<DiffHunk>,
    conflict_marked: bool,
}

impl PageExtras {
    fn notice(notice: impl Into<String>) -> Self {
        Self { notice: notice.into(), error: String::new(), conflict: Vec::new(), conflict_marked: false }
    }

    fn error(error: impl Into<String>) -> Self {
        Self { error: error.into(), ..Self::notice("") }
    }
}

/// The editor page for `draft`, previewed.
async fn editor_page(
    state: &AppState,
    session: &StaffSession,
    draft: Draft,
    extras: PageExtras,
    status: StatusCode,
) -> PageResult {
    let composed = draft.compose();
    let (preview, rel, text) = match composed {
        Ok((rel, text)) => {
            let site = Arc::clone(&state.site);
            let (rel_for_preview, text_for_preview) = (rel.clone(), text.clone());
            let preview = super::blocking(move || Ok(site.preview(&rel_for_preview, text_for_preview))).await?;
            (preview, rel, text)
        }
        Err(_) => (Preview::default(), PathBuf::from(&draft.path), String::new()),
    };
    let error = match (&extras.error, composed_error(&draft)) {
        (error, _) if !error.is_empty() => error.clone(),
        (_, Some(problem)) => problem,
        _ => String::new(),
    };
    let title = if draft.is_new() { "New page".to_string() } else { format!("Edit: {}", draft.title) };
    let page = EditorPage {
        layout: staff_layout(state, "/staff/edit", &title),
        frame: staff_frame(session, "/staff/edit", if draft.is_new() { "new" } else { "editor" }),
        editor_js: super::assets::url("editor.js"),
        editor_css: super::assets::url("editor.css"),
        folders: content_folders(state, &draft.folder),
        notice: extras.notice,
        error,
        conflict: extras.conflict,
        conflict_marked: extras.conflict_marked,
        preview_html: preview_html(&preview),
        findings: findings(&preview),
        body_first_line: body_first_line(&text),
        public_url: if text.is_empty() { String::new() } else { public_url(state, &rel, &text) },
        history_url: if draft.is_new() {
            String::new()
        } else {
            format!("/staff/history?path={}", super::search::encode(&draft.path))
        },
        git: state.revisions.is_git(),
        draft,
    };
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

fn composed_error(draft: &Draft) -> Option<String> {
    draft.compose().err()
}

#[derive(serde::Deserialize)]
pub struct EditParams {
    #[serde(default)]
    path: String,
    #[serde(default)]
    saved: String,
    #[serde(default)]
    history: String,
    #[serde(default)]
    folder: String,
}

/// Reads a page file of the content folder: `None` when there is no such regular file.
fn read_page(full: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::symlink_metadata(full) {
        Ok(meta) if meta.is_file() => {}
        _ => return Ok(None),
    }
    let bytes = std::fs::read(full)?;
    Ok(Some(String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the file is not UTF-8 text"))?))
}

/// `GET /staff/edit?path=…`: the editor for a page file.
pub async fn edit_form(request: HttpRequest, state: web::Data<AppState>, params: web::Query<EditParams>) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let rel = match edit::page_path(&params.path) {
        Ok(rel) => rel,
        Err(err) => return Ok(text(StatusCode::NOT_FOUND, &err.to_string())),
    };
    let full = state.site.content_dir().join(&rel);
    let Some(file_text) = super::blocking(move || read_page(&full)).await? else {
        return Ok(text(StatusCode::NOT_FOUND, &format!("there is no page file {}", params.path)));
    };
    let draft = match Draft::of_file(&params.path, &file_text) {
        Ok(draft) => draft,
        Err(problem) => {
            return Ok(text(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!(
                    "{}: the front matter cannot be read ({problem}); fix it in the file, then edit here",
                    params.path
                ),
            ))
        }
    };
    let mut notice = match params.saved.as_str() {
        "published" => "Saved and published. The public page shows it within a second or two.".to_string(),
        "draft" => "Saved as a draft: customers do not see it; signed-in staff see it at its address.".to_string(),
        "created" => "Page created as a draft. Publish it when it is ready.".to_string(),
        "restored" => "The earlier version is restored and saved.".to_string(),
        _ => String::new(),
    };
    if params.history == "failed" {
        notice.push_str(" The file is saved, but recording this version in the history failed (see the server log).");
    }
    editor_page(&state, &session, draft, PageExtras::notice(notice.trim()), StatusCode::OK).await
}

/// `GET /staff/new?folder=…`: the editor for a new page.
pub async fn new_form(request: HttpRequest, state: web::Data<AppState>, params: web::Query<EditParams>) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let folder = edit::folder_path(&params.folder).map(|_| params.folder.clone()).unwrap_or_default();
    let draft = Draft {
        folder,
        draft: true,
        body: "Write the answer here: what the reader wants to do, then the steps.\n".into(),
        ..Draft::default()
    };
    editor_page(&state, &session, draft, PageExtras::notice(""), StatusCode::OK).await
}

/// What happened to a save.
enum Saved {
    Written {
        rel: PathBuf,
        recorded: Result<String, String>,
    },
    /// The file changed since the editor opened it; its text now.
    Changed {
        current: String,
    },
    Refused(String),
}

/// `POST /staff/edit`: the editor's form. `action` is `preview`, `upload` (the
/// attached image, added at the end of the text), `draft` or `publish` (save).
pub async fn submit(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let form = match read_form(&request, body).await {
        Ok(form) => form,
        Err(message) => return Ok(text(StatusCode::BAD_REQUEST, &message)),
    };
    if let Err(response) = check_staff_write(&request, &session, &form.fields) {
        return Ok(*response);
    }
    let mut draft = Draft::of_form(&form);
    match form.value("action").as_str() {
        "preview" => editor_page(&state, &session, draft, PageExtras::notice(""), StatusCode::OK).await,
        "upload" => {
            let Some((name, bytes)) = form.image else {
                let extras = PageExtras::error("choose an image file first, then press Upload image");
                return editor_page(&state, &session, draft, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
            };
            match store_image(&state, &draft, name, bytes).await? {
                Ok(markdown) => {
                    let separator = if draft.body.trim_end().is_empty() { "" } else { "\n\n" };
                    draft.body = format!("{}{separator}{markdown}\n", draft.body.trim_end());
                    let notice = format!(
                        "Image added at the end of the text as {markdown}. Move it where it belongs, then save."
                    );
                    editor_page(&state, &session, draft, PageExtras::notice(notice), StatusCode::OK).await
                }
                Err(problem) => {
                    editor_page(&state, &session, draft, PageExtras::error(problem), StatusCode::UNPROCESSABLE_ENTITY)
                        .await
                }
            }
        }
        action @ ("draft" | "publish") => {
            draft.draft = action == "draft";
            save(&state, &session, draft).await
        }
        other => Ok(text(StatusCode::BAD_REQUEST, &format!("unknown action `{other}`"))),
    }
}

async fn save(state: &AppState, session: &StaffSession, draft: Draft) -> PageResult {
    if let Some(line) = diff::conflict_marker_line(&draft.body) {
        let problem = format!(
            "the text still has merge marks (<<<<<<<, =======, >>>>>>>) from line {} of the text: keep the lines you want and remove the marks, then save",
            line
        );
        return editor_page(state, session, draft, PageExtras::error(problem), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (rel, new_text) = match draft.compose() {
        Ok(composed) => composed,
        Err(problem) => {
            return editor_page(state, session, draft, PageExtras::error(problem), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    };
    let full = state.site.content_dir().join(&rel);
    // Moving a page to another folder (category or section) keeps its name, so its
    // address stays the same.
    let target = if draft.is_new() { Ok(rel.clone()) } else { draft.target() };
    let target = match target {
        Ok(target) => target,
        Err(problem) => {
            return editor_page(state, session, draft, PageExtras::error(problem), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    };
    let moved_from = (target != rel).then(|| rel.clone());
    let target_full = state.site.content_dir().join(&target);
    let (is_new, expected, fields) = (draft.is_new(), draft.revision.clone(), draft.fields());
    let fields = fields.unwrap_or_default();
    let body = draft.body.clone();
    let revisions = state.revisions.clone();
    let store = Arc::clone(&state.store);
    let email = session.email.clone();
    let message = draft.message.clone();
    let publish = !draft.draft;
    let rel_for_save = target.clone();
    let saved = super::blocking(move || {
        let written = if is_new {
            create_file(&full, &new_text)
        } else {
            let Some(current) = read_page(&full)? else {
                return Ok(Saved::Refused("the page file is gone (moved or deleted since it was opened)".into()));
            };
            if crate::content::revision_of(&[current.as_bytes()]) != expected {
                return Ok(Saved::Changed { current });
            }
            // Made from the file as it is (the same revision as the editor's base).
            match edit::apply_edit(&current, &fields, &body) {
                Ok(text) if moved_from.is_some() => create_file(&target_full, &text).and_then(|text| {
                    std::fs::remove_file(&full)
                        .map(|()| text)
                        .map_err(|err| format!("the page was copied to its new folder, but the old file could not be removed: {err}"))
                }),
                Ok(text) => match edit::write_if_unchanged(&full, &expected, &text) {
                    Ok(()) => Ok(text),
                    Err(EditError::Changed { current, .. }) => return Ok(Saved::Changed { current }),
                    Err(err) => Err(err.to_string()),
                },
                Err(err) => Err(err.to_string()),
            }
        };
        let text = match written {
            Ok(text) => text,
            Err(problem) => return Ok(Saved::Refused(problem)),
        };
        let author = Author { name: email.split('@').next().unwrap_or(&email), email: &email };
        let recorded = revisions.record(&rel_for_save, moved_from.as_deref(), &text, &author, &message);
        if let Err(problem) = &recorded {
            tracing::error!(path = %rel_for_save.display(), "the page was saved but its version was not recorded: {problem}");
        }
        let action = match (is_new, publish) {
            (true, _) => "content.create",
            (false, true) => "content.publish",
            (false, false) => "content.save_draft",
        };
        let mut detail = if message.trim().is_empty() { String::new() } else { message.trim().to_string() };
        if let Some(old) = &moved_from {
            detail = format!("moved from {}{}{detail}", old.display(), if detail.is_empty() { "" } else { "; " });
        }
        store.audit(&email, action, &rel_for_save.to_string_lossy(), &detail, chrono::Utc::now().timestamp())?;
        Ok(Saved::Written { rel: rel_for_save, recorded })
    })
    .await?;
    match saved {
        Saved::Written { rel, recorded } => {
            let outcome = match (draft.is_new(), publish) {
                (true, _) => "created",
                (false, true) => "published",
                (false, false) => "draft",
            };
            let history = if recorded.is_err() { "&history=failed" } else { "" };
            let path = rel.to_string_lossy().replace('\\', "/");
            Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/staff/edit?path={}&saved={outcome}{history}", super::search::encode(&path)),
                ))
                .finish())
        }
        Saved::Changed { current } => conflict_page(state, session, draft, &current).await,
        Saved::Refused(problem) => {
            editor_page(state, session, draft, PageExtras::error(problem), StatusCode::CONFLICT).await
        }
    }
}

/// Writes a new page file, never over an existing one.
fn create_file(full: &Path, text: &str) -> Result<String, String> {
    use std::io::Write;
    let folder = full.parent().ok_or("no folder")?;
    std::fs::create_dir_all(folder).map_err(|err| format!("cannot create the folder: {err}"))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".quire-edit-")
        .tempfile_in(folder)
        .map_err(|err| format!("cannot write the file: {err}"))?;
    temporary
        .write_all(text.as_bytes())
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|err| format!("cannot write the file: {err}"))?;
    temporary.persist_noclobber(full).map_err(|err| {
        if err.error.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "a page file named {} already exists in this folder: choose another file name",
                full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            )
        } else {
            format!("cannot write the file: {}", err.error)
        }
    })?;
    Ok(text.to_string())
}

/// The editor after a save met a newer file: both versions side by side, and the
/// author's changes merged into the newer file (lines both changed are marked).
async fn conflict_page(state: &AppState, session: &StaffSession, draft: Draft, current: &str) -> PageResult {
    let theirs = match Draft::of_file(&draft.path, current) {
        Ok(theirs) => theirs,
        Err(problem) => {
            let extras = PageExtras::error(format!(
                "someone saved this page meanwhile and its front matter cannot be read ({problem}); nothing was written"
            ));
            return editor_page(state, session, draft, extras, StatusCode::CONFLICT).await;
        }
    };
    let base = Draft::of_file(&draft.path, &draft.base).unwrap_or_else(|_| theirs.clone());
    let ours_text = draft.compose().map(|(_, text)| text).unwrap_or_default();
    let conflict = diff::side_by_side(current, &ours_text, 3);
    // Field by field: the author's value where they changed it, else the newer file's.
    let pick = |ours: &String, base: &String, theirs: &String| if ours != base { ours.clone() } else { theirs.clone() };
    let (body, marked) = match diff::merge(&base.body, &draft.body, &theirs.body) {
        Merged::Clean(body) => (body, false),
        Merged::Conflicts(body) => (body, true),
    };
    let merged = Draft {
        title: pick(&draft.title, &base.title, &theirs.title),
        summary: pick(&draft.summary, &base.summary, &theirs.summary),
        tags: pick(&draft.tags, &base.tags, &theirs.tags),
        keywords: pick(&draft.keywords, &base.keywords, &theirs.keywords),
        aliases: pick(&draft.aliases, &base.aliases, &theirs.aliases),
        order: pick(&draft.order, &base.order, &theirs.order),
        reviewed: pick(&draft.reviewed, &base.reviewed, &theirs.reviewed),
        draft: draft.draft,
        body,
        message: draft.message.clone(),
        ..theirs
    };
    let notice = if marked {
        "Someone else saved this page while you were editing, and some lines were changed by both of you. Nothing was overwritten. Below: the saved file beside your version; in the text, each place both changed is marked between <<<<<<< and >>>>>>>: keep what should stay, remove the marks, and save again."
    } else {
        "Someone else saved this page while you were editing. Nothing was overwritten. Below: the saved file beside your version. Your changes are merged into the newer file in the editor: check it and save again."
    };
    let extras = PageExtras { notice: notice.into(), error: String::new(), conflict, conflict_marked: marked };
    editor_page(state, session, merged, extras, StatusCode::CONFLICT).await
}

/// Saves an uploaded image beside the draft's page; the Markdown that shows it.
async fn store_image(
    state: &AppState,
    draft: &Draft,
    name: String,
    bytes: Vec<u8>,
) -> Result<Result<String, String>, AppError> {
    let folder = if draft.is_new() {
        edit::folder_path(&draft.folder)
    } else {
        edit::page_path(&draft.path).map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default())
    };
    let folder = match folder {
        Ok(folder) => folder,
        Err(err) => return Ok(Err(err.to_string())),
    };
    let content_dir = state.site.content_dir().to_path_buf();
    let max = state.max_image_bytes;
    super::blocking(move || {
        Ok(crate::content::images::save_image(&content_dir, &folder, &name, &bytes, max).map(|saved| saved.markdown))
    })
    .await
}

fn json(status: StatusCode, value: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).json(value)
}

/// `POST /staff/edit/preview` (the editor's script): the draft rendered, with its
/// findings, as JSON.
pub async fn preview(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let form = match read_form(&request, body).await {
        Ok(form) => form,
        Err(message) => return Ok(json(StatusCode::BAD_REQUEST, serde_json::json!({ "error": message }))),
    };
    if let Err(response) = check_staff_write(&request, &session, &form.fields) {
        return Ok(*response);
    }
    let (rel, text) = match Draft::of_form(&form).compose() {
        Ok(composed) => composed,
        Err(problem) => return Ok(json(StatusCode::OK, serde_json::json!({ "error": problem }))),
    };
    let site = Arc::clone(&state.site);
    let first_line = body_first_line(&text);
    let preview = super::blocking(move || Ok(site.preview(&rel, text))).await?;
    let findings: Vec<serde_json::Value> = findings(&preview)
        .into_iter()
        .map(|f| serde_json::json!({ "line": f.line, "severity": f.severity, "message": f.message }))
        .collect();
    Ok(json(
        StatusCode::OK,
        serde_json::json!({
            "title": preview.title,
            "html": preview_html(&preview),
            "findings": findings,
            "body_first_line": first_line,
        }),
    ))
}

/// `POST /staff/edit/image` (the editor's script, for pasted and chosen images): the
/// image saved beside the page, and the Markdown to insert, as JSON.
pub async fn upload_image(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let form = match read_form(&request, body).await {
        Ok(form) => form,
        Err(message) => return Ok(json(StatusCode::BAD_REQUEST, serde_json::json!({ "error": message }))),
    };
    if let Err(response) = check_staff_write(&request, &session, &form.fields) {
        return Ok(*response);
    }
    let draft = Draft::of_form(&form);
    let Some((name, bytes)) = form.image else {
        return Ok(json(StatusCode::UNPROCESSABLE_ENTITY, serde_json::json!({ "error": "no image was sent" })));
    };
    match store_image(&state, &draft, name, bytes).await? {
        Ok(markdown) => Ok(json(StatusCode::OK, serde_json::json!({ "markdown": markdown }))),
        Err(problem) => Ok(json(StatusCode::UNPROCESSABLE_ENTITY, serde_json::json!({ "error": problem }))),
    }
}

/// A saved version, for the history table.
pub struct VersionView {
    pub id: String,
    pub short: String,
    pub author: String,
    pub when: String,
    pub message: String,
}

fn version_view(version: &SavedVersion) -> VersionView {
    VersionView {
        short: version.id.chars().take(if version.id.len() == 40 { 8 } else { 24 }).collect(),
        id: version.id.clone(),
        author: version.author.clone(),
        when: crate::feedback::local_time(version.at),
        message: version.message.clone(),
    }
}

#[derive(Template)]
#[template(path = "staff_history.html")]
struct HistoryPage {
    layout: Layout,
    editor_css: String,
    frame: StaffFrame,
    path: String,
    title: String,
    versions: Vec<VersionView>,
    from: String,
    to: String,
    from_label: String,
    to_label: String,
    diff: Vec<DiffHunk>,
    /// The file's revision now, for "restore" (refused if it changed meanwhile).
    revision: String,
    git: bool,
    edit_url: String,
}

#[derive(serde::Deserialize)]
pub struct HistoryParams {
    #[serde(default)]
    path: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The id that names the file as it is now, in history links.
const CURRENT: &str = "current";

/// `GET /staff/history?path=…[&from=…&to=…]`: a page's saved versions, and the
/// difference between two of them (by default the last change).
pub async fn history(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<HistoryParams>,
) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let rel = match edit::page_path(&params.path) {
        Ok(rel) => rel,
        Err(err) => return Ok(text(StatusCode::NOT_FOUND, &err.to_string())),
    };
    let revisions = state.revisions.clone();
    let full = state.site.content_dir().join(&rel);
    let (from, to) = (params.from.clone(), params.to.clone());
    let loaded = super::blocking(move || {
        let current = read_page(&full)?;
        let versions = revisions.list(&rel, 50);
        let text_of = |id: &str| -> Option<String> {
            if id == CURRENT {
                current.clone()
            } else {
                revisions.text_at(&rel, id)
            }
        };
        // By default: the newest change, from the version before it to now.
        let to = if to.is_empty() { CURRENT.to_string() } else { to };
        let from = if from.is_empty() {
            let newest_differs = versions.first().and_then(|v| text_of(&v.id)) != current;
            let index = if newest_differs { 0 } else { 1 };
            versions.get(index).map(|v| v.id.clone()).unwrap_or_else(|| CURRENT.to_string())
        } else {
            from
        };
        let (from_text, to_text) = (text_of(&from), text_of(&to));
        Ok((current, versions, from, to, from_text, to_text))
    })
    .await?;
    let (current, versions, from, to, from_text, to_text) = loaded;
    let Some(current) = current else {
        return Ok(text(StatusCode::NOT_FOUND, &format!("there is no page file {}", params.path)));
    };
    let (Some(from_text), Some(to_text)) = (from_text, to_text) else {
        return Ok(text(StatusCode::NOT_FOUND, "no such version of this page"));
    };
    let label = |id: &str| {
        if id == CURRENT {
            "the file now".to_string()
        } else {
            versions
                .iter()
                .find(|v| v.id == id)
                .map(|v| format!("{} ({})", version_view(v).short, version_view(v).when))
                .unwrap_or_else(|| id.to_string())
        }
    };
    let title = Draft::of_file(&params.path, &current).map(|d| d.title).unwrap_or_else(|_| params.path.clone());
    let page = HistoryPage {
        layout: staff_layout(&state, "/staff/history", &format!("History: {title}")),
        editor_css: super::assets::url("editor.css"),
        frame: staff_frame(&session, "/staff/history", "editor"),
        path: params.path.clone(),
        title,
        versions: versions.iter().map(version_view).collect(),
        from_label: label(&from),
        to_label: label(&to),
        diff: diff::side_by_side(&from_text, &to_text, 3),
        from,
        to,
        revision: crate::content::revision_of(&[current.as_bytes()]),
        git: state.revisions.is_git(),
        edit_url: format!("/staff/edit?path={}", super::search::encode(&params.path)),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

/// `POST /staff/restore`: `path`, `version`, `revision` (of the file when the history
/// was shown) and the CSRF token: writes that version back as a new save.
pub async fn restore(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let session = editor_or_refuse!(request, state);
    let form = match read_form(&request, body).await {
        Ok(form) => form,
        Err(message) => return Ok(text(StatusCode::BAD_REQUEST, &message)),
    };
    if let Err(response) = check_staff_write(&request, &session, &form.fields) {
        return Ok(*response);
    }
    let (path, version, revision) = (form.value("path"), form.value("version"), form.value("revision"));
    let rel = match edit::page_path(&path) {
        Ok(rel) => rel,
        Err(err) => return Ok(text(StatusCode::NOT_FOUND, &err.to_string())),
    };
    let full = state.site.content_dir().join(&rel);
    let (revisions, store, email) = (state.revisions.clone(), Arc::clone(&state.store), session.email.clone());
    let outcome = super::blocking(move || {
        let Some(old) = revisions.text_at(&rel, &version) else {
            return Ok(Err((StatusCode::NOT_FOUND, "no such version of this page".to_string())));
        };
        match edit::write_if_unchanged(&full, &revision, &old) {
            Ok(()) => {}
            Err(EditError::Changed { .. }) => return Ok(Err((
                StatusCode::CONFLICT,
                "the page changed since the history was shown; nothing was written: reload the history and try again"
                    .to_string(),
            ))),
            Err(err) => return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, err.to_string()))),
        }
        let short: String = version.chars().take(12).collect();
        let author = Author { name: email.split('@').next().unwrap_or(&email), email: &email };
        let recorded = revisions.record(&rel, None, &old, &author, &format!("Restore version {short}"));
        if let Err(problem) = &recorded {
            tracing::error!(path = %rel.display(), "the page was restored but the version was not recorded: {problem}");
        }
        store.audit(&email, "content.restore", &rel.to_string_lossy(), &short, chrono::Utc::now().timestamp())?;
        Ok(Ok(recorded.is_ok()))
    })
    .await?;
    match outcome {
        Ok(recorded) => {
            let history = if recorded { "" } else { "&history=failed" };
            Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/staff/edit?path={}&saved=restored{history}", super::search::encode(&path)),
                ))
                .finish())
        }
        Err((status, message)) => Ok(text(status, &message)),
    }
}
