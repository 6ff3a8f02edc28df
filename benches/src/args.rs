//! Value parsers shared by the benchmark binaries' `clap` arguments.

/// A whole number above 0; commas between digits are allowed (`65,536`).
///
/// ```
/// assert_eq!(ram_benches::args::count("65,536"), Ok(65_536));
/// assert!(ram_benches::args::count("0").is_err());
/// ```
pub fn count(text: &str) -> Result<usize, String> {
    match text.replace(',', "").parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a whole number above 0")),
    }
}

/// A number of seconds above 0.
///
/// ```
/// assert_eq!(ram_benches::args::seconds("0.5"), Ok(0.5));
/// assert!(ram_benches::args::seconds("-1").is_err());
/// ```
pub fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(s),
        _ => Err(format!("{text:?} is not a number of seconds above 0")),
    }
}

/// The flags of the binaries that can print JSON, and the one `cargo bench` passes.
#[derive(clap::Args, Debug)]
pub struct Output {
    /// Print only JSON on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Passed by `cargo bench` to every target; nothing to do for it.
    #[arg(long, hide = true)]
    pub bench: bool,
}
