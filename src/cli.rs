//! The command line: `lectern serve` (the default), `lectern check` and `lectern educator`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// lectern: serves TOML lesson files as readings with randomized, scored quizzes.
#[derive(Debug, Parser)]
#[command(name = "lectern", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the lessons over HTTP (the default when no command is given).
    Serve(ServeArgs),
    /// Validate lesson files and print every problem as `path:line:col: message` (a warning as
    /// `path:line:col: warning: message`).
    ///
    /// Exits 0 with a one-line summary when every file is valid, 1 when any is not. Warnings
    /// (an objective no question assesses) do not make a file invalid.
    Check(CheckArgs),
    /// Manage educator accounts.
    #[command(subcommand)]
    Educator(EducatorCommand),
    /// Register LMS platforms for LTI 1.3 and manage the tool's keys.
    #[command(subcommand)]
    Lti(LtiCommand),
}

/// `lectern lti …`.
#[derive(Debug, Subcommand)]
pub enum LtiCommand {
    /// Register a platform (the values its LTI 1.3 tool configuration shows).
    AddPlatform(AddPlatformArgs),
    /// List the registered platforms and the tool's keys.
    List(DbArgs),
    /// Remove a platform's registration (its users, courses and owed grades with it).
    Remove(RemovePlatformArgs),
    /// Add a new signing key; the old one stays published for 7 days.
    RotateKey(DbArgs),
}

/// The database option of the `educator` and `lti` commands.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database `lectern serve` uses.
    #[arg(
        long,
        default_value = "lectern.db",
        env = "LECTERN_DB",
        hide_env_values = true
    )]
    pub db: crate::store::Location,
}

/// Options of `lectern lti add-platform`.
#[derive(Debug, Args)]
pub struct AddPlatformArgs {
    /// The platform's issuer (Moodle: "Platform ID").
    #[arg(long)]
    pub issuer: String,
    /// The client id the platform gave the tool.
    #[arg(long)]
    pub client_id: String,
    /// A deployment id (repeat for several).
    #[arg(long = "deployment-id", required = true)]
    pub deployment_ids: Vec<String>,
    /// The platform's OIDC authentication request URL.
    #[arg(long)]
    pub auth_url: String,
    /// The platform's OAuth 2 access token URL.
    #[arg(long)]
    pub token_url: String,
    /// The platform's public keyset (JWKS) URL.
    #[arg(long)]
    pub jwks_url: String,
    /// The audience of the tool's token requests, when the platform names one apart from its
    /// token URL (Brightspace's "OAuth 2 Audience").
    #[arg(long)]
    pub token_audience: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Options of `lectern lti remove`.
#[derive(Debug, Args)]
pub struct RemovePlatformArgs {
    #[arg(long)]
    pub issuer: String,
    #[arg(long)]
    pub client_id: String,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `lectern educator …`.
#[derive(Debug, Subcommand)]
pub enum EducatorCommand {
    /// Create an educator account and print a one-time link (valid 24 hours) at which its
    /// owner sets a password.
    Add(EducatorArgs),
    /// Print a new one-time link (valid 24 hours) to set an educator's password.
    Reset(EducatorArgs),
}

/// Options of `lectern educator add` and `reset`.
#[derive(Debug, Args)]
pub struct EducatorArgs {
    /// The educator's username (3–32 of a-z, 0-9, `.`, `_`, `-`).
    pub username: String,
    /// The name students and other educators see (default: the username).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// The address students and educators reach lectern at, for the printed link.
    #[arg(
        long,
        default_value = "http://127.0.0.1:3000",
        env = "LECTERN_BASE_URL"
    )]
    pub base_url: String,
}

/// Options of `lectern serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000", env = "LECTERN_ADDR")]
    pub addr: SocketAddr,
    /// Folder of lesson files (`*.toml`, searched recursively).
    #[arg(long, default_value = "lessons", env = "LECTERN_LESSONS")]
    pub lessons: PathBuf,
    /// Where attempts are kept: a SQLite database file (created if missing), or a
    /// `postgres://user:password@host:port/dbname` URL shared by several lectern instances.
    #[arg(
        long,
        default_value = "lectern.db",
        env = "LECTERN_DB",
        hide_env_values = true
    )]
    pub db: crate::store::Location,
    /// The token educators sign in with at /educator. When unset, a random one is generated at
    /// start and printed once in the log.
    #[arg(long, env = "LECTERN_EDUCATOR_TOKEN", hide_env_values = true)]
    pub educator_token: Option<String>,
    /// Quiz attempts one client address may start per minute (also the burst allowed at once);
    /// 0 turns the limit off.
    #[arg(long, default_value_t = 60, env = "LECTERN_STARTS_PER_MINUTE")]
    pub starts_per_minute: u32,
    /// Quiz submissions one client address may make per minute (also the burst allowed at
    /// once); 0 turns the limit off.
    #[arg(long, default_value_t = 240, env = "LECTERN_SUBMITS_PER_MINUTE")]
    pub submits_per_minute: u32,
    /// Quizzes one student session may have started and not submitted within a day, over all
    /// lessons; starting one more asks them to finish one first. 0 turns the limit off.
    #[arg(long, default_value_t = 20, env = "LECTERN_OPEN_ATTEMPTS_PER_SESSION")]
    pub open_attempts_per_session: u32,
    /// lectern is reached through an https proxy: mark cookies `Secure`.
    #[arg(long, env = "LECTERN_BEHIND_HTTPS")]
    pub behind_https: bool,
    /// Quizzes need an account: students join a class or sign in first (reading stays open
    /// to all).
    #[arg(long, env = "LECTERN_REQUIRE_SIGN_IN")]
    pub require_sign_in: bool,
}

/// Options of `lectern check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A folder of lesson files (searched recursively) or one lesson file.
    #[arg(default_value = "lessons")]
    pub path: PathBuf,
    /// Exit 1 when there are warnings too (for CI).
    #[arg(long)]
    pub deny_warnings: bool,
}
