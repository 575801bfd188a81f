//! The public feedback flow: "Was this article helpful?", the optional effort rating,
//! reasons and comment, and the contact-support redirect that counts escalations.
//!
//! Without JavaScript every step is a form post answered by a 303 to a page; with
//! JavaScript (`Accept: application/json`) the same handlers answer with the next
//! fragment of HTML, which the script swaps in place.
//!
//! Cross-site request forgery: these forms carry no session (voting is anonymous and
//! the pages are the same for everyone), so they are protected by the browser's own
//! statement of where a request comes from: `Sec-Fetch-Site` must be `same-origin`, or,
//! from browsers that do not send it, `Origin` must be this site. A post with neither
//! is refused. Staff forms additionally carry a per-session token (see `staff`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::pages::{self, FeedbackPage, FollowUpFragment, ThanksFragment};
use super::response::AppError;
use super::AppState;
use crate::auth::{random_token, ServerKey};
use crate::config::{Config, PublicCounts};
use crate::content::Library;
use crate::feedback::live::{CounterBuffer, Tally};
use crate::feedback::{
    day_of, validate_comment, validate_effort, validate_reason, Arrival, Counter, EffortScale, FeedbackStore, FollowUp,
    PageKey, Reason, VoteInput,
};

/// Cookie holding the anonymous visitor's random id (only its keyed hash is stored).
pub const VISITOR_COOKIE: &str = "quire_visitor";
/// Cookie set by the search click redirect: which logged search led to the next page.
pub const SEARCH_COOKIE: &str = "quire_search";

/// Feedback state shared by all workers.
pub struct FeedbackState {
    pub key: ServerKey,
    pub scale: EffortScale,
    pub public_counts: PublicCounts,
    pub public_counts_minimum: u64,
    /// How long a cached page may show an older public count.
    pub count_refresh: Duration,
    pub tally: Tally,
    pub counters: Arc<CounterBuffer>,
    /// Who escalated from which page today (one escalation per reader, page and day).
    pub escalated: FirstToday,
    /// Who viewed which page today (distinct readers per page and day).
    pub readers_today: FirstToday,
    pub limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// A visitor cookie must be this old (set by a page view) for a vote to count.
    pub min_seconds_before_vote: i64,
    /// Ask the optional satisfaction (CSAT) question.
    pub csat_question: bool,
}

impl FeedbackState {
    pub fn new(config: &Config, key: ServerKey, tally: Tally, counters: Arc<CounterBuffer>) -> anyhow::Result<Self> {
        let per_minute = NonZeroU32::new(config.feedback.writes_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            key,
            scale: config.effort_scale()?,
            public_counts: config.feedback.public_counts,
            public_counts_minimum: config.feedback.public_counts_minimum,
            count_refresh: Duration::from_secs(config.feedback.public_counts_refresh_seconds),
            tally,
            counters,
            escalated: FirstToday::default(),
            readers_today: FirstToday::default(),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            secure_cookies: config.base_url(None).starts_with("https://"),
            min_seconds_before_vote: config.feedback.min_seconds_before_vote.max(0),
            csat_question: config.feedback.csat_question,
        })
    }

    /// "N of M people found this helpful", when the setting allows showing it. By
    /// default a page nobody found helpful shows no count: "0 of 5" tells the next
    /// reader nothing they can act on and only discourages.
    pub fn public_count(&self, page: &str) -> Option<String> {
        let (helpful, total) = self.tally.get(page);
        let show = match self.public_counts {
            PublicCounts::Always => total > 0,
            PublicCounts::AfterMinimum => total >= self.public_counts_minimum.max(1) && helpful > 0,
            PublicCounts::Never => false,
        };
        let people = if total == 1 { "person" } else { "people" };
        show.then(|| format!("{helpful} of {total} {people} found this helpful"))
    }
}

/// A page that can receive feedback, resolved from its key.
pub struct FeedbackTarget {
    pub key: String,
    pub title: String,
    pub url: String,
    /// Hash of the page's source (article) or question and answer (FAQ).
    pub revision: String,
}

/// Resolves an article slug or `faq-slug#question` key among published pages.
pub fn target(library: &Library, key: &str) -> Option<FeedbackTarget> {
    if let Some((faq_slug, question_id)) = key.split_once('#') {
        let faq = library.faq(faq_slug).filter(|f| !f.draft)?;
        let question = faq.questions.iter().find(|q| q.id == question_id)?;
        return Some(FeedbackTarget {
            key: key.to_string(),
            title: question.question.clone(),
            url: format!("{}#{}", faq.url(), question.id),
            revision: question.revision.clone(),
        });
    }
    let article = library.article(key).filter(|a| !a.draft)?;
    Some(FeedbackTarget {
        key: key.to_string(),
        title: article.title.clone(),
        url: article.url(),
        revision: article.revision.clone(),
    })
}

/// How the reader of the page being served arrived, from the `Referer` and the search
/// click cookie; carried in the vote form (the search id itself travels in the cookie,
/// so the page stays the same for every reader who arrived the same way). The cookie
/// names the one page the search result led to: a page reached afterwards by browsing
/// is not "from search".
pub fn arrival_of(request: &HttpRequest, key: &ServerKey) -> (Arrival, Option<i64>) {
    let host = request.connection_info().host().to_string();
    let referer = request.headers().get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let same_site = url_host(referer).is_some_and(|h| h == host);
    let search_id = search_cookie_for(request, key, request.path());
    if same_site && search_id.is_some() {
        (Arrival::Search, search_id)
    } else if same_site && url_path(referer).starts_with("/search") {
        (Arrival::Search, None)
    } else if same_site {
        (Arrival::Browse, None)
    } else {
        (Arrival::Direct, None)
    }
}

/// The logged search whose result led to `page`, from the signed search cookie.
pub fn search_cookie_for(request: &HttpRequest, key: &ServerKey, page: &str) -> Option<i64> {
    let cookie = request.cookie(SEARCH_COOKIE)?;
    let value = key.verify(cookie.value())?;
    let (id, target) = value.split_once('~')?;
    (target == page).then(|| id.parse().ok()).flatten()
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    Some(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

/// Whether two serialized origins (`scheme://host[:port]`) are the same, with default
/// ports made explicit.
fn same_origin(a: &str, b: &str) -> bool {
    fn normal(origin: &str) -> Option<(String, String)> {
        let (scheme, rest) = origin.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest).to_ascii_lowercase();
        let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            && !authority.ends_with(']');
        let authority = match (has_port, scheme.as_str()) {
            (true, _) => authority,
            (false, "https") => format!("{authority}:443"),
            (false, "http") => format!("{authority}:80"),
            (false, _) => return None,
        };
        Some((scheme, authority))
    }
    normal(a).is_some_and(|a| Some(a) == normal(b))
}

fn url_path(url: &str) -> &str {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url);
    rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
}

/// Whether the request comes from a crawler, a link-preview fetcher or a script rather
/// than a person's browser: a user agent on the maintained `isbot` pattern list (search
/// engines, previews, curl, Python, Go, headless browsers, …) or no user agent at all.
/// Such requests are not counted as views, votes or escalations.
pub fn is_bot(request: &HttpRequest) -> bool {
    static BOTS: std::sync::LazyLock<isbot::Bots> = std::sync::LazyLock::new(isbot::Bots::default);
    let agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    agent.is_empty() || BOTS.is_bot(agent)
}

/// Whether a page request is a reader's view: a `GET` (not `HEAD`) that a browser makes
/// to show the page (`Sec-Fetch-Dest: document` when the browser sends fetch metadata,
/// so prefetches and embeds do not count), not from a bot.
pub fn is_reader_view(request: &HttpRequest) -> bool {
    let fetch_dest = request.headers().get("sec-fetch-dest").and_then(|v| v.to_str().ok());
    request.method() == actix_web::http::Method::GET
        && fetch_dest.is_none_or(|dest| dest == "document")
        && request.headers().get("purpose").is_none_or(|v| v != "prefetch")
        && request.headers().get("sec-purpose").is_none_or(|v| !v.to_str().unwrap_or("").contains("prefetch"))
        && !is_bot(request)
}

/// Counts a view of `pages` (an article, or every question a FAQ page shows) when the
/// request is a reader's view, and a reader the first time that day this reader (their
/// visitor cookie, or `new_cookie` being set now) views the page; otherwise counts the
/// request as excluded, for the dashboard.
pub fn count_view(state: &AppState, request: &HttpRequest, pages: &[String], new_cookie: Option<&Cookie<'_>>) {
    let day = day_of(now());
    if !is_reader_view(request) {
        state.feedback.counters.exclude(day);
        return;
    }
    let cookie = new_cookie
        .map(|c| c.value().to_string())
        .or_else(|| request.cookie(VISITOR_COOKIE).map(|c| c.value().to_string()));
    let reader = cookie.map(|value| state.feedback.key.visitor_id(&value));
    for page in pages {
        state.feedback.counters.add(page, day, Counter::View);
        if reader.as_deref().is_some_and(|reader| state.feedback.readers_today.first_today(reader, page, day)) {
            state.feedback.counters.add(page, day, Counter::Reader);
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// When the reader's visitor cookie was set by a page view; `None` for no cookie, a
/// forged one, or one from before cookies carried their time.
fn visitor_since(state: &AppState, request: &HttpRequest) -> Option<i64> {
    let cookie = request.cookie(VISITOR_COOKIE)?;
    let value = state.feedback.key.verify(cookie.value())?;
    value.split_once('.')?.1.parse().ok()
}

/// The visitor cookie for a reader who has none yet: a random id and the time, signed,
/// so a vote can prove a page view came first. `None` when the reader already has one
/// (or the request is no reader's view).
pub fn visitor_cookie_for(state: &AppState, request: &HttpRequest) -> Option<Cookie<'static>> {
    if visitor_since(state, request).is_some() || !is_reader_view(request) {
        return None;
    }
    let id = random_token().ok()?;
    let value = state.feedback.key.sign(&format!("{}.{}", &id[..32], now()));
    Some(
        Cookie::build(VISITOR_COOKIE, value)
            .path("/")
            .http_only(true)
            .secure(state.feedback.secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::days(365))
            .finish(),
    )
}

/// A refusal with a message saying what is wrong, as JSON or text.
fn refuse(request: &HttpRequest, status: StatusCode, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if wants_json(request) {
        response.json(serde_json::json!({ "error": message }))
    } else {
        response.content_type("text/plain; charset=utf-8").body(format!("{message}\n"))
    }
}

fn wants_json(request: &HttpRequest) -> bool {
    request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// The cross-site check of every public form post (see the module docs).
pub fn check_same_origin(request: &HttpRequest) -> Result<(), &'static str> {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return if site == "same-origin" { Ok(()) } else { Err("cross-site form posts are refused") };
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Err("the request has no Origin header; forms must be sent from this site's pages");
    };
    // Scheme, host and port must all match: `https://host` is another origin than
    // `http://host`. The site's own origin is its configured public URL, or the scheme
    // (from a trusted proxy, else the connection) and the `Host` the request names.
    let state = request.app_data::<web::Data<AppState>>();
    let scheme = state.map_or_else(|| "http".to_string(), |s| s.proxies.scheme(request));
    let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let connection_origin = format!("{scheme}://{host}");
    let configured = state.map(|s| s.info.base_url.as_str()).filter(|url| !url.is_empty());
    if same_origin(origin, &connection_origin) || configured.is_some_and(|url| same_origin(origin, url)) {
        Ok(())
    } else {
        Err("the form was sent from another site")
    }
}

/// Rate limit per client address (kept in memory only; never stored).
pub fn check_rate(state: &AppState, request: &HttpRequest) -> Result<(), u64> {
    let Some(ip) = state.proxies.client_address(request).map(super::client::rate_key) else {
        return Ok(());
    };
    state.feedback.limiter.check_key(&ip).map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        wait.as_secs().max(1)
    })
}

/// The common gate of public posts: same origin, then rate.
fn guard_post(state: &AppState, request: &HttpRequest) -> Result<(), Box<HttpResponse>> {
    if let Err(message) = check_same_origin(request) {
        return Err(Box::new(refuse(request, StatusCode::FORBIDDEN, message)));
    }
    if let Err(seconds) = check_rate(state, request) {
        let mut response = refuse(request, StatusCode::TOO_MANY_REQUESTS, "too many posts; please wait and try again");
        if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Err(Box::new(response));
    }
    Ok(())
}

/// Parses a form body into its fields; repeated fields keep every value.
pub fn form_fields(body: &[u8]) -> HashMap<String, Vec<String>> {
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        fields.entry(name.into_owned()).or_default().push(value.into_owned());
    }
    fields
}

fn field<'a>(fields: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(|v| v.first()).map(String::as_str)
}

/// `POST /feedback`: page, helpful (yes/no), arrival, search.
pub async fn vote(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if let Err(response) = guard_post(&state, &request) {
        return Ok(*response);
    }
    let fields = form_fields(&body);
    let helpful = match field(&fields, "helpful") {
        Some("yes") => true,
        Some("no") => false,
        _ => return Ok(refuse(&request, StatusCode::BAD_REQUEST, "helpful must be `yes` or `no`")),
    };
    let Some(key) = field(&fields, "page") else {
        return Ok(refuse(&request, StatusCode::BAD_REQUEST, "page is missing"));
    };
    let version = state.site.current();
    let Some(target) = target(&version.library, key) else {
        return Ok(refuse(&request, StatusCode::NOT_FOUND, "no published article or FAQ answer has this key"));
    };
    let arrival = field(&fields, "arrival").and_then(Arrival::parse).unwrap_or(Arrival::Direct);
    // The logged search that led here: only from the signed cookie the search click
    // redirect set for this very page (a form field could name any search).
    let page_path = target.url.split('#').next().unwrap_or(&target.url);
    let search_id = search_cookie_for(&request, &state.feedback.key, page_path).filter(|_| arrival == Arrival::Search);

    // A filled honeypot field or a crawler's user agent: thank it, count nothing.
    let honeypot = field(&fields, "website").is_some_and(|v| !v.is_empty());
    if honeypot || is_bot(&request) {
        return respond_thanks(&request, &state, &target, helpful);
    }

    // Only a reader whose cookie a page view set a moment ago counts: scripts posting
    // votes without reading are thanked, and nothing is stored.
    let since = visitor_since(&state, &request);
    if since.is_none_or(|since| now() - since < state.feedback.min_seconds_before_vote) {
        return respond_thanks(&request, &state, &target, helpful);
    }
    let Some(cookie_value) = request.cookie(VISITOR_COOKIE).map(|c| c.value().to_string()) else {
        return respond_thanks(&request, &state, &target, helpful);
    };
    let input = VoteInput {
        page: PageKey(target.key.clone()),
        visitor: state.feedback.key.visitor_id(&cookie_value),
        helpful,
        revision: target.revision.clone(),
        arrival,
        search_id,
        at: now(),
    };
    let input_visitor = input.visitor.clone();
    let store = Arc::clone(&state.store);
    let (vote_id, counts) = super::blocking(move || {
        let id = store.cast_vote(&input)?;
        Ok((id, store.vote_counts(&input.page)?))
    })
    .await?;
    state.feedback.tally.set(&target.key, counts);

    let ticket = vote_ticket(&state.feedback.key, vote_id, helpful, &input_visitor, now());
    let fragment = follow_up_fragment(&state, &target, helpful, &ticket);
    let response = if wants_json(&request) {
        let html = fragment.render()?;
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "ticket": ticket, "helpful": helpful, "html": html }))
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/feedback?ticket={}", super::search::encode(&ticket))))
            .finish()
    };
    Ok(response)
}

/// Words under the ends of the satisfaction scale.
const CSAT_ENDS: (&str, &str) = ("Very dissatisfied", "Very satisfied");

fn follow_up_fragment(state: &AppState, target: &FeedbackTarget, helpful: bool, ticket: &str) -> FollowUpFragment {
    let scale = state.feedback.scale;
    let (easy, hard) = scale.end_labels();
    FollowUpFragment {
        id: pages::html_id(&target.key),
        ticket: ticket.to_string(),
        helpful,
        effort_question: scale.question(if target.key.contains('#') { "answer" } else { "article" }),
        csat_question: state.feedback.csat_question,
        points: pages::ScalePoint::scale(scale.points, (easy, hard)),
        effort_ends: (easy, hard),
        csat_points: pages::ScalePoint::scale(5, CSAT_ENDS),
        csat_ends: CSAT_ENDS,
        reasons: Reason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        max_comment: crate::feedback::MAX_COMMENT_CHARS,
        contact_url: contact_url(&target.key),
    }
}

fn respond_thanks(
    request: &HttpRequest,
    state: &AppState,
    target: &FeedbackTarget,
    helpful: bool,
) -> Result<HttpResponse, AppError> {
    let fragment = ThanksFragment { helpful, contact_url: contact_url(&target.key) };
    if wants_json(request) {
        let html = fragment.render()?;
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "helpful": helpful, "html": html })));
    }
    feedback_page(state, target, &fragment)
}

/// The no-JavaScript page around a feedback step: one reader's, never stored by caches.
fn feedback_page(
    state: &AppState,
    target: &FeedbackTarget,
    fragment: &impl Template,
) -> Result<HttpResponse, AppError> {
    let page_url = target.url.split('#').next().unwrap_or(&target.url);
    let page = FeedbackPage {
        layout: feedback_layout(state),
        title: target.title.clone(),
        url: target.url.clone(),
        back_url: format!("{page_url}#feedback-{}", pages::html_id(&target.key)),
        noun: if target.key.contains('#') { "question" } else { "article" },
        fragment_html: fragment.render()?,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

fn feedback_layout(state: &AppState) -> pages::Layout {
    let mut layout = pages::layout(state, "/feedback", "Thank you for your feedback", None);
    layout.noindex = true;
    layout
}

/// The address of the contact-support redirect for a page.
pub fn contact_url(key: &str) -> String {
    format!("/contact?page={}", super::search::encode(key))
}

/// How long after a vote its follow-up questions may be answered.
const TICKET_LIFETIME_SECONDS: i64 = 24 * 3_600;

/// The signed ticket that lets the voter answer the follow-up questions of one vote:
/// `id.answer.issued.visitor` with a tag. Bound to the vote, to the answer it followed
/// (a "No" ticket cannot annotate a later "Yes"), to the voter's cookie, and to a day.
fn vote_ticket(key: &ServerKey, vote_id: i64, helpful: bool, visitor: &str, issued: i64) -> String {
    let visitor = visitor.get(..12).unwrap_or(visitor);
    key.sign(&format!("{vote_id}.{}.{issued}.{visitor}", u8::from(helpful)))
}

/// Resolves a vote ticket to (vote id, answer, target); `None` when forged, expired,
/// presented by another visitor, or for an answer the voter has since changed.
async fn ticket_target(
    state: &AppState,
    request: &HttpRequest,
    ticket: &str,
) -> Result<Option<(i64, bool, FeedbackTarget)>, AppError> {
    let Some(value) = state.feedback.key.verify(ticket) else {
        return Ok(None);
    };
    let parts: Vec<&str> = value.split('.').collect();
    let [id, answer, issued, visitor] = parts[..] else {
        return Ok(None);
    };
    let (Ok(id), Ok(issued)) = (id.parse::<i64>(), issued.parse::<i64>()) else {
        return Ok(None);
    };
    let helpful = answer == "1";
    let age = now() - issued;
    if !(0..=TICKET_LIFETIME_SECONDS).contains(&age) {
        return Ok(None);
    }
    let presenter = request.cookie(VISITOR_COOKIE).map(|c| state.feedback.key.visitor_id(c.value()));
    if presenter.is_none_or(|p| !p.starts_with(visitor)) {
        return Ok(None);
    }
    let store = Arc::clone(&state.store);
    let Some(vote) = super::blocking(move || store.vote(id)).await? else {
        return Ok(None);
    };
    if vote.helpful != helpful {
        return Ok(None);
    }
    let version = state.site.current();
    Ok(target(&version.library, &vote.page).map(|t| (id, helpful, t)))
}

#[derive(serde::Deserialize)]
pub struct TicketParams {
    #[serde(default)]
    ticket: String,
}

/// `GET /feedback?ticket=…`: the follow-up questions, for browsers without JavaScript.
pub async fn follow_up_page(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<TicketParams>,
) -> Result<HttpResponse, AppError> {
    let Some((_, helpful, target)) = ticket_target(&state, &request, &params.ticket).await? else {
        return Ok(refuse(&request, StatusCode::NOT_FOUND, "this feedback link is not valid"));
    };
    feedback_page(&state, &target, &follow_up_fragment(&state, &target, helpful, &params.ticket))
}

/// `GET /feedback/thanks?ticket=…`: where the no-JavaScript follow-up form lands
/// (post, redirect, get), so reloading it sends nothing twice.
pub async fn thanks_page(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<TicketParams>,
) -> Result<HttpResponse, AppError> {
    let Some((_, helpful, target)) = ticket_target(&state, &request, &params.ticket).await? else {
        return Ok(refuse(&request, StatusCode::NOT_FOUND, "this feedback link is not valid"));
    };
    feedback_page(&state, &target, &ThanksFragment { helpful, contact_url: contact_url(&target.key) })
}

/// `POST /feedback/details`: ticket, effort, reason (repeatable), comment.
pub async fn details(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if let Err(response) = guard_post(&state, &request) {
        return Ok(*response);
    }
    let fields = form_fields(&body);
    let ticket = field(&fields, "ticket").unwrap_or_default().to_string();
    let Some((id, helpful, target)) = ticket_target(&state, &request, &ticket).await? else {
        return Ok(refuse(&request, StatusCode::NOT_FOUND, "this feedback link is not valid"));
    };
    let scale = state.feedback.scale;
    let effort = match field(&fields, "effort").filter(|v| !v.is_empty()) {
        Some(value) => match validate_effort(value, scale) {
            Ok(rating) => Some(rating),
            Err(message) => return Ok(refuse(&request, StatusCode::BAD_REQUEST, &message)),
        },
        None => None,
    };
    let mut reasons = Vec::new();
    for value in fields.get("reason").into_iter().flatten() {
        match validate_reason(value) {
            Ok(reason) if !reasons.contains(&reason) => reasons.push(reason),
            Ok(_) => {}
            Err(message) => return Ok(refuse(&request, StatusCode::BAD_REQUEST, &message)),
        }
    }
    let comment = match validate_comment(field(&fields, "comment").unwrap_or_default()) {
        Ok(comment) => comment,
        Err(message) => return Ok(refuse(&request, StatusCode::BAD_REQUEST, &message)),
    };
    let csat = match field(&fields, "csat").filter(|v| !v.is_empty()) {
        Some(value) => match crate::feedback::validate_csat(value) {
            Ok(rating) => Some(rating),
            Err(message) => return Ok(refuse(&request, StatusCode::BAD_REQUEST, &message)),
        },
        None => None,
    };
    let follow_up = FollowUp { effort, csat, scale: Some(scale), reasons, comment };
    let store = Arc::clone(&state.store);
    super::blocking(move || store.follow_up(id, &follow_up, now())).await?;
    if wants_json(&request) {
        let fragment = ThanksFragment { helpful, contact_url: contact_url(&target.key) };
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "html": fragment.render()? })));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/feedback/thanks?ticket={}", super::search::encode(&ticket))))
        .finish())
}

#[derive(serde::Deserialize)]
pub struct ContactParams {
    #[serde(default)]
    page: String,
}

/// `GET /contact?page=…`: counts an escalation from that page, then goes to support.
///
/// Counted only when a reader's browser navigates here from one of this site's pages
/// (fetch metadata, else the `Referer`): an image tag or a link on another site, a
/// `HEAD`, a bot or a prefetch counts nothing. One escalation per reader, page and day,
/// within the per-address rate limit. The redirect happens in every case.
pub async fn contact(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ContactParams>,
) -> HttpResponse {
    let version = state.site.current();
    if target(&version.library, &params.page).is_some()
        && is_escalation(&request)
        && check_rate(&state, &request).is_ok()
    {
        let reader = request
            .cookie(VISITOR_COOKIE)
            .map(|c| state.feedback.key.visitor_id(c.value()))
            .or_else(|| state.proxies.client_address(&request).map(|ip| super::client::rate_key(ip).to_string()))
            .unwrap_or_default();
        let day = day_of(now());
        if state.feedback.escalated.first_today(&reader, &params.page, day) {
            state.feedback.counters.add(&params.page, day, Counter::Escalation);
        }
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, state.info.support_url.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Whether a `/contact` request is a reader following a contact link on this site.
fn is_escalation(request: &HttpRequest) -> bool {
    if !is_reader_view(request) {
        return false;
    }
    let header_value = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header_value("sec-fetch-site") {
        return site == "same-origin" && header_value("sec-fetch-mode").is_none_or(|mode| mode == "navigate");
    }
    let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    header_value("referer").and_then(url_host).is_some_and(|referer_host| !host.is_empty() && referer_host == host)
}

/// Remembers which reader did something on which page today (escalated, viewed), so
/// a reader clicking "Contact support" five times counts once. Forgets everything when
/// the day changes; in memory only (a restart forgets the day too).
#[derive(Default)]
pub struct FirstToday {
    seen: std::sync::Mutex<(i64, std::collections::HashSet<(String, String)>)>,
}

impl FirstToday {
    /// Largest number of (reader, page) pairs kept for one day; beyond it every further
    /// escalation of the day is counted (memory stays bounded under a flood).
    const MAX_ENTRIES: usize = 200_000;

    /// True the first time `reader` escalates from `page` on `day`.
    pub fn first_today(&self, reader: &str, page: &str, day: i64) -> bool {
        let Ok(mut seen) = self.seen.lock() else { return true };
        if seen.0 != day {
            *seen = (day, std::collections::HashSet::new());
        }
        if seen.1.len() >= Self::MAX_ENTRIES {
            return true;
        }
        seen.1.insert((reader.to_string(), page.to_string()))
    }
}

/// Sets the cookie that tells the next page's vote form the reader came from search.
/// The cookie names the search and the page its result led to, signed so it cannot be
/// planted with another search's id.
pub fn search_cookie(key: &ServerKey, search_id: i64, target: &str, secure: bool) -> Cookie<'static> {
    let target = target.split(['#', '?']).next().unwrap_or(target);
    Cookie::build(SEARCH_COOKIE, key.sign(&format!("{search_id}~{target}")))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(30))
        .finish()
}

/// How often buffered view counts are written.
const COUNTER_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// How often the write-ahead log is checkpointed. Under a vote storm (1,300 votes/s)
/// the log grows ~18 MB/s; checkpointed every second, each checkpoint fsyncs about that
/// much and no commit ever reaches the automatic checkpoint.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Writes buffered view and escalation counts every few seconds (and once more when
/// the server stops), checkpoints the database every second, and deletes comments
/// older than `retention_days` at start and daily, on its own thread: never on the
/// async executor.
pub fn spawn_counter_writer(
    store: Arc<crate::store::Store>,
    counters: Arc<CounterBuffer>,
    retention_days: i64,
    learned: Arc<arc_swap::ArcSwap<crate::feedback::learning::Learned>>,
) -> CounterWriter {
    use std::time::{Duration, Instant};
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let mut last_purge: Option<Instant> = None;
    let mut last_learning = Instant::now();
    let mut last_counts = Instant::now();
    let mut checkpoint_failing = false;
    let handle = std::thread::Builder::new()
        .name("quire-counters".into())
        .spawn(move || loop {
            if last_learning.elapsed() >= LEARNING_INTERVAL {
                last_learning = Instant::now();
                refresh_learning(&store, &learned);
            }
            if last_purge.is_none_or(|at| at.elapsed() >= Duration::from_secs(86_400)) {
                last_purge = Some(Instant::now());
                match store.purge_comments(now() - retention_days.max(0) * 86_400) {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "deleted comments past the retention period"),
                    Err(err) => tracing::error!("cannot purge old comments: {err:#}"),
                }
            }
            let finished =
                !matches!(stopped.recv_timeout(CHECKPOINT_INTERVAL), Err(std::sync::mpsc::RecvTimeoutError::Timeout));
            if finished || last_counts.elapsed() >= COUNTER_INTERVAL {
                last_counts = Instant::now();
                write_counts(&store, &counters);
            }
            // Here rather than in a commit: a checkpoint fsyncs, and votes must not wait for it.
            let started = Instant::now();
            let checkpoint = store.checkpoint();
            let store_checkpoint_ok = checkpoint.is_ok();
            match checkpoint {
                Ok(log) => {
                    let elapsed_ms = started.elapsed().as_millis() as u64;
                    tracing::debug!(log, elapsed_ms, "database checkpoint");
                }
                // Once per run of failures (a full disk fails every second).
                Err(err) if !checkpoint_failing => {
                    checkpoint_failing = true;
                    tracing::warn!("database checkpoint failed: {err:#}");
                }
                Err(_) => {}
            }
            if checkpoint_failing && store_checkpoint_ok {
                checkpoint_failing = false;
            }
            if finished {
                break;
            }
        })
        .ok();
    CounterWriter { stop: Some(stop), handle }
}

/// Writes the buffered view and escalation counts; on failure they go back into the
/// buffer for the next attempt.
fn write_counts(store: &crate::store::Store, counters: &CounterBuffer) {
    let excluded = counters.drain_excluded();
    if !excluded.is_empty() {
        if let Err(err) = store.add_excluded(&excluded) {
            if !crate::store::is_unavailable(&err) {
                tracing::error!("cannot write excluded request counts: {err:#}");
            }
            counters.restore_excluded(excluded);
        }
    }
    let batch = counters.drain();
    if batch.is_empty() {
        return;
    }
    let started = std::time::Instant::now();
    match store.add_counts(&batch) {
        Ok(()) => {
            let elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::debug!(pages = batch.len(), elapsed_ms, "page counters written");
        }
        Err(err) => {
            // A refused write is logged by the store, once per burst.
            if !crate::store::is_unavailable(&err) {
                tracing::error!("cannot write page counters: {err:#}");
            }
            counters.restore(batch);
        }
    }
}

/// How often search relearns from votes.
const LEARNING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);

/// Recomputes learned search boosts from the database (blocking).
pub fn refresh_learning(store: &crate::store::Store, learned: &arc_swap::ArcSwap<crate::feedback::learning::Learned>) {
    match crate::feedback::learning::refresh(store, now()) {
        Ok(fresh) => learned.store(Arc::new(fresh)),
        Err(err) => tracing::error!("cannot refresh learned search boosts: {err:#}"),
    }
}

/// Stops the counter writer (flushing what is pending) when dropped.
pub struct CounterWriter {
    stop: Option<std::sync::mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for CounterWriter {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        assert_eq!(url_host("http://127.0.0.1:8080/search?q=x"), Some("127.0.0.1:8080"));
        assert_eq!(url_host("https://help.example.com"), Some("help.example.com"));
        assert_eq!(url_host("ftp://x"), None);
        assert_eq!(url_path("http://h/search?q=x"), "/search?q=x");
        assert_eq!(url_path("http://h"), "/");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin("http://help.example.com", "http://help.example.com:80"));
        assert!(same_origin("https://Help.Example.com", "https://help.example.com"));
        assert!(!same_origin("https://help.example.com", "http://help.example.com"));
        assert!(!same_origin("http://help.example.com:8080", "http://help.example.com"));
        assert!(!same_origin("null", "http://help.example.com"));
        assert!(same_origin("http://[::1]:8080", "http://[::1]:8080"));
        assert!(!same_origin("http://[::1]", "http://[::1]:8080"));
    }

    #[test]
    fn repeated_form_fields_keep_every_value() {
        let fields = form_fields(b"reason=outdated&reason=missing-steps&comment=a+b%21");
        assert_eq!(fields["reason"], vec!["outdated", "missing-steps"]);
        assert_eq!(field(&fields, "comment"), Some("a b!"));
    }
}
