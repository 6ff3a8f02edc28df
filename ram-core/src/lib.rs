//! `ram-core`: the Alibaba Cloud RAM policy language, embedded.
//!
//! Parse the JSON policies people already write for RAM, compile them once, and decide
//! requests in process, with the statement that decided:
//!
//! ```
//! use ram_core::{Decision, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};
//!
//! let doc = PolicyDocument::parse(r#"{
//!   "Version": "1",
//!   "Statement": [
//!     {"Effect": "Allow", "Action": "oss:Get*", "Resource": "acs:oss:*:123456:bucket/public/*",
//!      "Condition": {"Bool": {"acs:SecureTransport": "true"}}},
//!     {"Effect": "Deny", "Action": "oss:Delete*", "Resource": "*"}
//!   ]
//! }"#)?;
//! let set = PolicySet::builder()
//!     .add_document(PolicyRef::new("public-read", "v1", Source::User), &doc)
//!     .build();
//!
//! let ctx = RequestContext::builder().secure_transport(true).build();
//! let req = Request::new("oss:GetObject", "acs:oss:cn-hangzhou:123456:bucket/public/a.txt", &ctx);
//! assert_eq!(set.decide(&req), Decision::Allow);
//! assert_eq!(set.explain(&req).matched[0].statement, 0);
//! # Ok::<(), ram_core::PolicyError>(())
//! ```
//!
//! Modules, one concept each: [`policy`] (documents and validation), [`glob`] (pattern
//! matching), [`condition`] (operators), [`value`] (typed condition values), [`context`]
//! (request context), [`policy_set`] (compiled, indexed evaluation) and [`decision`]
//! (outcomes and explanations).

// One module may use `unsafe`: `table_memory`, the huge-page pool of the name tables, index
// tables and statements (mapping memory and implementing `Allocator`), each block with the
// argument for its soundness.
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod authorizer;
pub mod condition;
pub mod context;
pub mod decision;
pub mod directory;
pub mod error;
mod fold;
pub mod glob;
pub mod guard;
mod json;
mod name_table;
pub mod policy;
pub mod policy_set;
mod prefetch;
pub mod store;
#[allow(unsafe_code)]
mod table_memory;
pub mod trust;
pub mod value;

/// The README's Rust quickstart, compiled and run as a doctest so it stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeQuickstart;

pub use condition::{Condition, ConditionValues, Family, Operator};
pub use context::{ContextBuilder, ContextValue, RequestContext};
pub use decision::{Decision, Explanation, FailedCondition, MatchedStatement, PolicyRef, Source};
pub use error::{PolicyError, Problem};
pub use glob::Glob;
pub use guard::{Action, Denied, RequireContext, Resource};
pub use policy::{
    Effect, MAX_POLICY_CHARS, MAX_SESSION_POLICY_CHARS, ParseOptions, PatternList, PolicyDocument, PolicyKind,
    Principal, Statement,
};
pub use policy_set::{CompiledPolicy, PolicySet, PolicySetBuilder, Request};
/// `#[require(action = "...", resource = "...")]` and `#[derive(Action, Resource)]`.
#[cfg(feature = "macros")]
pub use ram_macros::{Action, Resource, require};

/// Blocks the current thread took from the pool of the authorizer's tables (which a counting
/// global allocator does not see); for tests that prove that a check allocates nothing. Not
/// a public API.
#[doc(hidden)]
pub use table_memory::allocations_on_this_thread as table_memory_allocations;

/// Paths the macros' generated code names; not a public API.
#[doc(hidden)]
pub use guard::__private;
pub use store::{CommitError, FileStore, State, Store, StoreError};
