//! Resource templates (`"acs:oss:{$region}:{$account}:{bucket}/{key..}"`), split at expansion
//! time so that a malformed template never reaches run time, and their expansion into code
//! that appends each piece to a `String`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::LitStr;

/// The `$` variables a template may name, and the `Var` each becomes.
pub const VARS: &[(&str, &str)] = &[("region", "Region"), ("account", "Account"), ("user", "User")];

/// One piece of a template.
#[derive(Debug)]
pub enum Piece {
    /// Literal ARN text.
    Lit(String),
    /// `{name}` (`path: false`) or `{name..}` (`path: true`).
    Name { name: String, path: bool },
    /// `{$name}`.
    Var(String),
}

/// A validated template: `*`, or an `acs:` ARN with placeholders.
#[derive(Debug)]
pub enum Template {
    /// The resource `*`.
    Star,
    /// An ARN.
    Pieces(Vec<Piece>),
}

impl Template {
    /// The bytes of literal text, plus a guess for each placeholder: the initial capacity.
    pub fn capacity(&self) -> usize {
        match self {
            Template::Star => 1,
            Template::Pieces(p) => p
                .iter()
                .map(|p| match p {
                    Piece::Lit(s) => s.len(),
                    _ => 16,
                })
                .sum(),
        }
    }
}

fn err(lit: &LitStr, msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(lit.span(), msg)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Splits and validates `lit` (`what` names the key in messages: `resource` or `arn`).
pub fn parse(lit: &LitStr, what: &str) -> syn::Result<Template> {
    let text = lit.value();
    if text == "*" {
        return Ok(Template::Star);
    }
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['{', '}']) {
        literal.push_str(&rest[..i]);
        if rest[i..].starts_with('}') {
            return Err(err(
                lit,
                format_args!(
                    "unmatched `}}` in the {what} template `{text}`: placeholders are `{{name}}`, `{{name..}}` or `{{$name}}`"
                ),
            ));
        }
        let after = &rest[i + 1..];
        let Some(end) = after.find('}') else {
            return Err(err(
                lit,
                format_args!("unterminated placeholder in the {what} template `{text}`: `{{` without a closing `}}`"),
            ));
        };
        let inner = &after[..end];
        if inner.contains('{') {
            return Err(err(
                lit,
                format_args!("unterminated placeholder in the {what} template `{text}`: `{{` without a closing `}}`"),
            ));
        }
        if !literal.is_empty() {
            pieces.push(Piece::Lit(std::mem::take(&mut literal)));
        }
        let trimmed = inner.trim();
        if trimmed.is_empty() || trimmed == "$" || trimmed == ".." {
            return Err(err(
                lit,
                format_args!(
                    "empty placeholder `{{{inner}}}` in the {what} template `{text}`: name a parameter (`{{bucket}}`) or a context value (`{{$region}}`)"
                ),
            ));
        }
        if let Some(var) = trimmed.strip_prefix('$') {
            if var.ends_with("..") {
                return Err(err(
                    lit,
                    format_args!(
                        "`{{{inner}}}`: `..` keeps `/` in request values; context values take `{{$name}}` only"
                    ),
                ));
            }
            if !is_name(var) {
                return Err(err(
                    lit,
                    format_args!(
                        "`{{{inner}}}` is not a placeholder: `$` must be followed by a name, as in `{{$region}}`"
                    ),
                ));
            }
            pieces.push(Piece::Var(var.to_owned()));
        } else {
            let (name, path) = match trimmed.strip_suffix("..") {
                Some(n) => (n.trim_end(), true),
                None => (trimmed, false),
            };
            if !is_name(name) {
                return Err(err(
                    lit,
                    format_args!(
                        "`{{{inner}}}` is not a placeholder: write `{{name}}`, `{{name..}}` (keeps `/`) or `{{$name}}` with a plain name"
                    ),
                ));
            }
            pieces.push(Piece::Name {
                name: name.to_owned(),
                path,
            });
        }
        rest = &after[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Lit(literal));
    }
    validate_arn(lit, &text, what, &pieces)?;
    Ok(Template::Pieces(pieces))
}

/// `acs:<service>:<region>:<account>:<resource>`, no wildcard in the literal text.
fn validate_arn(lit: &LitStr, text: &str, what: &str, pieces: &[Piece]) -> syn::Result<()> {
    let shape = "an ARN is `acs:<service>:<region>:<account>:<resource>` (region and account may be empty or placeholders), or `*`";
    let literal: String = pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => s.as_str(),
            _ => "\u{0}",
        })
        .collect();
    if let Some(c) = literal.chars().find(|c| matches!(c, '*' | '?')) {
        return Err(err(
            lit,
            format_args!(
                "wildcard `{c}` in the {what} `{text}`: a check names one resource (patterns belong in policies); fill the varying part with a placeholder"
            ),
        ));
    }
    let fields: Vec<&str> = literal.splitn(5, ':').collect();
    if fields.len() < 5 || fields[0] != "acs" {
        return Err(err(lit, format_args!("malformed {what} `{text}`: {shape}")));
    }
    let service = fields[1];
    if service.is_empty() || !service.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(err(
            lit,
            format_args!(
                "malformed {what} `{text}`: the service code (second field) must be literal text such as `oss` or `ecs`; {shape}"
            ),
        ));
    }
    if fields[4].is_empty() {
        return Err(err(
            lit,
            format_args!("malformed {what} `{text}`: the resource part after the fourth `:` is empty; {shape}"),
        ));
    }
    Ok(())
}

/// Code appending the pieces to `out` (an expression of type `&mut String`). `name` turns
/// a placeholder name into the expression of its value and the span to report a value of
/// the wrong type at (the parameter or field); `var` gives a `$` variable's code.
pub fn expand_pieces(
    pieces: &[Piece],
    out: &TokenStream,
    mut name: impl FnMut(&str) -> (TokenStream, Span),
    mut var: impl FnMut(&str) -> TokenStream,
    span: Span,
) -> TokenStream {
    let mut code = TokenStream::new();
    for p in pieces {
        match p {
            Piece::Lit(s) => code.extend(quote_spanned!(span=> ::std::string::String::push_str(#out, #s);)),
            Piece::Name { name: n, path } => {
                let (value, value_span) = name(n);
                code.extend(quote_spanned!(value_span=>
                    (&::ram_core::__private::Wrap(&#value)).__ram_push(#out, #path);
                ));
            }
            Piece::Var(v) => code.extend(var(v)),
        }
    }
    quote!(#code)
}
