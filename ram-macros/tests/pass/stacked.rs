#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// An attribute that rewrites nothing but must keep working next to #[require].
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
#[inline]
#[require(action = "ecs:StartInstance", resource = "acs:ecs:{$region}:{$account}:instance/{key}")]
#[must_use]
fn both(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
#[require(action = "oss:PutObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
fn read_and_write(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    assert!(both(&ctx(Some("alice")), "i-1").is_ok());
    // Every #[require] must pass: alice may read but not write.
    assert_eq!(read_and_write(&ctx(Some("alice")), "k").unwrap_err().status(), 403);
}
