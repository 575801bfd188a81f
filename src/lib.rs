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

/// Runs the server until SIGINT/SIGTERM: loads content, binds, watches for changes.
/// Prints `quire: listening on http://ADDR` on stdout once the socket accepts
/// connections, so scripts and tests can wait for it instead of sleeping.
pub fn serve(config: config::Config) -> Result<()> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create the data folder {}", config.data.display()))?;
    let listener = TcpListener::bind(&config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    let started = std::time::Instant::now();
    let site = Arc::new(site::Site::load(&config)?);
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
    actix_web::rt::System::new().block_on(async move {
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
