#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// #[tracing::instrument] rewrites the body (and, for async fns, wraps it in a future): the
// check must survive it in either order.
#[tracing::instrument(skip(ctx))]
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
fn instrument_outside(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
#[tracing::instrument(skip(ctx))]
fn instrument_inside(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

#[tracing::instrument(skip(ctx))]
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
async fn async_outside(ctx: AppContext, key: String) -> Result<(), ApiError> {
    Ok(())
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
#[tracing::instrument(skip(ctx))]
async fn async_inside(ctx: AppContext, key: String) -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    assert!(instrument_outside(&ctx(Some("alice")), "k").is_ok());
    assert_eq!(instrument_outside(&ctx(Some("bob")), "k").unwrap_err().status(), 403);
    assert_eq!(instrument_inside(&ctx(Some("bob")), "k").unwrap_err().status(), 403);
    assert!(block_on(async_outside(ctx(Some("alice")), "k".into())).is_ok());
    assert_eq!(block_on(async_outside(ctx(Some("bob")), "k".into())).unwrap_err().status(), 403);
    assert_eq!(block_on(async_inside(ctx(Some("bob")), "k".into())).unwrap_err().status(), 403);
}
