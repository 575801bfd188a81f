//! Quire: a self-service knowledge-base server.
//!
//! - [`content`] loads and renders the Markdown help center (no I/O after load).
//! - [`search`] indexes one content version with tantivy and answers queries, fusing in
//!   the pages [`semantic`] finds by meaning.
//! - [`semantic`] is meaning-based retrieval: the sentence-embedding model (candle),
//!   passages, their cached vectors and the background embedder.
//! - [`site`] holds the current content version and swaps in new ones on change.
//! - [`synthetic`] generates large help centers for benchmarks.
//! - [`feedback`] is votes, effort ratings and the metrics computed from them.
//! - [`auth`] is staff passwords, tokens and the server key for anonymous visitor ids.
//! - [`store`] is the SQLite database (search log, votes, counters, staff); the only module with SQL.
//! - [`web`] is the only module that knows HTTP and templates.
//! - [`check`] is `quire check`; [`config`] is the configuration.

pub mod admin;
pub mod auth;
pub mod check;
pub mod config;
pub mod content;
pub mod feedback;
pub mod import;
pub mod logging;
pub mod memory;
pub mod search;
pub mod semantic;
pub mod site;
pub mod store;
pub mod synthetic;
pub mod web;

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::{Context, Result};

/// Runs the server until SIGINT/SIGTERM: binds, answers 503 "starting" while the
/// content loads, then serves and watches for changes. Prints `quire: starting on
/// http://ADDR` when the socket is bound and `quire: listening on http://ADDR` once it
/// serves, so scripts and tests can wait for it instead of sleeping.
pub fn serve(config: config::Config) -> Result<()> {
    crate::feedback::set_time_zone(config.time_zone()?);
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create the data folder {}", config.data.display()))?;
    let listener = TcpListener::bind(&config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    actix_web::rt::System::new().block_on(async move {
        // Until the content is loaded, every request gets 503 "starting" (load balancers
        // and health checks wait) instead of hanging in the socket's backlog.
        let starting = web::starting_server(listener.try_clone().context("cannot share the listening socket")?)?;
        let starting_handle = starting.handle();
        actix_web::rt::spawn(starting);
        println!("quire: starting on http://{address}");
        tracing::info!("starting on http://{address}: answering 503 until the content is loaded");

        let started = std::time::Instant::now();
        let load_config = config.clone();
        let site = actix_web::rt::task::spawn_blocking(move || site::Site::load(&load_config))
            .await
            .context("loading the content failed")??;
        let site = Arc::new(site);
        tracing::info!(
            articles = site.current().library.articles.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "content loaded from {}",
            config.content.display()
        );
        let _watcher = if config.watch { Some(site::watch(Arc::clone(&site))?) } else { None };
        let state = web::build_state(&config, site, address)?;
        // Flushes pending counters when dropped, after the server has stopped.
        let _counter_writer = web::spawn_counter_writer(
            Arc::clone(&state.store),
            Arc::clone(&state.feedback.counters),
            config.feedback.comment_retention_days,
            Arc::clone(&state.learned),
        );
        // Requests the starting server accepted are answered; new connections wait in
        // the backlog for the moment until the real server takes the socket.
        starting_handle.stop(true).await;
        let server = web::server(state, listener)?;
        // Signal handlers are in place before readiness is announced, so a SIGTERM
        // right after start still shuts down gracefully instead of killing the process.
        stop_on_signals(server.handle())?;
        println!("quire: listening on http://{address}");
        tracing::info!("listening on http://{address}");
        server.await.context("server failed")
    })
}

/// On SIGINT or SIGTERM: stop accepting, finish the requests in flight, exit. The
/// listeners are registered before this returns.
#[cfg(unix)]
fn stop_on_signals(handle: actix_web::dev::ServerHandle) -> Result<()> {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    for (kind, name) in [(SignalKind::interrupt(), "SIGINT"), (SignalKind::terminate(), "SIGTERM")] {
        let mut listener = signal(kind).with_context(|| format!("cannot handle {name}"))?;
        let handle = handle.clone();
        actix_web::rt::spawn(async move {
            if listener.recv().await.is_some() {
                tracing::info!("{name} received, shutting down");
                handle.stop(true).await;
            }
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn stop_on_signals(handle: actix_web::dev::ServerHandle) -> Result<()> {
    actix_web::rt::spawn(async move {
        if actix_web::rt::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C received, shutting down");
            handle.stop(true).await;
        }
    });
    Ok(())
}
