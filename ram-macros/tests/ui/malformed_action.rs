#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

#[require(action = "GetObject", resource = "*")]
fn get(ctx: &AppContext) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
