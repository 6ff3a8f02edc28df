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

fn main() {
    assert_eq!(block_on(get_object(ctx(Some("alice")), "k".into())).unwrap(), "k");
    assert_eq!(block_on(get_object(ctx(Some("bob")), "k".into())).unwrap_err().status(), 403);
}
