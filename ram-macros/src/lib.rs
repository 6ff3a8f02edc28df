//! `ram-macros`: handlers declare the RAM action and resource they need, and the call is
//! checked against the loaded users, groups and roles before the body runs.
//!
//! Use the macros through `ram-core` with its `macros` feature (`ram_core::require`,
//! `ram_core::Action`, `ram_core::Resource`): the generated code names `::ram_core`.
//!
//! ```
//! use ram_core::{Denied, RequireContext, require};
//! # use ram_core::{authorizer::{Authorizer, Caller}, RequestContext};
//! # struct AppContext { auth: Authorizer, request: RequestContext }
//! # impl RequireContext for AppContext {
//! #     fn authorizer(&self) -> &Authorizer { &self.auth }
//! #     fn caller(&self) -> Option<Caller<'_>> { Some(Caller::root()) }
//! #     fn request_context(&self) -> &RequestContext { &self.request }
//! #     fn region(&self) -> &str { "cn-hangzhou" }
//! #     fn account(&self) -> &str { "123456789012" }
//! # }
//!
//! #[derive(Debug)]
//! enum ApiError { Denied(Denied) }
//! impl From<Denied> for ApiError {
//!     fn from(d: Denied) -> Self { ApiError::Denied(d) }
//! }
//!
//! #[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
//! fn get_object(ctx: &AppContext, bucket: &str, key: &str) -> Result<Vec<u8>, ApiError> {
//!     Ok(format!("{bucket}/{key}").into_bytes())
//! }
//! # let ctx = AppContext { auth: Authorizer::new(ram_core::directory::Directory::new("123456789012").unwrap()), request: RequestContext::new() };
//! # assert!(get_object(&ctx, "b", "k").is_ok());
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use proc_macro::TokenStream;

mod derive;
mod require;
mod template;
mod util;

/// Checks the call before the body runs: `#[require(action = "...", resource = "...")]`.
///
/// - `action`: `"service:ActionName"` (validated now, no wildcard) or an expression of a type
///   implementing `ram_core::Action` (e.g. a `#[derive(Action)]` enum's variant).
/// - `resource`: a template such as `"acs:oss:{$region}:{$account}:{bucket}/{key..}"`, `"*"`,
///   or an expression of a type implementing `ram_core::Resource`. `{name}` is a parameter
///   or a name bound in a parameter pattern (`Path((bucket, key)): Path<(String, String)>`),
///   percent-encoded outside `[A-Za-z0-9._~-]`; `{name..}` keeps `/`; `{$region}`,
///   `{$account}` and `{$user}` come from the context.
/// - `ctx` (optional): the context expression, a `ram_core::RequireContext`; by default the
///   parameter named `ctx`, or the one whose type's name ends in `Context`.
/// - `on_deny` (optional): a fn turning a `ram_core::Denied` into the return value; by
///   default the fn returns `Err(From::from(denied))`.
///
/// The signature is kept as written: the check is the first statement of the body, so sync
/// and async fns, methods, generic fns and trait impl methods all work, and the attribute
/// stacks with others. Several `#[require]` on one fn must all pass.
///
/// ```
/// # use ram_core::{Denied, RequireContext, require};
/// # use ram_core::{authorizer::{Authorizer, Caller}, RequestContext};
/// # struct AppContext { auth: Authorizer, request: RequestContext }
/// # impl RequireContext for AppContext {
/// #     fn authorizer(&self) -> &Authorizer { &self.auth }
/// #     fn caller(&self) -> Option<Caller<'_>> { None }
/// #     fn request_context(&self) -> &RequestContext { &self.request }
/// #     fn region(&self) -> &str { "cn-hangzhou" }
/// #     fn account(&self) -> &str { "123456789012" }
/// # }
/// #[require(action = "ecs:DeleteInstance", resource = "acs:ecs:{$region}:{$account}:instance/{id}")]
/// fn delete_instance(ctx: &AppContext, id: u64) -> Result<(), Denied> {
///     Ok(())
/// }
/// # let ctx = AppContext { auth: Authorizer::new(ram_core::directory::Directory::new("123456789012").unwrap()), request: RequestContext::new() };
/// assert_eq!(delete_instance(&ctx, 7).unwrap_err().status(), 401); // nobody signed in
/// ```
#[proc_macro_attribute]
pub fn require(attr: TokenStream, item: TokenStream) -> TokenStream {
    require::expand(attr.into(), item.into()).into()
}

/// An enum of one service's actions: `as_str()` (`"ecs:StartInstance"`), `ALL`, `Display`,
/// `FromStr` (case-insensitive, as RAM compares actions) and `ram_core::Action`.
///
/// ```
/// use ram_core::Action;
///
/// #[derive(Action, Clone, Copy, Debug, PartialEq)]
/// #[action(service = "ecs")]
/// enum EcsAction {
///     StartInstance,
///     #[action(name = "DescribeInstances")]
///     Describe,
/// }
/// assert_eq!(EcsAction::StartInstance.as_str(), "ecs:StartInstance");
/// assert_eq!(EcsAction::ALL.len(), 2);
/// assert_eq!("ECS:describeinstances".parse(), Ok(EcsAction::Describe));
/// assert_eq!(EcsAction::Describe.to_string(), "ecs:DescribeInstances");
/// ```
#[proc_macro_derive(Action, attributes(action))]
pub fn derive_action(input: TokenStream) -> TokenStream {
    derive::action(input.into()).into()
}

/// A struct that knows its ARN, from a template over its fields, escaped like `#[require]`'s
/// (`{field}` percent-encodes, `{field..}` keeps `/`).
///
/// ```
/// use ram_core::Resource;
///
/// #[derive(Resource)]
/// #[resource(arn = "acs:ecs:{region}:{account}:instance/{id}")]
/// struct Instance { region: String, account: u64, id: String }
///
/// let i = Instance { region: "cn-hangzhou".into(), account: 123456789012, id: "i-1/x".into() };
/// assert_eq!(i.arn(), "acs:ecs:cn-hangzhou:123456789012:instance/i-1%2Fx");
/// ```
#[proc_macro_derive(Resource, attributes(resource))]
pub fn derive_resource(input: TokenStream) -> TokenStream {
    derive::resource(input.into()).into()
}
