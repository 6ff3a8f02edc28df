// Shared by the trybuild cases and the runtime tests (`include!`d): a request context over a
// real Authorizer with a small directory.
//
// alice: may read objects of bucket `photos` over any key, start instances, and do anything
//        on her own home prefix `acs:oss:cn-hangzhou:123456789012:home/<user>/*`;
//        explicitly denied deleting anything in `photos/keep/*`.
// bob:   no policy.

use ram_core::authorizer::{Authorizer, Caller};
use ram_core::directory::{Change, Directory, PolicyTarget};
use ram_core::{Denied, RequestContext, RequireContext};

pub const POLICY: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":["oss:GetObject","oss:DeleteObject"],"Resource":"acs:oss:cn-hangzhou:123456789012:photos/*"},
  {"Effect":"Allow","Action":"ecs:StartInstance","Resource":"acs:ecs:cn-hangzhou:123456789012:instance/*"},
  {"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:cn-hangzhou:123456789012:home/alice/*"},
  {"Effect":"Deny","Action":"oss:DeleteObject","Resource":"acs:oss:cn-hangzhou:123456789012:photos/keep/*"}
]}"#;

pub fn authorizer() -> Authorizer {
    let auth = Authorizer::new(Directory::new("123456789012").expect("account id"));
    auth.apply(&[
        Change::CreateUser { name: "alice".into(), display_name: None },
        Change::CreateUser { name: "bob".into(), display_name: None },
        Change::CreatePolicy { name: "Photos".into(), document: POLICY.into(), description: String::new() },
        Change::AttachPolicy { target: PolicyTarget::User("alice".into()), policy_type: None, policy: "Photos".into() },
    ])
    .expect("directory");
    auth
}

pub struct AppContext {
    pub auth: std::sync::Arc<Authorizer>,
    pub user: Option<String>,
    pub request: RequestContext,
}

impl RequireContext for AppContext {
    fn authorizer(&self) -> &Authorizer {
        &self.auth
    }
    fn caller(&self) -> Option<Caller<'_>> {
        self.user.as_deref().map(Caller::user)
    }
    fn request_context(&self) -> &RequestContext {
        &self.request
    }
    fn region(&self) -> &str {
        "cn-hangzhou"
    }
    fn account(&self) -> &str {
        "123456789012"
    }
}

pub fn ctx(user: Option<&str>) -> AppContext {
    AppContext {
        auth: std::sync::Arc::new(authorizer()),
        user: user.map(str::to_owned),
        request: RequestContext::new(),
    }
}

#[derive(Debug)]
pub enum ApiError {
    Denied(Denied),
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        ApiError::Denied(d)
    }
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Denied(d) => d.status(),
        }
    }
}

/// Drives a future that never waits on anything external (enough for these tests).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// An extractor shaped like axum's `Path`, to test pattern parameters without axum.
pub struct Path<T>(pub T);
