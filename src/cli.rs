//! The command line: `lectern serve` (the default) and `lectern check`.

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
    /// Validate lesson files and print every problem as `path:line:col: message`.
    ///
    /// Exits 0 with a one-line summary when every file is valid, 1 when any is not.
    Check(CheckArgs),
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
    /// SQLite database file for attempts; created if missing.
    #[arg(long, default_value = "lectern.db", env = "LECTERN_DB")]
    pub db: PathBuf,
    /// lectern is reached through an https proxy: mark cookies `Secure`.
    #[arg(long, env = "LECTERN_BEHIND_HTTPS")]
    pub behind_https: bool,
}

/// Options of `lectern check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A folder of lesson files (searched recursively) or one lesson file.
    #[arg(default_value = "lessons")]
    pub path: PathBuf,
}
