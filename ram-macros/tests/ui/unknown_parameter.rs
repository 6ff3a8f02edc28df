#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{buckt}/{key..}")]
async fn get(ctx: AppContext, Path((bucket, key)): Path<(String, String)>) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
