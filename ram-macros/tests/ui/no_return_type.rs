#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}")]
fn get(ctx: &AppContext, bucket: &str) {}

fn main() {}
