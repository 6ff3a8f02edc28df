#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
async fn get_object(ctx: AppContext, key: String) -> Result<String, ApiError> {
    std::future::ready(()).await;
    Ok(key)
}

// axum needs handler futures to be `Send`: the check holds nothing across an `.await`.
fn assert_send<T: Send>(_: &T) {}

fn main() {
    let fut = get_object(ctx(Some("alice")), "k".into());
    assert_send(&fut);
    drop(fut);
    assert_eq!(block_on(get_object(ctx(Some("alice")), "k".into())).unwrap(), "k");
    assert_eq!(block_on(get_object(ctx(Some("bob")), "k".into())).unwrap_err().status(), 403);
}
