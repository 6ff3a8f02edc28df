//! The run-time side of `#[require]` (crate `ram-macros`, re-exported as `ram_core::require`
//! behind the `macros` feature): what an annotated handler checks against, and how it says no.
//!
//! - [`RequireContext`]: what the macro needs from a request (the [`Authorizer`], the
//!   authenticated [`Caller`], the [`RequestContext`] and the `$` variables of resource
//!   templates). A web framework's request context implements it; so can a test's.
//! - [`Denied`]: why a check failed, unauthenticated (401) or forbidden (403), with the
//!   decision and the deciding statement for the logs. It never carries a secret.
//! - [`Resource`] and [`Action`]: typed resources and actions (`#[derive(Resource)]`,
//!   `#[derive(Action)]`).
//! - [`push_segment`] and [`push_path`]: the escaping of `{name}` and `{name..}` placeholders,
//!   so that a value taken from a request cannot change the shape of an ARN.
//!
//! ```
//! use ram_core::authorizer::{Authorizer, Caller};
//! use ram_core::directory::{Change, Directory, PolicyTarget};
//! use ram_core::guard::{Denied, RequireContext};
//! use ram_core::RequestContext;
//!
//! struct Ctx { auth: Authorizer, user: Option<String>, request: RequestContext }
//!
//! impl RequireContext for Ctx {
//!     fn authorizer(&self) -> &Authorizer { &self.auth }
//!     fn caller(&self) -> Option<Caller<'_>> { self.user.as_deref().map(Caller::user) }
//!     fn request_context(&self) -> &RequestContext { &self.request }
//!     fn region(&self) -> &str { "cn-hangzhou" }
//!     fn account(&self) -> &str { "123456789012" }
//! }
//!
//! let auth = Authorizer::new(Directory::new("123456789012")?);
//! auth.apply(&[
//!     Change::CreateUser { name: "alice".into(), display_name: None },
//!     Change::AttachPolicy { target: PolicyTarget::User("alice".into()), policy_type: None, policy: "AliyunOSSReadOnlyAccess".into() },
//! ])?;
//! let ctx = Ctx { auth, user: Some("alice".into()), request: RequestContext::new() };
//! assert!(ctx.authorize("oss:GetObject", "acs:oss:cn-hangzhou:123456789012:b/k").is_ok());
//! let denied: Denied = ctx.authorize("oss:PutObject", "acs:oss:cn-hangzhou:123456789012:b/k").unwrap_err();
//! assert_eq!(denied.status(), 403);
//! # Ok::<(), ram_core::directory::DirectoryError>(())
//! ```

use std::fmt;

use crate::authorizer::{AuthError, Authorizer, Caller, Principal};
use crate::context::RequestContext;
use crate::decision::{Decision, MatchedStatement};
use crate::policy_set::Request;

/// What `#[require]` needs from the request it guards.
///
/// Implement it on the request context of a web framework (or on anything a test builds).
/// The macro finds the context as the parameter named `ctx`, the parameter whose type's name
/// ends in `Context`, or the expression given as `ctx = <expr>`; it borrows it, so `T`, `&T`
/// and `&mut T` parameters all work (`&T` implements the trait when `T` does).
///
/// ```
/// use ram_core::authorizer::{Authorizer, Caller};
/// use ram_core::guard::RequireContext;
/// use ram_core::RequestContext;
///
/// struct AppContext<'a> { auth: &'a Authorizer, user: &'a str, request: RequestContext }
///
/// impl RequireContext for AppContext<'_> {
///     fn authorizer(&self) -> &Authorizer { self.auth }
///     fn caller(&self) -> Option<Caller<'_>> { Some(Caller::user(self.user)) }
///     fn request_context(&self) -> &RequestContext { &self.request }
///     fn region(&self) -> &str { "cn-shanghai" }
///     fn account(&self) -> &str { "123456789012" }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a RAM request context",
    label = "`#[require]` checks against this, so it must implement `ram_core::RequireContext`",
    note = "implement `ram_core::RequireContext` for it, or point `#[require]` at another value with `ctx = <expr>`"
)]
pub trait RequireContext {
    /// The authorizer that decides.
    fn authorizer(&self) -> &Authorizer;

    /// The authenticated caller, or `None` when the request carries no valid credentials
    /// (the check then fails as unauthenticated, 401, before anything is evaluated).
    fn caller(&self) -> Option<Caller<'_>>;

    /// The request's condition keys (`acs:SourceIp`, `acs:SecureTransport`, ...).
    fn request_context(&self) -> &RequestContext;

    /// `{$region}` in resource templates.
    fn region(&self) -> &str;

    /// `{$account}` in resource templates.
    fn account(&self) -> &str;

    /// `{$user}` in resource templates: by default the caller's RAM user name; `None` for
    /// the root and role sessions, whose checks against such a template then fail as
    /// forbidden (implicit deny): the resource cannot be named for them.
    fn user(&self) -> Option<&str> {
        match self.caller()?.principal {
            Principal::User(name) => Some(name),
            _ => None,
        }
    }

    /// Decides `action` on `resource` for this request. Override it to log one audit event
    /// per decision (call [`authorize_with`] inside); every `#[require]` check ends here.
    fn authorize(&self, action: &str, resource: &str) -> Result<(), Denied> {
        authorize_with(
            self.authorizer(),
            self.caller(),
            self.request_context(),
            action,
            resource,
        )
    }
}

/// Pointers to a context are contexts: `&T`, `&mut T`, `Box<T>`, `Rc<T>`, `Arc<T>` (an axum
/// `State(Arc<AppState>)` works as is).
macro_rules! forward_context {
    ($($ptr:ty),*) => {$(
        impl<T: RequireContext + ?Sized> RequireContext for $ptr {
            fn authorizer(&self) -> &Authorizer {
                (**self).authorizer()
            }
            fn caller(&self) -> Option<Caller<'_>> {
                (**self).caller()
            }
            fn request_context(&self) -> &RequestContext {
                (**self).request_context()
            }
            fn region(&self) -> &str {
                (**self).region()
            }
            fn account(&self) -> &str {
                (**self).account()
            }
            fn user(&self) -> Option<&str> {
                (**self).user()
            }
            fn authorize(&self, action: &str, resource: &str) -> Result<(), Denied> {
                (**self).authorize(action, resource)
            }
        }
    )*};
}

forward_context!(&T, &mut T, Box<T>, std::rc::Rc<T>, std::sync::Arc<T>);

/// The default decision procedure of [`RequireContext::authorize`]: no caller is
/// unauthenticated, a failed authentication (unknown user, inactive key, ...) too, anything
/// but `Allow` is forbidden. The allow path is one [`Authorizer::check`]; only a denial pays
/// for an explanation (its deciding statement, for the logs).
///
/// ```
/// use ram_core::authorizer::Authorizer;
/// use ram_core::directory::Directory;
/// use ram_core::guard::authorize_with;
/// use ram_core::RequestContext;
///
/// let auth = Authorizer::new(Directory::new("123456789012")?);
/// let denied = authorize_with(&auth, None, &RequestContext::new(), "oss:GetObject", "*").unwrap_err();
/// assert_eq!(denied.status(), 401);
/// # Ok::<(), ram_core::directory::DirectoryError>(())
/// ```
pub fn authorize_with(
    authorizer: &Authorizer,
    caller: Option<Caller<'_>>,
    context: &RequestContext,
    action: &str,
    resource: &str,
) -> Result<(), Denied> {
    let Some(caller) = caller else {
        return Err(Denied::unauthenticated(action, resource, None));
    };
    let req = Request::new(action, resource, context);
    match authorizer.check(&caller, &req) {
        Ok(Decision::Allow) => Ok(()),
        Ok(decision) => {
            // Cold path: explain to name the deciding statement. A concurrent change may make
            // the explanation disagree; the decision that was enforced is the one reported.
            let statement = authorizer
                .explain(&caller, &req)
                .ok()
                .filter(|e| e.decision == decision)
                .and_then(|e| e.matched.into_iter().next());
            Err(Denied::forbidden(action, resource, decision, statement))
        }
        Err(e) => Err(Denied::unauthenticated(action, resource, Some(e))),
    }
}

/// Why a denial happened: the caller is unknown (401) or not allowed (403).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeniedKind {
    /// No caller, or its credentials did not authenticate (HTTP 401).
    Unauthenticated,
    /// The caller is known and the decision is not `Allow` (HTTP 403).
    Forbidden,
}

/// A failed `#[require]` check (or [`RequireContext::authorize`]).
///
/// It carries what a log line needs (action, resource, decision, deciding statement, the
/// authentication failure) and nothing secret: no credential, no signature, no context value.
/// Turn it into the application's error with `From<Denied>`, which `#[require]` calls.
///
/// ```
/// use ram_core::guard::{Denied, DeniedKind};
/// use ram_core::Decision;
///
/// let d = Denied::forbidden("oss:GetObject", "acs:oss:*:1:b/k", Decision::ImplicitDeny, None);
/// assert_eq!((d.kind(), d.status(), d.decision()), (&DeniedKind::Forbidden, 403, Some(Decision::ImplicitDeny)));
/// assert_eq!(d.to_string(), "forbidden: oss:GetObject on acs:oss:*:1:b/k (ImplicitDeny)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    kind: DeniedKind,
    action: Box<str>,
    resource: Box<str>,
    decision: Option<Decision>,
    statement: Option<Box<MatchedStatement>>,
    auth_error: Option<AuthError>,
    unresolved: Option<&'static str>,
}

impl Denied {
    /// A caller that is missing or failed authentication (`error`).
    pub fn unauthenticated(action: &str, resource: &str, error: Option<AuthError>) -> Denied {
        Denied {
            kind: DeniedKind::Unauthenticated,
            action: action.into(),
            resource: resource.into(),
            decision: None,
            statement: None,
            auth_error: error,
            unresolved: None,
        }
    }

    /// A known caller that the policies do not allow.
    pub fn forbidden(action: &str, resource: &str, decision: Decision, statement: Option<MatchedStatement>) -> Denied {
        Denied {
            kind: DeniedKind::Forbidden,
            action: action.into(),
            resource: resource.into(),
            decision: Some(decision),
            statement: statement.map(Box::new),
            auth_error: None,
            unresolved: None,
        }
    }

    /// Unauthenticated or forbidden.
    pub fn kind(&self) -> &DeniedKind {
        &self.kind
    }

    /// Whether the caller was not authenticated (401).
    pub fn is_unauthenticated(&self) -> bool {
        self.kind == DeniedKind::Unauthenticated
    }

    /// The HTTP status that fits: 401 or 403.
    pub fn status(&self) -> u16 {
        match self.kind {
            DeniedKind::Unauthenticated => 401,
            DeniedKind::Forbidden => 403,
        }
    }

    /// The action that was checked.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource ARN that was checked (as built from the template).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The decision (`ExplicitDeny` or `ImplicitDeny`); `None` when unauthenticated.
    pub fn decision(&self) -> Option<Decision> {
        self.decision
    }

    /// The statement that denied (for an explicit deny), for the logs.
    pub fn statement(&self) -> Option<&MatchedStatement> {
        self.statement.as_deref()
    }

    /// Why authentication failed, when the authorizer refused the caller itself.
    pub fn auth_error(&self) -> Option<&AuthError> {
        self.auth_error.as_ref()
    }

    /// The `$` variable of the resource template that had no value for this caller (only
    /// `user`, for the root or a role session), which made the check an implicit deny.
    pub fn unresolved_variable(&self) -> Option<&'static str> {
        self.unresolved
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DeniedKind::Unauthenticated => write!(f, "unauthenticated: {} on {}", self.action, self.resource)?,
            DeniedKind::Forbidden => write!(f, "forbidden: {} on {}", self.action, self.resource)?,
        }
        if let Some(d) = self.decision {
            write!(f, " ({d})")?;
        }
        if let Some(s) = &self.statement {
            write!(
                f,
                " by {} {} statement {} ({})",
                s.policy, s.version, s.statement, s.source
            )?;
        }
        if let Some(e) = &self.auth_error {
            write!(f, ": {e}")?;
        }
        if let Some(v) = self.unresolved {
            write!(f, ": ${v} has no value for this caller")?;
        }
        Ok(())
    }
}

impl std::error::Error for Denied {}

/// A typed resource: something that knows its ARN. `#[require(resource = expr)]` accepts any
/// value of a type that implements it; `#[derive(Resource)]` writes the implementation.
///
/// `str` and `String` implement it as ARNs taken verbatim (no escaping): use a template to
/// put request values into an ARN.
///
/// ```
/// use ram_core::guard::{Resource, push_segment};
///
/// struct Bucket(String);
///
/// impl Resource for Bucket {
///     fn write_arn(&self, out: &mut String) {
///         out.push_str("acs:oss:*:123456789012:");
///         push_segment(out, &self.0);
///     }
/// }
/// assert_eq!(Bucket("a/b".into()).arn(), "acs:oss:*:123456789012:a%2Fb");
/// ```
pub trait Resource {
    /// Appends the ARN to `out`.
    fn write_arn(&self, out: &mut String);

    /// The ARN as a new string.
    fn arn(&self) -> String {
        let mut out = String::new();
        self.write_arn(&mut out);
        out
    }
}

impl Resource for str {
    fn write_arn(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Resource for String {
    fn write_arn(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: Resource + ?Sized> Resource for &T {
    fn write_arn(&self, out: &mut String) {
        (**self).write_arn(out);
    }
}

/// A typed action: `#[require(action = expr)]` accepts any value of a type that implements
/// it; `#[derive(Action)]` writes the implementation for an enum of one service's actions.
///
/// ```
/// use ram_core::guard::Action;
///
/// struct GetObject;
/// impl Action for GetObject {
///     fn as_str(&self) -> &'static str { "oss:GetObject" }
/// }
/// assert_eq!(GetObject.as_str(), "oss:GetObject");
/// ```
pub trait Action {
    /// `service:ActionName`.
    fn as_str(&self) -> &'static str;
}

impl<T: Action + ?Sized> Action for &T {
    fn as_str(&self) -> &'static str {
        (**self).as_str()
    }
}

/// The error of a derived `FromStr` for an action enum: the text names no action of it.
///
/// ```
/// use ram_core::guard::UnknownAction;
/// assert_eq!(UnknownAction::new("ecs:Nope").to_string(), "unknown action \"ecs:Nope\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAction(Box<str>);

impl UnknownAction {
    /// The error for `text`.
    pub fn new(text: &str) -> UnknownAction {
        UnknownAction(text.into())
    }

    /// The text that was not an action.
    pub fn text(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown action {:?}", &*self.0)
    }
}

impl std::error::Error for UnknownAction {}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `b` passes through a placeholder unescaped (RFC 3986 unreserved).
#[inline]
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[inline]
fn push_encoded(out: &mut String, s: &str, keep_slash: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        // Runs of safe bytes are copied at once. A non-empty run is ASCII, so both of its
        // ends are char boundaries; an empty one may start inside a multi-byte char (whose
        // bytes are escaped one by one), which `get` turns into nothing instead of a panic.
        if let Some(run) = s.get(start..i) {
            out.push_str(run);
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
        start = i + 1;
    }
    if let Some(run) = s.get(start..) {
        out.push_str(run);
    }
}

/// Appends `s` to `out` as a `{name}` placeholder does: every byte outside
/// `[A-Za-z0-9._~-]` becomes `%XX` (UTF-8 bytes, upper-case hex), so the value can add no
/// `*`, `?`, `:` or `/` to the ARN.
///
/// ```
/// let mut arn = String::from("acs:oss:*:1:");
/// ram_core::guard::push_segment(&mut arn, "a/b*c:é");
/// assert_eq!(arn, "acs:oss:*:1:a%2Fb%2Ac%3A%C3%A9");
/// ```
pub fn push_segment(out: &mut String, s: &str) {
    push_encoded(out, s, false);
}

/// Appends `s` to `out` as a `{name..}` placeholder does: like [`push_segment`] but `/`
/// stays, for object keys and paths.
///
/// ```
/// let mut arn = String::new();
/// ram_core::guard::push_path(&mut arn, "logs/2024/*.gz");
/// assert_eq!(arn, "logs/2024/%2A.gz");
/// ```
pub fn push_path(out: &mut String, s: &str) {
    push_encoded(out, s, true);
}

/// Machinery for the code `ram-macros` generates. Not a public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    use std::fmt;

    use super::{Action, Denied, RequireContext, Resource, push_encoded};
    use crate::decision::Decision;

    /// The `$` variables a template may name; the macro checks names at expansion time.
    #[derive(Clone, Copy, Debug)]
    pub enum Var {
        /// `$region`.
        Region,
        /// `$account`.
        Account,
        /// `$user`.
        User,
    }

    /// A resource ARN being built from a template.
    #[derive(Debug)]
    pub struct Arn {
        /// The text so far.
        pub buf: String,
        /// A `$` variable without a value.
        pub unresolved: Option<&'static str>,
    }

    impl Arn {
        /// An empty ARN with room for `cap` bytes.
        #[inline]
        pub fn with_capacity(cap: usize) -> Arn {
            Arn {
                buf: String::with_capacity(cap),
                unresolved: None,
            }
        }

        /// The resource `*`.
        #[inline]
        pub fn star() -> Arn {
            Arn {
                buf: String::from("*"),
                unresolved: None,
            }
        }

        /// The ARN of a typed resource.
        #[inline]
        pub fn of<R: Resource + ?Sized>(resource: &R) -> Arn {
            let mut arn = Arn::with_capacity(64);
            resource.write_arn(&mut arn.buf);
            arn
        }

        /// Literal template text.
        #[inline]
        pub fn lit(&mut self, s: &str) {
            self.buf.push_str(s);
        }

        /// A `{$name}` placeholder, escaped like `{name}`.
        #[inline]
        pub fn var(&mut self, ctx: &dyn RequireContext, var: Var) {
            let value = match var {
                Var::Region => Some(ctx.region()),
                Var::Account => Some(ctx.account()),
                Var::User => ctx.user(),
            };
            match value {
                Some(v) => push_encoded(&mut self.buf, v, false),
                None => self.unresolved = Some("user"),
            }
        }
    }

    /// Wraps a placeholder's value so that method resolution picks the fastest way to write
    /// it: [`PushStr`] for string-like values (found first, by value), else [`PushDisplay`]
    /// (found through an extra reference). Stable Rust's "autoref specialization".
    pub struct Wrap<'a, T: ?Sized>(pub &'a T);

    /// String-like values: escaped straight from their bytes.
    pub trait PushStr {
        /// Appends the escaped value.
        fn __ram_push(&self, out: &mut String, keep_slash: bool);
    }

    impl<T: AsRef<str> + ?Sized> PushStr for Wrap<'_, T> {
        #[inline]
        fn __ram_push(&self, out: &mut String, keep_slash: bool) {
            push_encoded(out, self.0.as_ref(), keep_slash);
        }
    }

    /// Any other `Display` value: formatted through an escaping writer.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot fill a resource template placeholder",
        label = "a placeholder needs a value that implements `Display` or `AsRef<str>`"
    )]
    pub trait PushDisplay {
        /// Appends the escaped value.
        fn __ram_push(&self, out: &mut String, keep_slash: bool);
    }

    impl<T: fmt::Display + ?Sized> PushDisplay for &Wrap<'_, T> {
        #[inline]
        fn __ram_push(&self, out: &mut String, keep_slash: bool) {
            struct Escape<'a> {
                out: &'a mut String,
                keep_slash: bool,
            }
            impl fmt::Write for Escape<'_> {
                fn write_str(&mut self, s: &str) -> fmt::Result {
                    push_encoded(self.out, s, self.keep_slash);
                    Ok(())
                }
            }
            // Writing into a String cannot fail; a Display impl that reports an error
            // leaves what it wrote so far, which is still escaped.
            let _ = fmt::write(&mut Escape { out, keep_slash }, format_args!("{}", self.0));
        }
    }

    /// The context as a trait object: the one place its type is checked, so that a context
    /// that is not one gets one error, pointing at it. (One indirect call per check.)
    #[inline]
    pub fn context<C: RequireContext>(ctx: &C) -> &dyn RequireContext {
        ctx
    }

    /// The action string of a typed action.
    #[inline]
    pub fn action<A: Action + ?Sized>(action: &A) -> &'static str {
        action.as_str()
    }

    /// The check `#[require]` inserts: unauthenticated first, then an unresolved `$user`,
    /// then [`RequireContext::authorize`].
    #[inline]
    pub fn check(ctx: &dyn RequireContext, action: &str, arn: Arn) -> Result<(), Denied> {
        if let Some(var) = arn.unresolved {
            if ctx.caller().is_none() {
                return Err(Denied::unauthenticated(action, &arn.buf, None));
            }
            let mut d = Denied::forbidden(action, &arn.buf, Decision::ImplicitDeny, None);
            d.unresolved = Some(var);
            return Err(d);
        }
        ctx.authorize(action, &arn.buf)
    }

    /// How a denial leaves an annotated fn: `Err(From::from(denied))`.
    #[diagnostic::on_unimplemented(
        message = "`#[require]` cannot return a denial from a fn returning `{Self}`",
        label = "`#[require]` needs `Result<_, E>` here, with `E: From<ram_core::Denied>`",
        note = "or name a handler for denials: `#[require(..., on_deny = my_handler)]` with `fn my_handler(denied: Denied) -> {Self}`"
    )]
    pub trait DenyReturn {
        /// The value returned on denial.
        fn from_denied(denied: Denied) -> Self;
    }

    impl<T, E: FromDenied> DenyReturn for Result<T, E> {
        #[inline]
        fn from_denied(denied: Denied) -> Self {
            Err(E::from_denied(denied))
        }
    }

    /// `From<Denied>`, with a message that says what `#[require]` needs.
    #[diagnostic::on_unimplemented(
        message = "`#[require]` needs `{Self}: From<ram_core::Denied>` to return a denial",
        label = "this error type does not implement `From<ram_core::Denied>`",
        note = "add `impl From<ram_core::Denied> for {Self}`, or name a handler: `#[require(..., on_deny = my_handler)]`"
    )]
    pub trait FromDenied {
        /// `From::from`.
        fn from_denied(denied: Denied) -> Self;
    }

    // `do_not_recommend`: report the missing `FromDenied` (our message), not the `From`
    // bound behind it (std's).
    #[diagnostic::do_not_recommend]
    impl<E: From<Denied>> FromDenied for E {
        #[inline]
        fn from_denied(denied: Denied) -> Self {
            E::from(denied)
        }
    }

    /// The deny path: `return deny(denied);`, the fn's return type inferred.
    #[inline]
    pub fn deny<R: DenyReturn>(denied: Denied) -> R {
        R::from_denied(denied)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn escapes_everything_outside_unreserved() {
        let mut s = String::new();
        push_segment(&mut s, "aZ09-._~ /?*:%{}");
        assert_eq!(s, "aZ09-._~%20%2F%3F%2A%3A%25%7B%7D");
        let mut p = String::new();
        push_path(&mut p, "a/b c/../*");
        assert_eq!(p, "a/b%20c/../%2A");
    }

    #[test]
    fn display_values_are_escaped_too() {
        use __private::{PushDisplay as _, PushStr as _, Wrap};
        let mut s = String::new();
        (&Wrap(&42u64)).__ram_push(&mut s, false);
        (&Wrap(&'/')).__ram_push(&mut s, false);
        Wrap("x/y").__ram_push(&mut s, true);
        assert_eq!(s, "42%2Fx/y");
    }

    proptest! {
        #[test]
        fn segment_cannot_inject(v in any::<String>()) {
            let mut s = String::new();
            push_segment(&mut s, &v);
            prop_assert!(!s.contains(['*', '?', ':', '/']));
            prop_assert!(s.bytes().all(|b| unreserved(b) || b == b'%'));
        }

        #[test]
        fn path_cannot_inject(v in any::<String>()) {
            let mut s = String::new();
            push_path(&mut s, &v);
            prop_assert!(!s.contains(['*', '?', ':']));
            prop_assert!(s.bytes().all(|b| unreserved(b) || b == b'%' || b == b'/'));
        }

        #[test]
        fn escaping_is_reversible(v in any::<String>()) {
            // Injective: two different values never give the same ARN text.
            let mut s = String::new();
            push_segment(&mut s, &v);
            let mut bytes = Vec::new();
            let raw = s.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'%' {
                    let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("");
                    bytes.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                    i += 3;
                } else {
                    bytes.push(raw[i]);
                    i += 1;
                }
            }
            prop_assert_eq!(String::from_utf8(bytes).ok(), Some(v));
        }

        #[test]
        fn display_path_matches_str_path(v in any::<String>()) {
            use __private::{PushDisplay as _, PushStr as _, Wrap};
            struct D<'a>(&'a str);
            impl std::fmt::Display for D<'_> {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.0) }
            }
            let (mut a, mut b) = (String::new(), String::new());
            Wrap(&v).__ram_push(&mut a, false);
            (&Wrap(&D(&v))).__ram_push(&mut b, false);
            prop_assert_eq!(a, b);
        }
    }
}
