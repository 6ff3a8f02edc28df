#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

trait Store {
    async fn fetch(&self, ctx: &AppContext, key: &str) -> Result<String, ApiError>;
    fn remove(&self, ctx: &AppContext, key: &str) -> Result<(), ApiError>;
}

struct Memory;

impl Store for Memory {
    #[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key..}")]
    async fn fetch(&self, ctx: &AppContext, key: &str) -> Result<String, ApiError> {
        Ok(key.to_owned())
    }

    #[require(action = "oss:DeleteObject", resource = "acs:oss:{$region}:{$account}:photos/{key..}")]
    fn remove(&self, ctx: &AppContext, key: &str) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {
    let alice = ctx(Some("alice"));
    assert_eq!(block_on(Memory.fetch(&alice, "a/b")).unwrap(), "a/b");
    assert!(Memory.remove(&alice, "a/b").is_ok());
    // Explicit deny wins.
    assert_eq!(Memory.remove(&alice, "keep/b").unwrap_err().status(), 403);
}
