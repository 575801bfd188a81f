//! One article or FAQ answer in detail.

use super::*;

/// Before/after an edit, formatted.
pub struct EditComparison {
    pub changed: String,
    pub before_votes: u64,
    pub before_helpful: String,
    pub before_effort: String,
    pub after_votes: u64,
    pub after_helpful: String,
    pub after_effort: String,
    /// Whether the change in helpful share is more than chance, in words.
    pub verdict: String,
}

/// How to read a before/after difference in helpful share.
fn difference_verdict(p_value: Option<f64>) -> String {
    match p_value {
        None => format!(
            "Too few votes to tell whether the edit changed anything (each side needs {}).",
            metrics::MIN_VOTES_TO_COMPARE
        ),
        Some(p) if p < 0.05 => format!("The change in helpful share is unlikely to be chance (p = {p:.3})."),
        Some(p) => format!("The change in helpful share is within chance (p = {p:.2}): it may be noise."),
    }
}

#[derive(Template)]
#[template(path = "staff_page.html")]
struct PageDetail {
    layout: Layout,
    frame: StaffFrame,
    title: String,
    url: String,
    key: String,
    kpis: Vec<Kpi>,
    trend_svg: String,
    trend: Vec<DayRow>,
    effort_svg: String,
    effort: Vec<(String, u64)>,
    reasons: Vec<(&'static str, u64)>,
    arrivals: Vec<ArrivalRow>,
    edit: Option<EditComparison>,
    items: Vec<FeedbackItem>,
    inbox_url: String,
    /// The Markdown file, and where its source can be read.
    source_path: String,
    source_url: String,
    /// Searches whose result readers opened to come here, most frequent first.
    searches: Vec<(String, u64)>,
    /// For an article: when it was last reviewed, and the revision a "reviewed today"
    /// stamp is made from.
    reviewed: Option<(String, String)>,
}

/// The queries (as typed, most frequent wording) whose results led to `key` in the
/// period, with how often, most first.
fn searches_leading_to(searches: &[SearchOutcome], key: &str, period: Period, limit: usize) -> Vec<(String, u64)> {
    let mut by_query: HashMap<&str, (u64, &str)> = HashMap::new();
    for search in searches.iter().filter(|s| s.clicked.as_deref() == Some(key) && period.contains(s.at)) {
        let entry = by_query.entry(search.normalized.as_str()).or_insert((0, search.query.as_str()));
        entry.0 += 1;
    }
    let mut found: Vec<(String, u64)> = by_query.into_values().map(|(n, query)| (query.to_string(), n)).collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(limit);
    found
}

/// `GET /staff/page?key=…`: one article or FAQ answer.
pub async fn page_detail(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let key = params.key.clone().unwrap_or_default();
    let PeriodData { chosen, rows, catalog } = period_data(&state, &params).await?;
    let store = Arc::clone(&state.store);
    let lookup = key.clone();
    let all_votes = crate::web::blocking(move || store.votes_of(&lookup, 100_000)).await?;
    if !catalog.contains_key(&key) && all_votes.is_empty() {
        return Ok(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such page\n"));
    }
    let scale = state.feedback.scale;
    let computed = compute(&rows, chosen.period, scale);
    let empty = Metrics::new(scale);
    let current = computed.pages.get(&key).unwrap_or(&empty);
    let previous = computed.previous_pages.get(&key).unwrap_or(&empty);
    let period_votes: Vec<&VoteRow> = all_votes.iter().filter(|v| chosen.period.contains(v.at)).collect();
    let (trend_svg, trend) = trend(period_votes.iter().copied(), chosen.period);
    let effort: Vec<(String, u64)> =
        current.effort.distribution.iter().enumerate().map(|(i, n)| ((i + 1).to_string(), *n)).collect();
    let effort_bars: Vec<Bar> =
        effort.iter().map(|(label, n)| Bar { label: label.clone(), parts: vec![(*n, "bar-effort")] }).collect();
    let effort_svg = charts::bars(
        &effort_bars,
        &format!("Effort answers from 1 (very easy) to {} (very difficult); the table has the numbers", scale.points),
    );
    let mut reason_counts: HashMap<Reason, u64> = HashMap::new();
    for vote in &period_votes {
        for reason in &vote.reasons {
            *reason_counts.entry(*reason).or_default() += 1;
        }
    }
    let reasons = Reason::ALL.iter().map(|r| (r.label(), reason_counts.get(r).copied().unwrap_or(0))).collect();
    let info = catalog.get(&key);
    let history = {
        let store = Arc::clone(&state.store);
        let page = key.clone();
        crate::web::blocking(move || store.events_of(&page)).await?
    };
    let edit = info.and_then(|info| {
        metrics::before_after(&history, &info.revision, scale).map(|split| EditComparison {
            changed: when(split.changed_at),
            before_votes: split.before.votes(),
            before_helpful: percent(split.before.helpfulness.share()),
            before_effort: decimal(split.before.effort.mean()),
            after_votes: split.after.votes(),
            after_helpful: percent(split.after.helpfulness.share()),
            after_effort: decimal(split.after.effort.mean()),
            verdict: difference_verdict(split.p_value),
        })
    });
    let items = all_votes
        .iter()
        .filter(|v| v.comment.is_some() || !v.reasons.is_empty())
        .take(20)
        .map(|v| feedback_item(v, &catalog, &chosen))
        .collect();
    let title = info.map(|i| i.title.clone()).unwrap_or_else(|| format!("{key} (removed)"));
    let searches = searches_leading_to(&rows.searches, &key, chosen.period, 10);
    let source_path = info.map(|i| i.source_path.clone()).unwrap_or_default();
    let source_url = match info {
        Some(i) if !key.contains('#') => format!("{}.md", i.url),
        _ => String::new(),
    };
    let reviewed = {
        let version = state.site.current();
        version
            .library
            .article(&key)
            .map(|a| (a.reviewed.map(|d| d.to_string()).unwrap_or_else(|| "never".into()), a.revision.clone()))
    };
    let page = PageDetail {
        layout: staff_layout(&state, "/staff/page", &title),
        frame: frame(&session, &chosen, "/staff/page", "pages"),
        url: info.map(|i| i.url.clone()).unwrap_or_default(),
        inbox_url: format!("/staff/inbox?page={}", crate::web::search::encode(&key)),
        key,
        title,
        kpis: page_kpis(current, previous),
        trend_svg,
        trend,
        effort_svg,
        effort,
        reasons,
        arrivals: arrival_rows(period_votes.iter().copied(), scale),
        edit,
        items,
        source_path,
        source_url,
        searches,
        reviewed,
    };
    staff_html(&page)
}

/// `POST /staff/reviewed`: `key`, `revision` and the CSRF token: stamps the article's
/// `reviewed:` with today's date in its file (that line only), unless the file changed
/// since the page was shown. The site reloads it like any edit.
pub async fn mark_reviewed(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    use crate::content::edit::{set_front_matter_value, write_if_unchanged, EditError};
    let session = staff_or_login!(request, state);
    let fields = form_fields(&body);
    if let Err(response) = check_staff_write(&request, &session, &fields) {
        return Ok(*response);
    }
    let value = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let (key, revision) = (value("key"), value("revision"));
    let version = state.site.current();
    let Some(article) = version.library.article(&key) else {
        return Ok(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such article\n"));
    };
    let path = state.site.content_dir().join(&article.source_path);
    // Today in the site's time zone.
    let day = crate::feedback::day_of(chrono::Utc::now().timestamp());
    let today =
        chrono::DateTime::from_timestamp(day * 86_400, 0).map(|d| d.date_naive().to_string()).unwrap_or_default();
    let source = article.source.clone();
    let (store, who, target) = (Arc::clone(&state.store), session.email.clone(), key.clone());
    let written = crate::web::blocking(move || {
        let outcome = set_front_matter_value(&source, "reviewed", &today)
            .and_then(|text| write_if_unchanged(&path, &revision, &text));
        if outcome.is_ok() {
            store.audit(
                &who,
                "content.reviewed",
                &target,
                &format!("reviewed: {today}"),
                chrono::Utc::now().timestamp(),
            )?;
        }
        Ok(outcome)
    })
    .await?;
    match written {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/staff/page?key={}#review", crate::web::search::encode(&key))))
            .finish()),
        Err(EditError::Changed { .. }) => Ok(HttpResponse::Conflict()
            .content_type("text/plain; charset=utf-8")
            .body("the article's file changed since this page was opened (someone else saved it, or a git pull): reload the page and try again; nothing was written\n")),
        Err(err) => Ok(HttpResponse::UnprocessableEntity().content_type("text/plain; charset=utf-8").body(format!("{err}\n"))),
    }
}
