//! trybuild: every misuse of the macros fails with our own, spanned message
//! (`tests/ui/*.rs` and their `.stderr`), and every supported fn shape compiles and runs
//! (`tests/pass/*.rs`). Regenerate the expected output with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
