#![allow(dead_code, unused_imports, unused_variables)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

use ram_core::Action;

// No service; a variant with fields; a wildcard in a renamed action.
#[derive(Action)]
enum EcsAction {
    StartInstance(u32),
    #[action(name = "Describe*")]
    Describe,
}

#[derive(Action)]
#[action(servce = "ecs")]
enum Other {
    A,
}

fn main() {}
