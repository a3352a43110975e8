//! Runs progenitor on a prepared spec and turns its output into the checked-in `generated.rs`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

use crate::prepare::{Join, Prepared};
use crate::providers::{Provider, common};

/// Generates the Rust source (without header) of one SDK's `generated.rs`.
pub fn client_source(spec_name: &str, provider: &Provider, prepared: &Prepared) -> Result<String, String> {
    let api: openapiv3::OpenAPI = serde_json::from_value(prepared.document.clone())
        .map_err(|e| format!("{spec_name}: (document): not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(parse_tokens(common::INNER_TYPE))
        .with_hooks(HooksMode::Expected)
        .with_timeout(common::NEW_CLIENT_TIMEOUT_SECS)
        .with_derive("schemars::JsonSchema");
    for d in common::DERIVES {
        settings.with_derive(*d);
    }
    let text_impls = || [TypeImpl::Display, TypeImpl::FromStr].into_iter();
    for (schema, rt) in &prepared.runtime_types {
        let path = format!("{}::{rt}", common::RUNTIME_PATH);
        if common::OPAQUE_RUNTIME_TYPES.contains(&rt.as_str()) {
            settings.with_replacement(schema, path, std::iter::empty());
        } else {
            settings.with_replacement(schema, path, text_impls());
        }
    }
    for e in &prepared.enums {
        settings.with_replacement(&e.name, format!("{}::{}", common::TYPES_PATH, e.name), text_impls());
    }
    for l in &prepared.lists {
        settings.with_replacement(&l.name, format!("{}::{}", common::TYPES_PATH, l.name), text_impls());
    }

    let tokens = run_guarded(|| Generator::new(&settings).generate_tokens(&api))
        .map_err(|m| format!("{spec_name}: (generator): progenitor panicked: {m}"))?
        .map_err(|e| format!("{spec_name}: (generator): {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("{spec_name}: (generator): output does not parse: {e}"))?;

    SchemarsBehindFeature.visit_file_mut(&mut file);
    let extra_types: Vec<syn::Item> = prepared
        .enums
        .iter()
        .map(open_enum_tokens)
        .chain(prepared.lists.iter().map(list_tokens))
        .flat_map(|ts| {
            syn::parse2::<syn::File>(ts)
                .expect("generator templates are valid items")
                .items
        })
        .collect();
    let types_mod = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| format!("{spec_name}: (generator): progenitor emitted no `types` module"))?;
    types_mod.1.extend(extra_types);
    file.items
        .push(syn::parse2(provider_tokens(provider, prepared)).expect("valid item"));
    file.items
        .push(syn::parse2(skipped_tokens(prepared)).expect("valid item"));
    Ok(prettyplease::unparse(&file))
}

/// Runs `f`, turning a panic into its message without printing it.
fn run_guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into())
    })
}

fn parse_tokens(s: &str) -> TokenStream {
    s.parse().expect("settings hold valid Rust paths")
}

/// Moves `derive(schemars::JsonSchema)` behind the crate's `schemars` feature.
struct SchemarsBehindFeature;

impl VisitMut for SchemarsBehindFeature {
    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let is_json_schema = item
            .trait_
            .as_ref()
            .and_then(|(path, _)| path.segments.last())
            .is_some_and(|s| s.ident == "JsonSchema");
        if is_json_schema {
            item.attrs.push(syn::parse_quote!(#[cfg(feature = "schemars")]));
        }
        syn::visit_mut::visit_item_impl_mut(self, item);
    }

    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        let mut gated = false;
        for attr in attrs.iter_mut() {
            if !attr.path().is_ident("derive") {
                continue;
            }
            let Ok(paths) =
                attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            else {
                continue;
            };
            let before = paths.len();
            let kept: Vec<syn::Path> = paths
                .into_iter()
                .filter(|p| p.segments.last().is_none_or(|s| s.ident != "JsonSchema"))
                .collect();
            if kept.len() != before {
                gated = true;
                *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            }
        }
        if gated {
            attrs.push(syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]));
        }
    }
}

fn doc_lines(text: &Option<String>) -> TokenStream {
    match text {
        Some(t) => {
            let lines = t.lines().map(|l| format!(" {l}"));
            quote! { #(#[doc = #lines])* }
        }
        None => quote! {},
    }
}

fn open_enum_tokens(e: &crate::prepare::OpenEnum) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let name_str = &e.name;
    let docs = doc_lines(&e.description);
    let idents: Vec<_> = e.variants.iter().map(|(_, n)| format_ident!("{n}")).collect();
    let values: Vec<_> = e.variants.iter().map(|(v, _)| v.as_str()).collect();
    let variant_docs: Vec<String> = values.iter().map(|v| format!(" `{v}`")).collect();
    quote! {
        #docs
        ///
        /// This enum is open: a value the provider adds later arrives as `Unknown` instead of
        /// failing the whole response.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #idents, )*
            /// A value this version of the SDK does not know, kept verbatim.
            Unknown(::std::string::String),
        }
        impl #name {
            /// Every value the spec documents, in spec order.
            pub const KNOWN: &'static [&'static str] = &[#(#values),*];
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #values, )*
                    Self::Unknown(other) => other.as_str(),
                }
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(match value {
                    #( #values => Self::#idents, )*
                    other => Self::Unknown(other.to_string()),
                })
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::runtime::deserialize_open_string(deserializer).map(|s| Self::from(s.as_str()))
            }
        }
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #name_str.to_string()
            }
            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                crate::runtime::open_enum_schema(Self::KNOWN)
            }
        }
    }
}

fn list_tokens(l: &crate::prepare::JoinedList) -> TokenStream {
    let name = format_ident!("{}", l.name);
    let name_str = &l.name;
    let item: syn::Type = syn::parse_str(&l.item).expect("item paths are valid types");
    let docs = doc_lines(&l.description);
    let (wire, shown, note) = match l.join {
        Join::Plus => (
            " ",
            "+",
            " Sent as one value joined with a literal `+` (a space before form encoding, which becomes `+`).",
        ),
        Join::Comma => (",", ",", " Sent as one value joined with commas."),
    };
    quote! {
        #docs
        ///
        #[doc = #note]
        #[derive(Clone, Debug, PartialEq, Default)]
        pub struct #name(pub ::std::vec::Vec<#item>);
        impl ::std::convert::From<::std::vec::Vec<#item>> for #name {
            fn from(items: ::std::vec::Vec<#item>) -> Self {
                Self(items)
            }
        }
        impl ::std::iter::FromIterator<#item> for #name {
            fn from_iter<I: ::std::iter::IntoIterator<Item = #item>>(iter: I) -> Self {
                Self(iter.into_iter().collect())
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&crate::runtime::join_display(&self.0, #shown))
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::string::String;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                crate::runtime::split_parse(value, &[#shown, #wire]).map(Self)
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&crate::runtime::join_display(&self.0, #wire))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let text = crate::runtime::deserialize_open_string(deserializer)?;
                text.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #name_str.to_string()
            }
            fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                <::std::string::String as schemars::JsonSchema>::json_schema(generator)
            }
        }
    }
}

fn provider_tokens(p: &Provider, prepared: &Prepared) -> TokenStream {
    let name = p.name;
    let header = p.request_id_header;
    let reauth = p.reauth_statuses;
    let unauth = prepared.unauthenticated.iter();
    let idem = prepared.idempotent_posts.iter();
    quote! {
        /// What the runtime needs to know about this provider, derived from the spec and
        /// `codegen/src/providers.rs`.
        pub(crate) const PROVIDER: crate::runtime::ProviderInfo = crate::runtime::ProviderInfo {
            name: #name,
            request_id_header: #header,
            reauth_statuses: &[#(#reauth),*],
            unauthenticated_operations: &[#(#unauth),*],
            idempotent_posts: &[#(#idem),*],
        };
    }
}

fn skipped_tokens(prepared: &Prepared) -> TokenStream {
    let rows = prepared.skipped.iter().map(|s| {
        let (id, m, p, r) = (&s.operation_id, &s.method, &s.path, &s.reason);
        quote! { (#id, #m, #p, #r) }
    });
    quote! {
        /// Operations the spec describes but progenitor does not generate, as
        /// `(operationId, method, path, reason)`. Each is implemented by hand in this crate or
        /// documented as unavailable.
        pub const NOT_GENERATED: &[(&str, &str, &str, &str)] = &[#(#rows),*];
    }
}
