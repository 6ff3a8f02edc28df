#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

struct Service {
    ctx: AppContext,
}

impl Service {
    #[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{name}", ctx = self.ctx)]
    fn read(&self, name: &str) -> Result<usize, ApiError> {
        Ok(name.len())
    }

    #[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{name}", ctx = &self.ctx)]
    fn read_mut(&mut self, name: &str) -> Result<usize, ApiError> {
        Ok(name.len() * 2)
    }

    // A parameter typed `...Context` is the context when none is named `ctx`.
    #[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{name}")]
    fn read_with(&self, request: &AppContext, name: &str) -> Result<usize, ApiError> {
        Ok(name.len() * 3)
    }
}

fn main() {
    let mut s = Service { ctx: ctx(Some("alice")) };
    assert_eq!(s.read("abc").unwrap(), 3);
    assert_eq!(s.read_mut("abc").unwrap(), 6);
    let bob = ctx(Some("bob"));
    assert_eq!(s.read_with(&bob, "abc").unwrap_err().status(), 403);
}
