//! The object-store example server: every handler is guarded by `#[require]`.
//!
//! Run with `cargo run -p ram-examples --example objstore` (listens on 127.0.0.1:8080, or
//! the address given as the first argument), then sign requests with the demo keys in
//! `ram_examples::objstore` (see the README).

use std::error::Error;
use std::sync::Arc;

use ram_examples::objstore::{ServerConfig, app, demo_authorizer, serve};
use ram_web::Authenticator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // One line per authorization decision and per console login (target `ram::audit`).
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let authorizer = demo_authorizer()?;
    // Plain HTTP on the development machine: the console cookie cannot be `Secure` here.
    let config = ServerConfig {
        secure_cookie: false,
        ..ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("objstore listening on http://{}", listener.local_addr()?);
    serve(listener, app(authorizer, Arc::new(Authenticator::new()), config)).await?;
    Ok(())
}
