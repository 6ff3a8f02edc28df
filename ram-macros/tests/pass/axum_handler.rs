#![allow(dead_code)]
mod support {
    include!("../support/ctx.rs");
}
use support::*;

use ram_core::require;

// Pattern parameters: names bound inside a parameter pattern fill placeholders.
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
async fn get_object(ctx: AppContext, Path((bucket, key)): Path<(String, String)>) -> Result<Vec<u8>, ApiError> {
    Ok(format!("{bucket}/{key}").into_bytes())
}

struct Query {
    prefix: String,
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{prefix}")]
fn list(Query { prefix }: Query, ctx: &AppContext) -> Result<String, ApiError> {
    Ok(prefix)
}

fn main() {
    let ok = block_on(get_object(ctx(Some("alice")), Path(("photos".into(), "2024/a.jpg".into()))));
    assert_eq!(ok.unwrap(), b"photos/2024/a.jpg");
    // The bucket cannot smuggle a `/` into the ARN: `photos%2Fx` is not the `photos` bucket.
    let injected = block_on(get_object(ctx(Some("alice")), Path(("photos/x".into(), "a".into()))));
    assert_eq!(injected.unwrap_err().status(), 403);
    assert_eq!(list(Query { prefix: "p".into() }, &ctx(Some("alice"))).unwrap(), "p");
}
