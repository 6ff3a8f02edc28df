//! `#[require(action = "...", resource = "...", ctx = expr, on_deny = path)]`: parse the
//! arguments, validate them against the fn, then insert one check as the first statement of
//! the body. The signature is never touched, so the attribute stacks with others in any order.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, FnArg, Ident, ItemFn, Lit, LitStr, Meta, Pat, ReturnType, Token, Type};

use crate::template::{self, Template, VARS};
use crate::util::{did_you_mean, list, push};

const KEYS: &[&str] = &["action", "resource", "ctx", "on_deny"];

#[derive(Default)]
struct Args {
    action: Option<Expr>,
    resource: Option<Expr>,
    ctx: Option<Expr>,
    on_deny: Option<Expr>,
    /// Keys written without a value or misspelt: already reported, so not reported missing.
    reported: Vec<String>,
}

/// Parses the attribute's arguments, collecting every problem; `None` when they are not even
/// `key = value` pairs (nothing further can be checked then).
fn parse_args(attr: TokenStream, errors: &mut Option<syn::Error>) -> Option<Args> {
    let mut args = Args::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr) {
        Ok(m) => m,
        Err(e) => {
            push(
                errors,
                syn::Error::new(
                    e.span(),
                    format!(
                        "{e}: #[require] takes `key = value` pairs, as in `#[require(action = \"oss:GetObject\", resource = \"acs:oss:{{$region}}:{{$account}}:{{bucket}}\")]`"
                    ),
                ),
            );
            return None;
        }
    };
    for meta in metas {
        let (path, value) = match meta {
            Meta::NameValue(nv) => (nv.path, nv.value),
            other => {
                let key = other.path().to_token_stream().to_string();
                args.reported.push(key.clone());
                push(
                    errors,
                    syn::Error::new(
                        other.span(),
                        format!(
                            "`{key}` needs a value: write `{key} = ...` (keys: {})",
                            list(KEYS.iter().copied(), "")
                        ),
                    ),
                );
                continue;
            }
        };
        let key = path.to_token_stream().to_string();
        let slot = match key.as_str() {
            "action" => &mut args.action,
            "resource" => &mut args.resource,
            "ctx" => &mut args.ctx,
            "on_deny" => &mut args.on_deny,
            _ => {
                push(
                    errors,
                    syn::Error::new(
                        path.span(),
                        format!(
                            "unknown key `{key}` in #[require]{}",
                            match did_you_mean(&key, KEYS.iter().copied(), "").as_str() {
                                "" => format!("; the keys are {}", list(KEYS.iter().copied(), "")),
                                s => s.to_owned(),
                            }
                        ),
                    ),
                );
                // A misspelt `action` is not also reported as a missing `action`.
                if let Some(k) = KEYS.iter().find(|k| !did_you_mean(&key, [**k], "").is_empty()) {
                    args.reported.push((*k).to_owned());
                }
                continue;
            }
        };
        if slot.is_some() {
            push(
                errors,
                syn::Error::new(
                    path.span(),
                    format!("duplicate key `{key}` in #[require]: give it once"),
                ),
            );
            continue;
        }
        *slot = Some(value);
    }
    Some(args)
}

/// The names a parameter pattern binds, with their identifiers (for spans).
fn bindings(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(p) => {
            out.push(p.ident.clone());
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bindings(&f.pat, out)),
        Pat::Reference(r) => bindings(&r.pat, out),
        Pat::Slice(s) => s.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Type(t) => bindings(&t.pat, out),
        Pat::Paren(p) => bindings(&p.pat, out),
        // Every alternative binds the same names.
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                bindings(first, out);
            }
        }
        _ => {}
    }
}

/// Whether a parameter's type looks like a request context (`RamContext`, `&AppCtx`, ...).
fn is_context_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_context_type(&r.elem),
        Type::Paren(p) => is_context_type(&p.elem),
        Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.ends_with("Context") || name.ends_with("Ctx")
        }),
        _ => false,
    }
}

/// The literal action, checked as `service:ActionName` without wildcards.
fn check_action(lit: &LitStr) -> syn::Result<()> {
    let text = lit.value();
    let shape = "a required action is `service:ActionName`, as in `oss:GetObject`";
    if let Some(c) = text.chars().find(|c| matches!(c, '*' | '?')) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "wildcard `{c}` in the required action `{text}`: a check names one action (patterns belong in policies); {shape}"
            ),
        ));
    }
    let ok = match text.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(syn::Error::new(
            lit.span(),
            format!("malformed action `{text}`: {shape}"),
        ))
    }
}

fn string_lit(e: &Expr) -> Option<&LitStr> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s),
        _ => None,
    }
}

/// The whole attribute: the fn with its check, or the fn unchanged beside the errors.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => return not_a_fn(item),
    };
    let mut errors = None;
    let check = parse_args(attr, &mut errors).and_then(|args| build_check(&args, &func, &mut errors));
    if let Some(e) = errors {
        // The fn stays, so that the IDE and the rest of the crate keep working.
        let e = e.to_compile_error();
        return quote!(#e #func);
    }
    if let Some(check) = check {
        match syn::parse2(check) {
            Ok(stmt) => func.block.stmts.insert(0, stmt),
            Err(e) => {
                let e = e.to_compile_error();
                return quote!(#e #func);
            }
        }
    }
    func.into_token_stream()
}

/// The error for an item that is not a fn with a body; the item is emitted as it was.
fn not_a_fn(item: TokenStream) -> TokenStream {
    let (span, what) = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(i) => {
            let what = match &i {
                syn::Item::Struct(_) => "a struct",
                syn::Item::Enum(_) => "an enum",
                syn::Item::Impl(_) => "an impl block (put it on the methods)",
                syn::Item::Trait(_) => "a trait (put it on the methods of an impl)",
                syn::Item::Mod(_) => "a module",
                syn::Item::Const(_) => "a const",
                syn::Item::Static(_) => "a static",
                syn::Item::Type(_) => "a type alias",
                syn::Item::Use(_) => "a use declaration",
                _ => "this item",
            };
            (i.span(), what)
        }
        Err(_) => match syn::parse2::<syn::TraitItemFn>(item.clone()) {
            Ok(f) => (f.sig.span(), "a fn without a body (put it on the implementation)"),
            Err(_) => (Span::call_site(), "this item"),
        },
    };
    let e = syn::Error::new(
        span,
        format!("#[require] goes on a fn with a body (a handler, a method, an async fn); it cannot guard {what}"),
    )
    .to_compile_error();
    quote!(#e #item)
}

/// Validates the arguments against the fn and builds the check statement.
fn build_check(args: &Args, func: &ItemFn, errors: &mut Option<syn::Error>) -> Option<TokenStream> {
    let sig = &func.sig;
    if let Some(c) = &sig.constness {
        push(
            errors,
            syn::Error::new(
                c.span,
                "#[require] cannot guard a `const fn`: the check runs at run time, against the live directory",
            ),
        );
    }

    // Action.
    let action = match &args.action {
        None if args.reported.iter().any(|k| k == "action") => None,
        None => {
            push(
                errors,
                syn::Error::new(
                    Span::call_site(),
                    "#[require] needs `action = \"service:ActionName\"` (or a typed action, e.g. `action = EcsAction::StartInstance`)",
                ),
            );
            None
        }
        Some(e) => match string_lit(e) {
            Some(lit) => match check_action(lit) {
                Ok(()) => Some(lit.to_token_stream()),
                Err(err) => {
                    push(errors, err);
                    None
                }
            },
            None if matches!(e, Expr::Lit(_)) => {
                push(
                    errors,
                    syn::Error::new(
                        e.span(),
                        "`action` takes a string `\"service:ActionName\"` or a typed action expression",
                    ),
                );
                None
            }
            None => Some(quote_spanned!(e.span()=> ::ram_core::__private::action(&(#e)))),
        },
    };

    // Names bound by the parameters, for placeholders and the default context.
    let mut names: Vec<Ident> = Vec::new();
    for input in &sig.inputs {
        if let FnArg::Typed(t) = input {
            bindings(&t.pat, &mut names);
        }
    }
    let name_list = || {
        list(
            names
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
            "",
        )
    };

    // Resource.
    let template = match &args.resource {
        None if args.reported.iter().any(|k| k == "resource") => None,
        None => {
            push(
                errors,
                syn::Error::new(
                    Span::call_site(),
                    "#[require] needs `resource = \"acs:<service>:<region>:<account>:<resource>\"` (a template, `\"*\"`, or an expression implementing `ram_core::Resource`)",
                ),
            );
            None
        }
        Some(e) => match string_lit(e) {
            Some(lit) => match template::parse(lit, "resource") {
                Ok(t) => Some((t, lit.span())),
                Err(err) => {
                    push(errors, err);
                    None
                }
            },
            None => None,
        },
    };
    if let Some((Template::Pieces(pieces), span)) = &template {
        for p in pieces {
            match p {
                template::Piece::Name { name, .. } if !names.iter().any(|i| i == name) => {
                    let owned: Vec<String> = names.iter().map(|i| i.to_string()).collect();
                    push(
                        errors,
                        syn::Error::new(
                            *span,
                            format!(
                                "unknown parameter `{{{name}}}` in the resource template; the parameters are {}{}",
                                name_list(),
                                did_you_mean(name, owned.iter().map(String::as_str), "")
                            ),
                        ),
                    );
                }
                template::Piece::Var(v) if !VARS.iter().any(|(n, _)| n == v) => push(
                    errors,
                    syn::Error::new(
                        *span,
                        format!(
                            "unknown context value `{{${v}}}` in the resource template; the context provides {}{}",
                            list(VARS.iter().map(|(n, _)| *n), "$"),
                            did_you_mean(v, VARS.iter().map(|(n, _)| *n), "$")
                        ),
                    ),
                ),
                _ => {}
            }
        }
    }

    // Context.
    let ctx: Option<(TokenStream, Span)> = match &args.ctx {
        Some(e) => Some((e.to_token_stream(), e.span())),
        None => {
            if let Some(i) = names.iter().find(|i| *i == "ctx") {
                Some((i.to_token_stream(), i.span()))
            } else {
                let typed: Vec<&Ident> = sig
                    .inputs
                    .iter()
                    .filter_map(|a| match a {
                        FnArg::Typed(t) if is_context_type(&t.ty) => match &*t.pat {
                            Pat::Ident(p) => Some(&p.ident),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
                match typed.as_slice() {
                    [one] => Some((one.to_token_stream(), one.span())),
                    [] => {
                        push(
                            errors,
                            syn::Error::new(
                                sig.ident.span(),
                                format!(
                                    "no RAM context found for #[require] on `{}`: name a parameter `ctx`, give one a type whose name ends in `Context`, or say which with `ctx = <expr>` (e.g. `ctx = self.ctx`); its type must implement `ram_core::RequireContext`",
                                    sig.ident
                                ),
                            ),
                        );
                        None
                    }
                    many => {
                        let all: Vec<String> = many.iter().map(|i| i.to_string()).collect();
                        push(
                            errors,
                            syn::Error::new(
                                sig.ident.span(),
                                format!(
                                    "several parameters could be the RAM context ({}): say which with `ctx = <expr>`",
                                    list(all.iter().map(String::as_str), "")
                                ),
                            ),
                        );
                        None
                    }
                }
            }
        }
    };

    // Deny path.
    let deny = match (&args.on_deny, &sig.output) {
        (Some(f), _) => Some(quote_spanned!(f.span()=> (#f)(__ram_denied))),
        (None, ReturnType::Default) => {
            push(
                errors,
                syn::Error::new(
                    sig.ident.span(),
                    format!(
                        "#[require] on `{}` needs it to return `Result<_, E>` with `E: From<ram_core::Denied>`, to return the denial; or name a handler with `on_deny = path`",
                        sig.ident
                    ),
                ),
            );
            None
        }
        (None, ReturnType::Type(_, ty)) => Some(quote_spanned!(ty.span()=> ::ram_core::__private::deny(__ram_denied))),
    };

    let (action, (template, tspan), (ctx, ctx_span), deny) = (action?, template_or_expr(args, template)?, ctx?, deny?);
    // Spanned at the context, so that a type that is not one is reported there.
    let context = quote_spanned!(ctx_span=> ::ram_core::__private::context(__ram_ctx_ref));
    let arn = format_ident!("__ram_arn");
    let out = quote!(&mut #arn.buf);
    let build = match &template {
        Resource::Template(Template::Star) => quote!(let #arn = ::ram_core::__private::Arn::star();),
        Resource::Template(t @ Template::Pieces(pieces)) => {
            let cap = t.capacity();
            let find = |n: &str| match names.iter().find(|i| *i == n) {
                // The binding's own identifier: resolves to the parameter, spans point at it.
                Some(i) => (i.to_token_stream(), i.span()),
                None => (format_ident!("{}", n).to_token_stream(), tspan),
            };
            let var = |v: &str| {
                let variant = VARS.iter().find(|(n, _)| *n == v).map_or("Region", |(_, c)| *c);
                let variant = Ident::new(variant, tspan);
                quote!(#arn.var(__ram_ctx, ::ram_core::__private::Var::#variant);)
            };
            let pushes = template::expand_pieces(pieces, &out, find, var, tspan);
            quote! {
                let mut #arn = ::ram_core::__private::Arn::with_capacity(#cap);
                #pushes
            }
        }
        Resource::Expr(e) => quote_spanned!(e.span()=> let #arn = ::ram_core::__private::Arn::of(&(#e));),
    };
    Some(quote! {
        {
            #[allow(unused_imports)]
            use ::ram_core::__private::{PushDisplay as _, PushStr as _};
            // A `let` so that a temporary in the expression (`&self.ctx`) lives long enough.
            let __ram_ctx_ref = &(#ctx);
            let __ram_ctx = #context;
            #build
            if let ::core::result::Result::Err(__ram_denied) =
                ::ram_core::__private::check(__ram_ctx, #action, #arn)
            {
                return #deny;
            }
        }
    })
}

enum Resource {
    Template(Template),
    Expr(Expr),
}

fn template_or_expr(args: &Args, parsed: Option<(Template, Span)>) -> Option<(Resource, Span)> {
    match (parsed, &args.resource) {
        (Some((t, span)), _) => Some((Resource::Template(t), span)),
        (None, Some(e)) if string_lit(e).is_none() => Some((Resource::Expr(e.clone()), e.span())),
        _ => None,
    }
}
