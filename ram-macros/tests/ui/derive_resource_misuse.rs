#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

use ram_core::Resource;

// No arn key.
#[derive(Resource)]
struct NoArn {
    id: String,
}

// A context value has no meaning without a request.
#[derive(Resource)]
#[resource(arn = "acs:ecs:{$region}:1:instance/{id}")]
struct WithVar {
    id: String,
}

fn main() {}
