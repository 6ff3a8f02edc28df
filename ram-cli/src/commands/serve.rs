//! `ram --state FILE serve --listen 127.0.0.1:PORT [--enforcement strict|audit|off]`: a local
//! RAM and STS endpoint for Alibaba Cloud's SDKs (crate `ram-server`).
//!
//! Holds the state file's lock for its lifetime (other writers get `StateLocked`; read-only
//! commands still work). Once bound it prints one line on stdout and flushes it, so a script
//! can wait for it and learn the port (`--listen 127.0.0.1:0` picks a free one):
//! `listening on 127.0.0.1:PORT`, or with `--json` `{"Listen":"127.0.0.1:PORT"}`.
//! Logs (audit-mode denials, server errors) go to stderr. With `--now`, the server's clock
//! starts at that instant and runs on.

use std::io::Write;
use std::net::SocketAddr;

use clap::Args;
use ram_core::store::FileStore;
use ram_server::{Config, Enforcement, ServeError, Server};

use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, store_error};

/// Arguments of `ram serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port, printed once bound).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// What a denial does: strict refuses (NoPermission), audit logs it and allows, off
    /// does not evaluate.
    #[arg(long, value_name = "MODE", default_value = "strict", value_parser = parse_enforcement)]
    pub enforcement: Enforcement,
    /// The HostId of error bodies.
    #[arg(long, value_name = "NAME", default_value = "ram.aliyuncs.com")]
    pub host_id: String,
    /// Print the API actions served, as `{"<Version>":[actions..]}`, and exit.
    #[arg(long)]
    pub list_actions: bool,
}

fn parse_enforcement(s: &str) -> Result<Enforcement, String> {
    s.parse()
}

fn serve_error(e: ServeError) -> CliError {
    match e {
        ServeError::Store(s) => store_error(s),
        ServeError::Io(io) => CliError::ram("ServeFailed", io.to_string()),
        other => CliError::ram("ServeFailed", other.to_string()),
    }
}

/// Runs `ram serve` until the process is stopped.
pub fn run(args: &ServeArgs, global: &GlobalArgs) -> Result<(), CliError> {
    if args.list_actions {
        let actions = serde_json::json!({
            ram_server::RAM_VERSION: ram_server::ram::ACTIONS,
            ram_server::STS_VERSION: ram_server::sts::ACTIONS,
        });
        println!("{actions}");
        return Ok(());
    }
    // `--now`: the server's clock starts at that instant and runs on (an offset from the
    // system clock), for tests of expiry and time windows.
    let clock_offset = match &global.now {
        None => jiff::SignedDuration::ZERO,
        Some(_) => state::now(global)?.duration_since(jiff::Timestamp::now()),
    };
    // Taken before the runtime starts: a locked state file fails at once.
    let store = FileStore::open(&global.state).map_err(store_error)?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| CliError::ram("ServeFailed", format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let config = Config {
            enforcement: args.enforcement,
            host_id: args.host_id.clone(),
            clock_offset,
        };
        let server = Server::bind(args.listen, store, config).await.map_err(serve_error)?;
        let addr = server.local_addr();
        let line = if global.json {
            serde_json::json!({ "Listen": addr.to_string() }).to_string()
        } else {
            format!("listening on {addr}")
        };
        let mut out = std::io::stdout().lock();
        // A script waits for this line; a closed stdout must not stop the server.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        drop(out);
        server.run().await.map_err(serve_error)
    })
}
