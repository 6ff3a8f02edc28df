//! `ram-macros`: procedural macros that let handlers declare the RAM action and
//! resource they need (`#[require]`, `#[derive(Action)]`, `#[derive(Resource)]`).
//!
//! This crate is intentionally empty for now: the macros arrive with the macros/web
//! issue, once the directory and authorizer exist in `ram-core`.
