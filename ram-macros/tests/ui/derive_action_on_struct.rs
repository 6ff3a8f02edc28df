#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

use ram_core::Action;

#[derive(Action)]
#[action(service = "ecs")]
struct StartInstance;

fn main() {}
