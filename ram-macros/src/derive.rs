//! `#[derive(Action)]` and `#[derive(Resource)]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Expr, ExprLit, Fields, Lit, LitStr, Meta};

use crate::template::{self, Piece, Template};
use crate::util::{did_you_mean, list, push};

/// The `key = "string"` pairs of `#[attr(...)]` attributes, checked against `keys`.
fn string_keys(
    attrs: &[Attribute],
    attr: &str,
    keys: &[&str],
    errors: &mut Option<syn::Error>,
) -> Vec<(String, LitStr)> {
    let mut found: Vec<(String, LitStr)> = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident(attr)) {
        let metas = match a.parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated) {
            Ok(m) => m,
            Err(e) => {
                push(errors, e);
                continue;
            }
        };
        for meta in metas {
            let key = meta.path().to_token_stream().to_string();
            if !keys.contains(&key.as_str()) {
                push(
                    errors,
                    syn::Error::new(
                        meta.path().span(),
                        format!(
                            "unknown key `{key}` in #[{attr}(...)]{}",
                            match did_you_mean(&key, keys.iter().copied(), "").as_str() {
                                "" => format!("; the keys are {}", list(keys.iter().copied(), "")),
                                s => s.to_owned(),
                            }
                        ),
                    ),
                );
                continue;
            }
            let value = match &meta {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            };
            let Some(value) = value else {
                push(
                    errors,
                    syn::Error::new(meta.span(), format!("`{key}` takes a string: `{key} = \"...\"`")),
                );
                continue;
            };
            if found.iter().any(|(k, _)| *k == key) {
                push(
                    errors,
                    syn::Error::new(
                        meta.path().span(),
                        format!("duplicate key `{key}` in #[{attr}(...)]: give it once"),
                    ),
                );
                continue;
            }
            found.push((key, value));
        }
    }
    found
}

fn get<'a>(found: &'a [(String, LitStr)], key: &str) -> Option<&'a LitStr> {
    found.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn finish(errors: Option<syn::Error>, code: TokenStream) -> TokenStream {
    match errors {
        Some(e) => e.to_compile_error(),
        None => code,
    }
}

/// `#[derive(Action)]`.
pub fn action(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = None;
    let name = &input.ident;
    let data = match &input.data {
        Data::Enum(e) => e,
        Data::Struct(s) => {
            return syn::Error::new(
                s.struct_token.span,
                "#[derive(Action)] goes on an enum of one service's actions, as in `#[action(service = \"ecs\")] enum EcsAction { StartInstance, StopInstance }`, not on a struct",
            )
            .to_compile_error();
        }
        Data::Union(u) => {
            return syn::Error::new(
                u.union_token.span,
                "#[derive(Action)] goes on an enum of one service's actions, not on a union",
            )
            .to_compile_error();
        }
    };
    if !input.generics.params.is_empty() {
        push(
            &mut errors,
            syn::Error::new(
                input.generics.span(),
                "#[derive(Action)] takes an enum without generic parameters",
            ),
        );
    }
    let found = string_keys(&input.attrs, "action", &["service"], &mut errors);
    let service = match get(&found, "service") {
        Some(s) => {
            let v = s.value();
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                push(
                    &mut errors,
                    syn::Error::new(
                        s.span(),
                        format!("malformed service code `{v}`: letters, digits and `-`, as in `ecs` or `oss`"),
                    ),
                );
            }
            v
        }
        None => {
            push(
                &mut errors,
                syn::Error::new(
                    name.span(),
                    "#[derive(Action)] needs the service code: add `#[action(service = \"ecs\")]` to the enum",
                ),
            );
            String::new()
        }
    };
    let mut variants = Vec::new();
    let mut strings = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            push(
                &mut errors,
                syn::Error::new(
                    v.fields.span(),
                    "#[derive(Action)]: each variant is one action, without fields",
                ),
            );
        }
        let renamed = string_keys(&v.attrs, "action", &["name"], &mut errors);
        let action_name = match get(&renamed, "name") {
            Some(lit) => {
                let n = lit.value();
                if !(n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && n.chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    push(
                        &mut errors,
                        syn::Error::new(
                            lit.span(),
                            format!(
                                "malformed action name `{n}`: letters and digits, no wildcard, as in `StartInstance`"
                            ),
                        ),
                    );
                }
                n
            }
            None => v.ident.to_string().trim_start_matches("r#").to_owned(),
        };
        variants.push(&v.ident);
        strings.push(format!("{service}:{action_name}"));
    }
    let code = quote! {
        impl #name {
            /// Every action of the enum, in declaration order.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The action as RAM names it: `service:ActionName`.
            pub const fn as_str(&self) -> &'static str {
                match *self {
                    #(#name::#variants => #strings,)*
                }
            }
        }

        #[automatically_derived]
        impl ::ram_core::guard::Action for #name {
            #[inline]
            fn as_str(&self) -> &'static str {
                #name::as_str(self)
            }
        }

        #[automatically_derived]
        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#name::as_str(self))
            }
        }

        #[automatically_derived]
        impl ::core::str::FromStr for #name {
            type Err = ::ram_core::guard::UnknownAction;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                // RAM compares actions case-insensitively (ASCII).
                #(
                    if s.eq_ignore_ascii_case(#strings) {
                        return ::core::result::Result::Ok(#name::#variants);
                    }
                )*
                ::core::result::Result::Err(::ram_core::guard::UnknownAction::new(s))
            }
        }
    };
    finish(errors, code)
}

/// `#[derive(Resource)]`.
pub fn resource(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = None;
    let name = &input.ident;
    let field_idents: Vec<syn::Ident> = match &input.data {
        Data::Struct(s) => s.fields.iter().filter_map(|f| f.ident.clone()).collect(),
        _ => Vec::new(),
    };
    let fields: Vec<String> = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => n
                .named
                .iter()
                .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
                .collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(u) => {
                return syn::Error::new(
                    u.span(),
                    "#[derive(Resource)] needs named fields: template placeholders name them, as in `{id}`",
                )
                .to_compile_error();
            }
        },
        Data::Enum(e) => {
            return syn::Error::new(
                e.enum_token.span,
                "#[derive(Resource)] goes on a struct whose fields fill the ARN template, not on an enum",
            )
            .to_compile_error();
        }
        Data::Union(u) => {
            return syn::Error::new(
                u.union_token.span,
                "#[derive(Resource)] goes on a struct, not on a union",
            )
            .to_compile_error();
        }
    };
    let found = string_keys(&input.attrs, "resource", &["arn"], &mut errors);
    let Some(lit) = get(&found, "arn") else {
        push(
            &mut errors,
            syn::Error::new(
                name.span(),
                "#[derive(Resource)] needs its ARN template: add `#[resource(arn = \"acs:ecs:{region}:{account}:instance/{id}\")]`",
            ),
        );
        return finish(errors, TokenStream::new());
    };
    let template = match template::parse(lit, "arn") {
        Ok(t) => t,
        Err(e) => {
            push(&mut errors, e);
            return finish(errors, TokenStream::new());
        }
    };
    let out = quote!(out);
    let body = match &template {
        Template::Star => quote!(out.push('*');),
        Template::Pieces(pieces) => {
            for p in pieces {
                match p {
                    Piece::Name { name: n, .. } if !fields.contains(n) => push(
                        &mut errors,
                        syn::Error::new(
                            lit.span(),
                            format!(
                                "unknown field `{{{n}}}` in the ARN template of `{name}`; the fields are {}{}",
                                list(fields.iter().map(String::as_str), ""),
                                did_you_mean(n, fields.iter().map(String::as_str), "")
                            ),
                        ),
                    ),
                    Piece::Var(v) => push(
                        &mut errors,
                        syn::Error::new(
                            lit.span(),
                            format!(
                                "`{{${v}}}` needs a request context; a derived Resource fills its template from its own fields (add a field `{v}`)"
                            ),
                        ),
                    ),
                    _ => {}
                }
            }
            let cap = template.capacity();
            let field = |n: &str| {
                // The field's own identifier, so that a field of the wrong type is reported there.
                let span = field_idents.iter().find(|i| *i == n).map_or(lit.span(), |i| i.span());
                let ident = syn::Ident::new(n, span);
                (quote!(self.#ident), span)
            };
            let pushes = template::expand_pieces(pieces, &out, field, |_| TokenStream::new(), Span::call_site());
            quote! {
                out.reserve(#cap);
                #pushes
            }
        }
    };
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let code = quote! {
        #[automatically_derived]
        impl #impl_generics ::ram_core::guard::Resource for #name #ty_generics #where_clause {
            fn write_arn(&self, out: &mut ::std::string::String) {
                #[allow(unused_imports)]
                use ::ram_core::__private::{PushDisplay as _, PushStr as _};
                #body
            }
        }
    };
    finish(errors, code)
}
