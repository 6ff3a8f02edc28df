#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// The context must implement ram_core::RequireContext.
struct Plain;

#[require(action = "oss:GetObject", resource = "*")]
fn get(ctx: &Plain) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
