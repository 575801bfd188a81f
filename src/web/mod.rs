//! Everything HTTP: the route table, handlers, templates and response headers. The
//! rest of Quire knows nothing about actix-web or askama.
//!
//! A request flows: logging → security headers → compression → path normalisation →
//! handler. A handler takes a snapshot of the current [`SiteVersion`](crate::site::SiteVersion),
//! looks one thing up in the library, fills a page struct and renders it
//! ([`response::html`] adds the ETag and answers 304 when it matches).

mod accounts;
mod assets;
mod body;
mod cache;
mod charts;
mod client;
mod compress;
mod dashboard;
mod editor;
mod export;
mod feedback;
mod feeds;
mod handlers;
mod pages;
mod response;
mod search;
mod staff;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use actix_web::dev::{Server, Service};
use actix_web::http::header;
use actix_web::{guard, middleware, web, App, HttpServer};

use crate::config::Config;
use crate::site::Site;
use crate::store::Store;
pub use cache::PageCache;
pub use export::{run as export, ExportSummary};
pub use feedback::{refresh_learning, spawn_counter_writer, FeedbackState};

/// Presentation facts every page needs, fixed at start-up.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub title: String,
    pub tagline: String,
    pub base_url: String,
    pub support_url: String,
    pub language: String,
    /// Absolute URL of the default share picture.
    pub share_image: String,
    /// Whether articles show when they were last updated.
    pub show_updated: bool,
}

impl SiteInfo {
    pub fn new(config: &Config, bound: SocketAddr) -> Self {
        Self {
            title: config.site.title.clone(),
            tagline: config.site.tagline.clone(),
            base_url: config.base_url(Some(bound)),
            support_url: config.site.support_url.clone(),
            language: config.site.language.clone(),
            share_image: String::new(),
            show_updated: config.site.show_updated,
        }
        .with_share_image(&config.site.share_image)
    }

    /// `image` (a URL, a site path, or empty for Quire's own picture) as an absolute URL.
    pub fn absolute_image(&self, image: &str) -> String {
        if image.starts_with("https://") || image.starts_with("http://") {
            image.to_string()
        } else if image.starts_with('/') {
            format!("{}{image}", self.base_url)
        } else {
            format!("{}{}", self.base_url, assets::url("share.png"))
        }
    }

    fn with_share_image(mut self, configured: &str) -> Self {
        self.share_image = self.absolute_image(configured);
        self
    }
}

/// Shared state of every worker.
pub struct AppState {
    pub site: Arc<Site>,
    pub store: Arc<Store>,
    pub info: SiteInfo,
    pub feedback: feedback::FeedbackState,
    /// Failed sign-ins per account.
    pub account_throttle: crate::auth::LoginThrottle,
    /// Failed sign-ins per client address.
    pub client_throttle: crate::auth::LoginThrottle,
    /// Bounds password verifications running at once (memory under a login storm).
    pub verification_slots: crate::auth::VerificationSlots,
    /// Reverse proxies whose forwarding headers name the client.
    pub proxies: client::TrustedProxies,
    /// How long a client may take to send a request body.
    pub body_timeout: std::time::Duration,
    pub staff_session_hours: i64,
    /// A page whose `reviewed` date is older than this needs review.
    pub stale_after_days: i64,
    /// Rendered pages with their compressed forms.
    pub pages: cache::PageCache,
    /// Recent `/api/search` answers by content generation, learned state and query string.
    pub api_cache: quick_cache::sync::Cache<String, Arc<cache::CachedPage>, AnswerWeight>,
    /// Recent `/search` page results, keyed like `api_cache`; the page itself is
    /// rendered per request (it carries a fresh search id for click tracking).
    pub results_cache: quick_cache::sync::Cache<String, Arc<crate::search::SearchResults>, ResultsWeight>,
    /// What search learned from votes, refreshed in the background.
    pub learned: Arc<arc_swap::ArcSwap<crate::feedback::learning::Learned>>,
    /// Where the editor's saves are recorded (git commits or copies in the data folder).
    pub revisions: crate::content::revisions::Revisions,
    /// Largest image the editor takes.
    pub max_image_bytes: usize,
}

/// Search API answers expected in the cache (each a few KB).
const API_CACHE_ENTRIES: usize = 10_000;
/// Bytes of search API answers kept, compressed forms included: a stream of distinct
/// queries (or junk parameters) evicts old answers instead of growing the server.
const API_CACHE_BYTES: u64 = 24 * 1024 * 1024;

/// An answer's weight: its bytes, plus what its compressed forms will add, plus the key.
#[derive(Clone, Copy)]
pub struct AnswerWeight;

impl quick_cache::Weighter<String, Arc<cache::CachedPage>> for AnswerWeight {
    fn weight(&self, key: &String, answer: &Arc<cache::CachedPage>) -> u64 {
        // Fixed when inserted (quick_cache requires it): compressed forms are made later,
        // so they are estimated at what brotli and gzip take of JSON together, about 60%.
        (key.len() + answer.identity_len() * 8 / 5 + 128) as u64
    }
}

/// Bytes of `/search` page results kept.
const RESULTS_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Results' weight: their strings plus the key.
#[derive(Clone, Copy)]
pub struct ResultsWeight;

impl quick_cache::Weighter<String, Arc<crate::search::SearchResults>> for ResultsWeight {
    fn weight(&self, key: &String, results: &Arc<crate::search::SearchResults>) -> u64 {
        (key.len() + results.heap_bytes() + 128) as u64
    }
}

/// Everything the handlers share, for `config` and a loaded `site`: opens the database
/// and the server key, loads the public vote tally and what search learned.
pub fn build_state(config: &Config, site: Arc<Site>, bound: SocketAddr) -> anyhow::Result<AppState> {
    use crate::feedback::live::{CounterBuffer, Tally};
    let store = Arc::new(Store::open(&config.data)?);
    let key = crate::auth::ServerKey::load_or_create(&config.data)?;
    let tally = Tally::new(store.all_vote_counts()?);
    let feedback = FeedbackState::new(config, key, tally, Arc::new(CounterBuffer::default()))?;
    let learned = Arc::new(arc_swap::ArcSwap::from_pointee(crate::feedback::learning::Learned::default()));
    refresh_learning(&store, &learned);
    Ok(AppState {
        site,
        store,
        info: SiteInfo::new(config, bound),
        feedback,
        account_throttle: crate::auth::LoginThrottle::new(crate::auth::MAX_ACCOUNT_FAILURES),
        client_throttle: crate::auth::LoginThrottle::new(crate::auth::MAX_CLIENT_FAILURES),
        verification_slots: crate::auth::VerificationSlots::new(crate::auth::MAX_VERIFICATIONS_IN_FLIGHT),
        proxies: client::TrustedProxies::parse(&config.server.trusted_proxies).map_err(anyhow::Error::msg)?,
        body_timeout: std::time::Duration::from_secs(config.server.body_timeout_seconds.max(1)),
        staff_session_hours: config.feedback.staff_session_hours.clamp(1, 24 * 30),
        stale_after_days: config.check.stale_after_days,
        learned,
        revisions: crate::content::revisions::Revisions::for_content(
            &config.content,
            &config.data,
            config.editor.git_commits,
            config.editor.keep_versions,
        ),
        max_image_bytes: usize::try_from(config.editor.max_image_kb.saturating_mul(1024)).unwrap_or(usize::MAX),
        pages: PageCache::default(),
        api_cache: quick_cache::sync::Cache::with_weighter(API_CACHE_ENTRIES, API_CACHE_BYTES, AnswerWeight),
        results_cache: quick_cache::sync::Cache::with_weighter(API_CACHE_ENTRIES, RESULTS_CACHE_BYTES, ResultsWeight),
    })
}

/// Runs blocking work (SQLite, file reads) on actix's blocking thread pool. Handlers
/// never block an executor thread any other way.
pub async fn blocking<T, F>(work: F) -> Result<T, response::AppError>
where
    T: Send + 'static,
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
{
    Ok(web::block(work).await??)
}

/// Content-Security-Policy for every response: no inline script anywhere, and no
/// inline style but the site's own stylesheet, allowed by its hash.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' {}; img-src 'self' data: https:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        *assets::INLINE_CSS_HASH
    )
});

/// The policy of a page with a video placeholder: as strict, plus the two players'
/// frames (loaded only when the reader presses play).
pub static CONTENT_SECURITY_POLICY_WITH_VIDEO: LazyLock<String> = LazyLock::new(|| {
    format!("{}; frame-src https://www.youtube-nocookie.com https://player.vimeo.com", *CONTENT_SECURITY_POLICY)
});

/// Starts serving on `listener`; the returned server stops on SIGINT/SIGTERM after
/// finishing the requests in flight.
pub fn server(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let body_timeout = state.body_timeout;
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(body::MAX_BODY_BYTES))
            .configure(routes)
            .default_service(web::to(handlers::not_found))
            .wrap(middleware::NormalizePath::trim())
            .wrap(middleware::from_fn(
                move |request: actix_web::dev::ServiceRequest, next: middleware::Next<_>| async move {
                    match body::read_in_time(request, body_timeout).await {
                        Ok(request) => Ok(next.call(request).await?.map_into_left_body()),
                        Err(response) => Ok(response.map_into_right_body()),
                    }
                },
            ))
            .wrap_fn(|request, service| {
                let accepted = compress::preferred_encoding(request.request());
                let response = service.call(request);
                async move { Ok(compress::compress_response(response.await?, accepted).await) }
            })
            .wrap(security_headers())
            .wrap_fn(|request, service| {
                let started = Instant::now();
                let method = request.method().clone();
                let path = request.path().to_string();
                let response = service.call(request);
                async move {
                    let response = response.await?;
                    // The query string is left out: it holds what customers typed.
                    tracing::info!(
                        %method,
                        path,
                        status = response.status().as_u16(),
                        micros = started.elapsed().as_micros() as u64,
                        "request"
                    );
                    Ok(response)
                }
            })
    })
    .shutdown_timeout(10)
    // Signals are handled by `serve`, installed before the server announces readiness.
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

/// The server that holds the socket while the content loads: every request gets 503
/// with `Retry-After`, `/healthz` says `starting`.
pub fn starting_server(listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(|| {
        App::new().wrap(security_headers()).default_service(web::to(|| async {
            actix_web::HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "2"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({ "status": "starting" }))
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

fn security_headers() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY.as_str()))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"))
}

/// GET routes also answer HEAD, which load balancers and link checkers use.
fn read() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The route table: the one place that maps URLs to handlers.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", read().to(handlers::home))
        .route("/search", read().to(search::page))
        .route("/api/search", read().to(search::api))
        .route("/search/click", read().to(search::click))
        .route("/categories/{slug}", read().to(handlers::category))
        .route("/categories/{slug}/{rest:.*}", read().to(handlers::category_part))
        .route("/articles/{slug}", read().to(handlers::article))
        .route("/faq/{slug}", read().to(handlers::faq))
        .route("/hc/{rest:.*}", read().to(handlers::legacy_redirect))
        .route("/media/{path:.*}", read().to(handlers::media))
        .route("/static/{name}", read().to(assets::serve))
        .route("/sitemap.xml", read().to(feeds::sitemap))
        .route("/robots.txt", read().to(feeds::robots))
        .route("/llms.txt", read().to(feeds::llms))
        .route("/favicon.ico", read().to(assets::favicon))
        .route("/healthz", read().to(handlers::healthz))
        .route("/feedback", web::post().to(feedback::vote))
        .route("/feedback", read().to(feedback::follow_up_page))
        .route("/feedback/details", web::post().to(feedback::details))
        .route("/feedback/thanks", read().to(feedback::thanks_page))
        .route("/contact", read().to(feedback::contact))
        .route("/staff/login", read().to(staff::login_form))
        .route("/staff/login", web::post().to(staff::login))
        .route("/staff/logout", web::post().to(staff::logout))
        .route("/staff", read().to(dashboard::overview))
        .route("/staff/pages", read().to(dashboard::pages_table))
        .route("/staff/page", read().to(dashboard::page_detail))
        .route("/staff/attention", read().to(dashboard::attention))
        .route("/staff/search", read().to(dashboard::search_report))
        .route("/staff/inbox", read().to(dashboard::inbox))
        .route("/staff/inbox/bulk", web::post().to(dashboard::bulk))
        .route("/staff/inbox/{id}", web::post().to(dashboard::resolve))
        .route("/staff/learning", read().to(dashboard::learning))
        .route("/staff/learning", web::post().to(dashboard::decide_learning))
        .route("/staff/exclude", web::post().to(dashboard::exclude_window))
        .route("/staff/include", web::post().to(dashboard::include_window))
        .route("/staff/export/feedback.csv", read().to(dashboard::export_feedback))
        .route("/staff/export/audit.csv", read().to(dashboard::export_audit))
        .route("/staff/audit", read().to(dashboard::audit_log))
        .route("/staff/reviewed", web::post().to(dashboard::mark_reviewed))
        .route("/staff/export/metrics.csv", read().to(dashboard::export_metrics))
        .route("/staff/api/metrics", read().to(dashboard::api_metrics))
        .route("/staff/edit", read().to(editor::edit_form))
        .route("/staff/new", read().to(editor::new_form))
        .route("/staff/history", read().to(editor::history))
        .route("/staff/accounts", read().to(accounts::accounts))
        .route("/staff/accounts", web::post().to(accounts::change_account))
        .route("/staff/password", read().to(accounts::password_form))
        .route("/staff/password", web::post().to(accounts::set_password));
    // The editor's forms carry a whole page or an image.
    let editor_body = || web::PayloadConfig::new(body::MAX_EDITOR_BODY_BYTES);
    config
        .service(web::resource("/staff/edit").app_data(editor_body()).route(web::post().to(editor::submit)))
        .service(web::resource("/staff/edit/preview").app_data(editor_body()).route(web::post().to(editor::preview)))
        .service(web::resource("/staff/edit/image").app_data(editor_body()).route(web::post().to(editor::upload_image)))
        .service(web::resource("/staff/restore").app_data(editor_body()).route(web::post().to(editor::restore)));
}
