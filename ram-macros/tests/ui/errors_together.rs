#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// Three problems, reported in one build.
#[require(actoin = "oss:GetObject", action = "oss:Get*", resource = "acs:oss:{$region}:{$account}:{bucket}/{ky..}")]
fn get(ctx: &AppContext, bucket: &str, key: &str) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
