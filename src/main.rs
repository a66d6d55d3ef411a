//! The `lectern` binary: parse the command line, then check or serve.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lectern::catalog::Catalog;
use lectern::cli::{
    AddPlatformArgs, CheckArgs, Cli, Command, DbArgs, EducatorArgs, EducatorCommand, LtiCommand,
    RemovePlatformArgs, ServeArgs,
};
use lectern::web::{self, AppState, WebConfig};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Educator(EducatorCommand::Add(args))) => educator_link(&args, true),
        Some(Command::Educator(EducatorCommand::Reset(args))) => educator_link(&args, false),
        Some(Command::Lti(LtiCommand::AddPlatform(args))) => lti_add_platform(&args),
        Some(Command::Lti(LtiCommand::List(args))) => lti_list(&args),
        Some(Command::Lti(LtiCommand::Remove(args))) => lti_remove(&args),
        Some(Command::Lti(LtiCommand::RotateKey(args))) => lti_rotate_key(&args),
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

/// Prints every error and warning, then a summary line; false when there are errors (or,
/// with `deny_warnings`, warnings).
fn report(catalog: &Catalog, deny_warnings: bool) -> bool {
    let diagnostics = catalog.diagnostics();
    for d in &diagnostics {
        println!("{d}");
    }
    let errors = catalog.problems();
    let warnings = diagnostics.len() - errors.len();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let and_warnings = if warnings == 0 {
        String::new()
    } else {
        format!(", and {warnings} warning{}", plural(warnings))
    };
    if !errors.is_empty() {
        let files = errors
            .iter()
            .map(|p| &p.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        println!(
            "{} problem{} in {} file{}{and_warnings}",
            errors.len(),
            plural(errors.len()),
            files,
            plural(files),
        );
        false
    } else if warnings > 0 && deny_warnings {
        println!(
            "{warnings} warning{}, denied by --deny-warnings",
            plural(warnings)
        );
        false
    } else {
        println!(
            "{} lessons, {} questions, OK{}",
            catalog.lessons().len(),
            catalog.question_count(),
            if warnings == 0 {
                String::new()
            } else {
                format!(" with {warnings} warning{}", plural(warnings))
            }
        );
        true
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load(&args.path).context("reading lesson files")?;
    if catalog.file_count() == 0 {
        println!("no lesson files (*.toml) found in {}", args.path.display());
        return Ok(ExitCode::FAILURE);
    }
    Ok(if report(&catalog, args.deny_warnings) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "lectern=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let catalog = Catalog::load(&args.lessons)
        .with_context(|| format!("reading lessons from {}", args.lessons.display()))?;
    if !catalog.problems().is_empty() {
        eprintln!("lectern will not start: the lessons have problems.");
        report(&catalog, false);
        return Ok(ExitCode::FAILURE);
    }
    // Warnings do not stop a lesson from being served.
    for warning in catalog.warnings() {
        tracing::warn!("{warning}");
    }
    let store = args
        .db
        .open()
        .with_context(|| format!("opening the database {}", args.db))?;
    tracing::info!(
        lessons = catalog.lessons().len(),
        questions = catalog.question_count(),
        "loaded lessons from {}",
        args.lessons.display()
    );
    let educator_token = match args.educator_token.filter(|t| !t.trim().is_empty()) {
        Some(token) => token,
        None => {
            let token = lectern::web::session::random_token();
            tracing::info!("educator token: {token} (set LECTERN_EDUCATOR_TOKEN to choose one)");
            token
        }
    };
    let config = WebConfig {
        behind_https: args.behind_https,
        educator_token,
        starts_per_minute: args.starts_per_minute,
        submits_per_minute: args.submits_per_minute,
        open_attempts_per_session: args.open_attempts_per_session,
        request_timeout: lectern::web::limits::REQUEST_TIMEOUT,
        require_sign_in: args.require_sign_in,
    };
    let state = AppState::new(catalog, store, config).context("reading the server key")?;
    let _watcher = watch_lessons(&state, &args.lessons)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("listening on {}", args.addr))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        web::routes::lti::spawn_background(state.clone());
        let app = web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        tracing::info!("shut down");
        Ok(ExitCode::SUCCESS)
    })
}

/// `lectern educator add|reset`: creates the educator account (for `add`) and prints a
/// one-time link to set its password.
fn educator_link(args: &EducatorArgs, create: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.db)?;
    let link = lectern::web::routes::account::educator_password_link(
        store.as_ref(),
        &args.username,
        args.name.as_deref(),
        create,
    )?;
    println!(
        "{} can set a password within 24 hours at:\n{}{link}",
        args.username.trim().to_lowercase(),
        args.base_url.trim_end_matches('/')
    );
    Ok(ExitCode::SUCCESS)
}

fn open_store(db: &DbArgs) -> anyhow::Result<std::sync::Arc<dyn lectern::store::Store>> {
    db.db
        .open()
        .with_context(|| format!("opening the database {}", db.db))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// An http(s) URL without spaces, or a message naming the option.
fn checked_url(option: &str, url: &str) -> anyhow::Result<String> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace);
    anyhow::ensure!(ok, "--{option} must be an http(s) URL, not {url:?}");
    Ok(url.to_string())
}

/// `lectern lti add-platform`.
fn lti_add_platform(args: &AddPlatformArgs) -> anyhow::Result<ExitCode> {
    let platform = lectern::store::NewPlatform {
        issuer: checked_url("issuer", &args.issuer)?,
        client_id: args.client_id.trim().to_string(),
        auth_url: checked_url("auth-url", &args.auth_url)?,
        token_url: checked_url("token-url", &args.token_url)?,
        jwks_url: checked_url("jwks-url", &args.jwks_url)?,
        token_audience: args
            .token_audience
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        deployments: args
            .deployment_ids
            .iter()
            .map(|d| d.trim().to_string())
            .collect(),
        created_ms: now_ms(),
    };
    anyhow::ensure!(
        !platform.client_id.is_empty(),
        "--client-id must not be empty"
    );
    anyhow::ensure!(
        platform.deployments.iter().all(|d| !d.is_empty()),
        "--deployment-id must not be empty"
    );
    let store = open_store(&args.db)?;
    match store.lti().add_platform(&platform)? {
        Some(_) => {
            println!(
                "registered {} (client id {}) with deployment{} {}",
                platform.issuer,
                platform.client_id,
                if platform.deployments.len() == 1 {
                    ""
                } else {
                    "s"
                },
                platform.deployments.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "{} with client id {} is already registered: remove it first to change it",
                platform.issuer, platform.client_id
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `lectern lti list`.
fn lti_list(args: &DbArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(args)?;
    let platforms = store.lti().platforms()?;
    if platforms.is_empty() {
        println!("no platform is registered (lectern lti add-platform --help)");
    }
    for p in &platforms {
        println!(
            "{}  client id {}  deployments {}\n  auth {}\n  token {}\n  jwks {}",
            p.issuer,
            p.client_id,
            p.deployments.join(", "),
            p.auth_url,
            p.token_url,
            p.jwks_url
        );
    }
    for key in store.lti().tool_keys()? {
        let status = match key.retired_ms {
            None => "signing".to_string(),
            Some(at) => format!("retired at {at} ms, published for 7 days after"),
        };
        println!("tool key {} ({status})", key.kid);
    }
    Ok(ExitCode::SUCCESS)
}

/// `lectern lti remove`.
fn lti_remove(args: &RemovePlatformArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.db)?;
    if store
        .lti()
        .remove_platform(args.issuer.trim(), args.client_id.trim())?
    {
        println!(
            "removed {} (client id {})",
            args.issuer.trim(),
            args.client_id.trim()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "no platform is registered with issuer {} and client id {}",
            args.issuer.trim(),
            args.client_id.trim()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `lectern lti rotate-key`.
fn lti_rotate_key(args: &DbArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(args)?;
    let key = lectern::lti::keys::generate(now_ms()).map_err(anyhow::Error::msg)?;
    store.lti().add_tool_key(&key, false)?;
    println!(
        "new signing key {}; earlier keys stay published at /lti/jwks for 7 days",
        key.kid
    );
    Ok(ExitCode::SUCCESS)
}

/// Reloads the lessons whenever a file under `dir` changes; problems are logged and shown on
/// the educator dashboard while the last good version of the file keeps serving.
fn watch_lessons(
    state: &AppState,
    dir: &std::path::Path,
) -> anyhow::Result<notify::RecommendedWatcher> {
    let state = state.clone();
    let folder = dir.to_path_buf();
    lectern::watch::watch_folder(dir, move || match state.reload_lessons(&folder) {
        Ok(problems) if problems.is_empty() => {
            let catalog = state.catalog();
            for warning in catalog.warnings() {
                tracing::warn!("{warning}");
            }
            tracing::info!(lessons = catalog.lessons().len(), "lessons reloaded");
        }
        Ok(problems) => {
            for problem in &problems {
                tracing::warn!("{problem}");
            }
            tracing::warn!(
                "{} problem(s) in the lessons; the last good version of each invalid file is still served",
                problems.len()
            );
        }
        Err(e) => tracing::error!("reloading lessons from {}: {e}", folder.display()),
    })
    .with_context(|| format!("watching {}", dir.display()))
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
