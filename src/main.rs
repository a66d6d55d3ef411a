//! The `lectern` binary: parse the command line, then check or serve.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use lectern::catalog::Catalog;
use lectern::cli::{CheckArgs, Cli, Command, ServeArgs};
use lectern::store::SqliteStore;
use lectern::web::{self, AppState, WebConfig};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => serve(args),
        // No command means `serve` with its defaults (and its environment variables).
        None => match Cli::parse_from(["lectern", "serve"]).command {
            Some(Command::Serve(args)) => serve(args),
            _ => unreachable!("`lectern serve` parses as Serve"),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints every problem, or the summary line; exit 1 when there are problems.
fn report(catalog: &Catalog) -> bool {
    let problems = catalog.problems();
    for p in &problems {
        println!("{p}");
    }
    if problems.is_empty() {
        println!(
            "{} lessons, {} questions, OK",
            catalog.lessons().len(),
            catalog.question_count()
        );
        true
    } else {
        let files = problems
            .iter()
            .map(|p| &p.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        println!(
            "{} problem{} in {} file{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            files,
            if files == 1 { "" } else { "s" }
        );
        false
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load(&args.path).context("reading lesson files")?;
    if catalog.file_count() == 0 {
        println!("no lesson files (*.toml) found in {}", args.path.display());
        return Ok(ExitCode::FAILURE);
    }
    Ok(if report(&catalog) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "lectern=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let catalog = Catalog::load(&args.lessons)
        .with_context(|| format!("reading lessons from {}", args.lessons.display()))?;
    if !catalog.problems().is_empty() {
        eprintln!("lectern will not start: the lessons have problems.");
        report(&catalog);
        return Ok(ExitCode::FAILURE);
    }
    let store = SqliteStore::open(&args.db)
        .with_context(|| format!("opening the database {}", args.db.display()))?;
    tracing::info!(
        lessons = catalog.lessons().len(),
        questions = catalog.question_count(),
        "loaded lessons from {}",
        args.lessons.display()
    );
    let config = WebConfig {
        behind_https: args.behind_https,
    };
    let state =
        AppState::new(catalog, Arc::new(store), config).context("reading the server key")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("listening on {}", args.addr))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, web::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        tracing::info!("shut down");
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
