#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// A placeholder's value must be text (`AsRef<str>`) or `Display`.
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn get(ctx: &AppContext, id: Vec<u8>) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
