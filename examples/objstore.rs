//! The object-store example server: every handler is guarded by `#[require]`.
//!
//! ```text
//! cargo run -p ram-examples --example objstore [ADDR [STATE_FILE]]
//! ```
//!
//! Listens on `ADDR` (default 127.0.0.1:8080). With `STATE_FILE`, the directory lives in that
//! state file (created with the demo directory if absent, locked while the server runs), and
//! console logins are committed through it; without, in memory. Sign requests with the demo
//! keys of `ram_examples::objstore` (see the README); audit events go to stderr.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use ram_core::authorizer::Authorizer;
use ram_core::directory::Directory;
use ram_core::store::{FileStore, Store};
use ram_examples::objstore::{ACCOUNT, ServerConfig, app_with_login, demo_authorizer, demo_changes, serve};
use ram_sts::key::{Algorithm, KeyRing};
use ram_sts::{Sts, Verifier};
use ram_web::Authenticator;
use ram_web::session::ConsoleLogin;

/// The authorizer and the login, from the state file (created if absent) or in memory.
fn load(state: Option<&Path>) -> Result<(Arc<Authorizer>, ConsoleLogin), Box<dyn Error>> {
    let Some(path) = state else {
        let authorizer = demo_authorizer()?;
        return Ok((authorizer.clone(), ConsoleLogin::new(authorizer)));
    };
    let (store, directory) = if path.exists() {
        let mut store = FileStore::open(path)?;
        let state = store.load()?;
        (store, state.directory)
    } else {
        let mut directory = Directory::new(ACCOUNT)?;
        let changes = demo_changes(&directory)?;
        directory.apply_at(&changes, jiff::Timestamp::now())?;
        (FileStore::create(path, &directory)?, directory)
    };
    let authorizer = Arc::new(Authorizer::new(directory));
    let login = ConsoleLogin::new(authorizer.clone()).with_store(Arc::new(Mutex::new(store)));
    Ok((authorizer, login))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // One line per authorization decision and per console login (target `ram::audit`).
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let state = args.next();
    let (authorizer, login) = load(state.as_deref().map(Path::new))?;
    // Plain HTTP on the development machine: the console cookie cannot be `Secure` here.
    // Temporary credentials from `POST /-/sts/{role}`, signed with keys drawn at start (they
    // end with the process); the authenticator verifies their tokens with ram-sts's verifier.
    let keys = KeyRing::generate(Algorithm::HmacSha256, jiff::Timestamp::now())?;
    let sts = Arc::new(Sts::new(authorizer.clone(), keys));
    let verifier = Arc::new(Verifier::new((*sts.verifier().keys()).clone()));
    let config = ServerConfig {
        secure_cookie: false,
        sts: Some(sts),
        ..ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("objstore listening on http://{}", listener.local_addr()?);
    let authenticator = Authenticator::new().with_token_verifier(verifier);
    let app = app_with_login(authorizer, Arc::new(authenticator), config, login);
    serve(listener, app).await?;
    Ok(())
}
