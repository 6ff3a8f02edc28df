#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key..}")]
fn get_object(ctx: &AppContext, key: &str) -> Result<String, ApiError> {
    Ok(format!("object {key}"))
}

fn main() {
    assert_eq!(get_object(&ctx(Some("alice")), "a/b.jpg").unwrap(), "object a/b.jpg");
    assert_eq!(get_object(&ctx(Some("bob")), "a/b.jpg").unwrap_err().status(), 403);
    assert_eq!(get_object(&ctx(None), "a/b.jpg").unwrap_err().status(), 401);
}
