//! Annotated fns against a real `Authorizer` with a small directory: allow, explicit and
//! implicit deny, unauthenticated, several `#[require]`, `on_deny`, typed actions and
//! resources, and an audited context.

#![allow(dead_code)]

mod support {
    include!("support/ctx.rs");
}

use std::cell::Cell;
use std::sync::Arc;

use ram_core::authorizer::{AuthError, Authorizer, Caller};
use ram_core::guard::{DeniedKind, authorize_with};
use ram_core::{Action, Decision, Denied, RequestContext, RequireContext, Resource, require};
use support::{ApiError, AppContext, Path, block_on, ctx};

fn denied(r: Result<impl std::fmt::Debug, ApiError>) -> Denied {
    match r {
        Err(ApiError::Denied(d)) => d,
        Ok(v) => panic!("expected a denial, got {v:?}"),
    }
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
async fn get_object(ctx: AppContext, Path((bucket, key)): Path<(String, String)>) -> Result<String, ApiError> {
    Ok(format!("{bucket}/{key}"))
}

#[require(
    action = "oss:DeleteObject",
    resource = "acs:oss:{$region}:{$account}:photos/{key..}"
)]
fn delete_object(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn allows_what_the_policy_allows() {
    let r = block_on(get_object(
        ctx(Some("alice")),
        Path(("photos".into(), "2024/a.jpg".into())),
    ));
    assert_eq!(r.unwrap(), "photos/2024/a.jpg");
}

#[test]
fn implicit_deny_is_forbidden() {
    let d = denied(block_on(get_object(
        ctx(Some("bob")),
        Path(("photos".into(), "a".into())),
    )));
    assert_eq!(d.kind(), &DeniedKind::Forbidden);
    assert_eq!(d.status(), 403);
    assert_eq!(d.decision(), Some(Decision::ImplicitDeny));
    assert_eq!(d.action(), "oss:GetObject");
    assert_eq!(d.resource(), "acs:oss:cn-hangzhou:123456789012:photos/a");
    assert!(d.statement().is_none());
}

#[test]
fn explicit_deny_names_the_statement() {
    let d = denied(delete_object(&ctx(Some("alice")), "keep/x.jpg"));
    assert_eq!(d.decision(), Some(Decision::ExplicitDeny));
    let s = d.statement().expect("deciding statement");
    assert_eq!((&*s.policy, s.statement), ("Photos", 3));
    assert_eq!(
        d.to_string(),
        "forbidden: oss:DeleteObject on acs:oss:cn-hangzhou:123456789012:photos/keep/x.jpg (ExplicitDeny) by Photos v1 statement 3 (user)"
    );
    assert!(delete_object(&ctx(Some("alice")), "other/x.jpg").is_ok());
}

#[test]
fn no_caller_is_unauthenticated() {
    let d = denied(delete_object(&ctx(None), "a"));
    assert!(d.is_unauthenticated());
    assert_eq!((d.status(), d.decision()), (401, None));
}

#[test]
fn unknown_user_is_unauthenticated_with_the_reason() {
    let d = denied(delete_object(&ctx(Some("mallory")), "a"));
    assert_eq!(d.status(), 401);
    assert_eq!(d.auth_error(), Some(&AuthError::UnknownUser("mallory".into())));
}

#[test]
fn placeholders_cannot_inject() {
    // `photos/*` would be allowed; a bucket `photos/x` or `*` must not reach it.
    for bucket in ["photos/x", "*", "photos:", "photos?"] {
        let d = denied(block_on(get_object(
            ctx(Some("alice")),
            Path((bucket.into(), "k".into())),
        )));
        assert_eq!(d.decision(), Some(Decision::ImplicitDeny), "{bucket}");
        let tail = d
            .resource()
            .strip_prefix("acs:oss:cn-hangzhou:123456789012:")
            .expect("prefix");
        assert!(!tail.contains(['*', '?', ':']), "{tail}");
        assert_eq!(tail.matches('/').count(), 1, "{tail}");
    }
    // `{key..}` keeps `/` but escapes wildcards: `photos/keep/*` is not `photos/keep/a`.
    let d = denied(delete_object(&ctx(Some("alice")), "keep/*"));
    assert_eq!(d.resource(), "acs:oss:cn-hangzhou:123456789012:photos/keep/%2A");
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
#[require(
    action = "oss:PutObject",
    resource = "acs:oss:{$region}:{$account}:home/{$user}/{key}"
)]
fn copy_to_home(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn several_requires_must_all_pass() {
    assert!(copy_to_home(&ctx(Some("alice")), "a.jpg").is_ok());
    let d = denied(copy_to_home(&ctx(Some("bob")), "a.jpg"));
    assert_eq!(d.status(), 403);
}

#[test]
fn user_variable_without_a_caller_is_unauthenticated() {
    // `{$user}` has no value, but the missing caller is what the client must hear about.
    let root = AppContext {
        auth: ctx(None).auth,
        user: None,
        request: RequestContext::new(),
    };
    let d = denied(copy_to_home(&root, "a.jpg"));
    assert_eq!(d.status(), 401);
}

fn as_status(d: Denied) -> u16 {
    d.status()
}

#[require(action = "oss:GetObject", resource = "*", on_deny = as_status)]
fn status_only(ctx: &AppContext) -> u16 {
    200
}

#[test]
fn on_deny_shapes_the_denial() {
    assert_eq!(status_only(&ctx(Some("alice"))), 403); // Resource `*` is not `photos/*`.
    assert_eq!(status_only(&ctx(None)), 401);
}

#[derive(Action, Clone, Copy, Debug, PartialEq, Eq)]
#[action(service = "ecs")]
enum EcsAction {
    StartInstance,
    StopInstance,
}

#[derive(Resource)]
#[resource(arn = "acs:ecs:{region}:{account}:instance/{id}")]
struct Instance {
    region: String,
    account: u64,
    id: String,
}

#[require(action = action, resource = instance)]
fn instance_op(ctx: &AppContext, action: EcsAction, instance: &Instance) -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn typed_actions_and_resources() {
    let i = Instance {
        region: "cn-hangzhou".into(),
        account: 123456789012,
        id: "i-1".into(),
    };
    assert!(instance_op(&ctx(Some("alice")), EcsAction::StartInstance, &i).is_ok());
    assert_eq!(
        denied(instance_op(&ctx(Some("alice")), EcsAction::StopInstance, &i)).status(),
        403
    );
    let hostile = Instance {
        id: "i-1/../*".into(),
        ..i
    };
    assert_eq!(
        hostile.arn(),
        "acs:ecs:cn-hangzhou:123456789012:instance/i-1%2F..%2F%2A"
    );
    assert_eq!(
        EcsAction::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        ["ecs:StartInstance", "ecs:StopInstance"]
    );
}

/// A context that logs one audit line per decision, as a web layer would.
struct AuditedContext {
    inner: AppContext,
    log: Cell<Vec<String>>,
}

impl RequireContext for AuditedContext {
    fn authorizer(&self) -> &Authorizer {
        self.inner.authorizer()
    }
    fn caller(&self) -> Option<Caller<'_>> {
        self.inner.caller()
    }
    fn request_context(&self) -> &RequestContext {
        self.inner.request_context()
    }
    fn region(&self) -> &str {
        "cn-hangzhou"
    }
    fn account(&self) -> &str {
        "123456789012"
    }
    fn authorize(&self, action: &str, resource: &str) -> Result<(), Denied> {
        let r = authorize_with(
            self.authorizer(),
            self.caller(),
            self.request_context(),
            action,
            resource,
        );
        let mut log = self.log.take();
        log.push(format!(
            "{action} {resource} {}",
            if r.is_ok() { "allow" } else { "deny" }
        ));
        self.log.set(log);
        r
    }
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:photos/{key}")]
fn audited(ctx: &AuditedContext, key: &str) -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn authorize_can_be_overridden_for_audit() {
    let c = AuditedContext {
        inner: ctx(Some("alice")),
        log: Cell::new(Vec::new()),
    };
    assert!(audited(&c, "a").is_ok());
    let c2 = AuditedContext {
        inner: AppContext {
            auth: Arc::clone(&c.inner.auth),
            user: Some("bob".into()),
            request: RequestContext::new(),
        },
        log: Cell::new(Vec::new()),
    };
    assert!(audited(&c2, "a").is_err());
    assert_eq!(
        c.log.take(),
        ["oss:GetObject acs:oss:cn-hangzhou:123456789012:photos/a allow"]
    );
    assert_eq!(
        c2.log.take(),
        ["oss:GetObject acs:oss:cn-hangzhou:123456789012:photos/a deny"]
    );
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
fn probe(ctx: &AppContext, bucket: &str, key: &str) -> Result<(), ApiError> {
    Ok(())
}

proptest::proptest! {
    /// Through the macro: whatever the request values, the ARN keeps its shape. `{bucket}`
    /// adds no `*`, `?`, `:` or `/`; `{key..}` no `*`, `?` or `:`.
    #[test]
    fn annotated_arns_cannot_be_injected(bucket in ".*", key in ".*") {
        let c = ctx(Some("bob"));
        let d = denied(probe(&c, &bucket, &key));
        let tail = d.resource().strip_prefix("acs:oss:cn-hangzhou:123456789012:").expect("prefix");
        let (b, k) = tail.split_once('/').expect("bucket/key");
        proptest::prop_assert!(!b.contains(['*', '?', ':', '/']), "{}", b);
        proptest::prop_assert!(!k.contains(['*', '?', ':']), "{}", k);
        proptest::prop_assert_eq!(k.matches('/').count(), key.matches('/').count());
    }
}
