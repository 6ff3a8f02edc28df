#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

use ram_core::Resource;

#[derive(Resource)]
#[resource(arn = "acs:ecs:{region}:{account}:instance/{idd}")]
struct Instance {
    region: String,
    account: String,
    id: String,
}

fn main() {}
