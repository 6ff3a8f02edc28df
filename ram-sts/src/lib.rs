//! `ram-sts`: STS `AssumeRole` and temporary credentials for `ram`.
//!
//! This crate is intentionally empty for now: minting and verifying security tokens
//! arrives with the STS issue, on top of the directory in `ram-core`. Nothing here
//! pretends to work yet.
