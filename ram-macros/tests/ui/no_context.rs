#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// Neither named `ctx` nor of a type whose name ends in `Context`.
type Shared = AppContext;

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}")]
fn get(state: &Shared, bucket: &str) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
