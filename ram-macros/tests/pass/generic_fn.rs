#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use std::fmt::Display;

use ram_core::{RequireContext, require};

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn read<'a, C, I>(ctx: &'a C, id: I) -> Result<String, ApiError>
where
    C: RequireContext + ?Sized,
    I: Display + Clone,
{
    Ok(id.to_string())
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{id}")]
fn read_impl(ctx: &impl RequireContext, id: impl Display) -> Result<String, ApiError> {
    Ok(id.to_string())
}

fn main() {
    assert_eq!(read(&ctx(Some("alice")), 42u32).unwrap(), "42");
    assert_eq!(read_impl(&ctx(Some("bob")), 42u32).unwrap_err().status(), 403);
}
