#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::{Denied, require};

#[derive(Debug, PartialEq)]
enum Response {
    Ok(String),
    Status(u16),
}

fn refuse(denied: Denied) -> Response {
    Response::Status(denied.status())
}

// A fn that does not return a Result names what a denial becomes.
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}", on_deny = refuse)]
fn get(ctx: &AppContext, key: &str) -> Response {
    Response::Ok(key.to_owned())
}

// `{$user}`: alice's home prefix.
#[require(action = "oss:PutObject", resource = "acs:oss:{$region}:{$account}:home/{$user}/{key..}", on_deny = refuse)]
fn put_home(ctx: &AppContext, key: &str) -> Response {
    Response::Ok(key.to_owned())
}

fn main() {
    assert_eq!(get(&ctx(Some("alice")), "k"), Response::Ok("k".into()));
    assert_eq!(get(&ctx(None), "k"), Response::Status(401));
    assert_eq!(put_home(&ctx(Some("alice")), "a/b"), Response::Ok("a/b".into()));
    assert_eq!(put_home(&ctx(Some("bob")), "a/b"), Response::Status(403));
}
