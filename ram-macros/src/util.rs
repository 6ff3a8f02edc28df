//! Small helpers shared by the macros.

/// Edit distance (Levenshtein), for did-you-mean suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `; did you mean `x`?` when a candidate is close to `got`, else nothing.
pub fn did_you_mean<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>, prefix: &str) -> String {
    let best = candidates
        .into_iter()
        .map(|c| (distance(&got.to_ascii_lowercase(), &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 1.max(c.len() / 3))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, c)) => format!("; did you mean `{prefix}{c}`?"),
        None => String::new(),
    }
}

/// `` `a`, `b`, `c` `` (or `none` for an empty list).
pub fn list<'a>(items: impl IntoIterator<Item = &'a str>, prefix: &str) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("`{prefix}{s}`")).collect();
    if v.is_empty() { "none".to_owned() } else { v.join(", ") }
}

/// Adds `e` to the errors collected so far.
pub fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("actoin", ["action", "resource"], ""),
            "; did you mean `action`?"
        );
        assert_eq!(did_you_mean("zzz", ["action", "resource"], ""), "");
        assert_eq!(list(["a", "b"], "$"), "`$a`, `$b`");
    }
}
