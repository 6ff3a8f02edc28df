//! Runnable examples of ram. The `[[example]]` targets are the entry points; the object
//! store service lives here so that its integration tests (`tests/`) can start it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod objstore;
