#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

#[derive(Debug)]
struct MyError;

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}")]
fn get(ctx: &AppContext, bucket: &str) -> Result<(), MyError> {
    Ok(())
}

fn main() {}
