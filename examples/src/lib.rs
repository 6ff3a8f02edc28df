//! Examples live in this package's `[[example]]` targets; this library is empty.
