#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use std::fmt::Display;

use ram_core::{RequireContext, require};

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn read<'a, C, I>(ctx: &'a C, id: I) -> Result<String, ApiError>
where
    C: RequireContext + ?Sized,
    I: Display + Clone,
{
    Ok(id.to_string())
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn read_impl(ctx: &impl RequireContext, id: impl Display) -> Result<String, ApiError> {
    Ok(id.to_string())
}

fn main() {
    assert_eq!(read(&ctx(Some("alice")), 42u32).unwrap(), "42");
    assert_eq!(read_impl(&ctx(Some("bob")), 42u32).unwrap_err().status(), 403);
    assert_eq!(read_arc(std::sync::Arc::new(ctx(Some("alice"))), 7).unwrap(), 7);
    assert_eq!(read_dyn(Box::new(ctx(Some("bob"))), 7).unwrap_err().status(), 403);
}

// Pointers to a context are contexts (an axum `State(Arc<AppState>)`, a `Box<dyn ...>`).
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn read_arc(ctx: std::sync::Arc<AppContext>, id: u32) -> Result<u32, ApiError> {
    Ok(id)
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn read_dyn(ctx: Box<dyn RequireContext>, id: u32) -> Result<u32, ApiError> {
    Ok(id)
}
