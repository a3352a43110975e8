//! Makes every generated model tolerant, and open models lossless.
//!
//! progenitor (typify) derives plain `Deserialize` for models: one field sent as `"80"` instead of
//! `80`, `null` instead of a list, or `[]` instead of an object (PHP) rejects the whole answer, and
//! keys the spec does not list are dropped. This pass rewrites the `types` module:
//!
//! - every named-field model struct loses its derived `Deserialize` and gets
//!   `::dam_runtime::object!` instead, which decodes each field with `dam_runtime::de::Tolerant`;
//! - every *open* model (see [`crate::prepare::Prepared::closed_models`]: all models except request
//!   bodies the spec keeps closed) gets an `extra` map (`#[serde(flatten)]`) that keeps unknown keys
//!   and sends them back, and typify's builder for it carries the map through `body(..)`;
//! - a `oneOf` (typify's untagged enum of newtype variants) gets `::dam_runtime::untagged!`: exact
//!   match first, then tolerant, text last; a named map or list newtype gets `::dam_runtime::newtype!`;
//! - every other type (open enums, joined lists) gets `::dam_runtime::plain_tolerant!`.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The name of the map of unknown keys in open models (another name if a property is called that).
const EXTRA: &str = "extra";

/// Rewrites the items of the `types` module in place. `closed` names the models that keep no
/// unknown keys.
pub fn rewrite(items: &mut Vec<syn::Item>, closed: &BTreeSet<String>) -> Result<(), String> {
    let mut objects = Vec::new();
    let mut plain = Vec::new();
    let mut open = BTreeSet::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) && derives(&s.attrs, "Deserialize") => {
                if has_flatten(s) {
                    plain.push(s.ident.clone());
                    continue;
                }
                drop_derive(&mut s.attrs, "Deserialize");
                let extra = (!closed.contains(&s.ident.to_string())).then(|| add_extra(s));
                if let Some(name) = &extra {
                    open.insert((s.ident.to_string(), name.clone()));
                }
                objects.push(object_tokens(s, extra.as_ref())?);
            }
            syn::Item::Struct(s) if derives(&s.attrs, "Deserialize") => match &s.fields {
                syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                    drop_derive(&mut s.attrs, "Deserialize");
                    let (name, ty) = (&s.ident, &f.unnamed[0].ty);
                    objects.push(quote! { ::dam_runtime::newtype!(#name(#ty)); });
                }
                _ => plain.push(s.ident.clone()),
            },
            syn::Item::Enum(e) if derives(&e.attrs, "Deserialize") && is_untagged_newtypes(e) => {
                drop_derive(&mut e.attrs, "Deserialize");
                objects.push(untagged_tokens(e));
            }
            syn::Item::Enum(e) if derives(&e.attrs, "Deserialize") => plain.push(e.ident.clone()),
            _ => {}
        }
    }
    // Types with a hand-made `Deserialize` impl (open enums, joined lists) are lenient already.
    for item in items.iter() {
        if let syn::Item::Impl(i) = item
            && i.trait_
                .as_ref()
                .and_then(|(p, _)| p.segments.last())
                .is_some_and(|s| s.ident == "Deserialize")
            && let syn::Type::Path(p) = &*i.self_ty
            && let Some(last) = p.path.segments.last()
        {
            plain.push(last.ident.clone());
        }
    }
    for item in items.iter_mut() {
        if let syn::Item::Mod(m) = item
            && m.ident == "builder"
            && let Some((_, builder_items)) = m.content.as_mut()
        {
            for (model, extra) in &open {
                patch_builder(builder_items, model, extra);
            }
        }
    }
    let plain_list = quote! { ::dam_runtime::plain_tolerant!(#(#plain),*); };
    for tokens in objects.into_iter().chain([plain_list]) {
        items.push(syn::parse2(tokens).map_err(|e| format!("(generator): model rewrite: {e}"))?);
    }
    Ok(())
}

/// `#[serde(untagged)]` with only one-field tuple variants (what typify makes of a `oneOf`).
fn is_untagged_newtypes(e: &syn::ItemEnum) -> bool {
    let untagged = e.attrs.iter().filter(|a| a.path().is_ident("serde")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|m| {
            found |= m.path.is_ident("untagged");
            Ok(())
        });
        found
    });
    untagged
        && e.variants
            .iter()
            .all(|v| matches!(&v.fields, syn::Fields::Unnamed(f) if f.unnamed.len() == 1))
}

fn untagged_tokens(e: &syn::ItemEnum) -> TokenStream {
    let name = &e.ident;
    let variants: Vec<(&syn::Ident, &syn::Type)> = e
        .variants
        .iter()
        .map(|v| {
            let syn::Fields::Unnamed(f) = &v.fields else {
                unreachable!("checked")
            };
            (&v.ident, &f.unnamed[0].ty)
        })
        .collect();
    let is_text = |t: &syn::Type| quote!(#t).to_string().replace(' ', "").ends_with("String");
    let strict = variants.iter().map(|(v, t)| quote!(#v(#t)));
    let lenient = variants
        .iter()
        .filter(|(_, t)| !is_text(t))
        .chain(variants.iter().filter(|(_, t)| is_text(t)))
        .map(|(v, t)| quote!(#v(#t)));
    quote! { ::dam_runtime::untagged!(#name { #(#strict),* } then { #(#lenient),* }); }
}

fn derive_paths(attr: &syn::Attribute) -> Option<Vec<syn::Path>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        .ok()
        .map(|p| p.into_iter().collect())
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter_map(derive_paths)
        .flatten()
        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
}

fn drop_derive(attrs: &mut [syn::Attribute], name: &str) {
    for attr in attrs.iter_mut() {
        if let Some(paths) = derive_paths(attr) {
            let kept: Vec<&syn::Path> = paths
                .iter()
                .filter(|p| p.segments.last().is_none_or(|s| s.ident != name))
                .collect();
            if kept.len() != paths.len() {
                *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            }
        }
    }
}

/// What a field's `#[serde(...)]` attributes say: wire name and default.
#[derive(Default)]
struct SerdeField {
    rename: Option<String>,
    default: Option<Option<syn::Path>>,
    flatten: bool,
}

fn serde_field(field: &syn::Field) -> SerdeField {
    let mut out = SerdeField::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                out.rename = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.path.is_ident("default") {
                out.default = Some(match meta.value() {
                    Ok(v) => Some(v.parse::<syn::LitStr>()?.parse::<syn::Path>()?),
                    Err(_) => None,
                });
            } else if meta.path.is_ident("flatten") {
                out.flatten = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    out
}

fn has_flatten(s: &syn::ItemStruct) -> bool {
    s.fields.iter().any(|f| serde_field(f).flatten)
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The name of an open model's map of unknown keys, given its other fields' Rust names.
pub fn extra_field_name<'a>(taken: impl IntoIterator<Item = &'a str>) -> &'static str {
    let taken: BTreeSet<&str> = taken.into_iter().collect();
    [EXTRA, "extra_fields", "dam_extra"]
        .into_iter()
        .find(|n| !taken.contains(n))
        .expect("three names cannot all be taken")
}

/// Adds the map of unknown keys; returns its name.
fn add_extra(s: &mut syn::ItemStruct) -> String {
    let taken: Vec<String> = s
        .fields
        .iter()
        .filter_map(|f| {
            f.ident
                .as_ref()
                .map(|i| i.to_string().trim_start_matches("r#").to_string())
        })
        .collect();
    let name = extra_field_name(taken.iter().map(String::as_str)).to_string();
    let ident = format_ident!("{name}");
    let field: syn::FieldsNamed = syn::parse_quote!({
        /// Keys this version of the SDK does not know, kept as received and sent back when the
        /// model is written (so a read-modify-write never drops what the service sent).
        #[serde(flatten)]
        pub #ident: ::serde_json::Map<::std::string::String, ::serde_json::Value>
    });
    if let syn::Fields::Named(named) = &mut s.fields {
        named.named.extend(field.named);
    }
    name
}

fn object_tokens(s: &syn::ItemStruct, extra: Option<&String>) -> Result<TokenStream, String> {
    let name = &s.ident;
    let mut fields = Vec::new();
    for f in &s.fields {
        let ident = f.ident.as_ref().expect("named fields");
        if extra.is_some_and(|e| ident == e) {
            continue;
        }
        let ty = &f.ty;
        let serde = serde_field(f);
        let wire = serde.rename.unwrap_or_else(|| {
            let i = ident.to_string();
            i.strip_prefix("r#").unwrap_or(&i).to_string()
        });
        let kind = match serde.default {
            Some(Some(path)) => quote!(with #path),
            Some(None) => quote!(default),
            None if is_option(ty) => quote!(default),
            None => quote!(required),
        };
        fields.push(quote! { #ident: #ty = #wire [#kind] });
    }
    let extra = extra.map(|e| {
        let e = format_ident!("{e}");
        quote!(extra: #e)
    });
    Ok(quote! {
        ::dam_runtime::object!(#name { #(#fields),* } #extra);
    })
}

/// Carries `extra` through typify's builder of `model` (struct, `Default`, both conversions).
fn patch_builder(items: &mut [syn::Item], model: &str, extra: &str) {
    let e = format_ident!("{extra}");
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(s) if s.ident == model => {
                if let syn::Fields::Named(named) = &mut s.fields {
                    let field: syn::FieldsNamed = syn::parse_quote!({
                        #e: ::std::result::Result<::serde_json::Map<::std::string::String, ::serde_json::Value>, ::std::string::String>
                    });
                    named.named.extend(field.named);
                }
            }
            syn::Item::Impl(i) if impl_is_for(i, model) => {
                let trait_name = i
                    .trait_
                    .as_ref()
                    .and_then(|(p, _)| p.segments.last())
                    .map(|s| s.ident.to_string());
                let value: syn::Expr = match trait_name.as_deref() {
                    Some("Default") => syn::parse_quote!(Ok(Default::default())),
                    Some("TryFrom") => syn::parse_quote!(value.#e?),
                    Some("From") => syn::parse_quote!(Ok(value.#e)),
                    _ => continue,
                };
                let mut adder = AddFieldToSelf {
                    field: e.clone(),
                    value,
                };
                syn::visit_mut::VisitMut::visit_item_impl_mut(&mut adder, i);
            }
            _ => {}
        }
    }
}

/// Whether `impl` is `impl X for <model>` or `impl TryFrom<model> for super::<model>`.
fn impl_is_for(i: &syn::ItemImpl, model: &str) -> bool {
    let self_is = |name: &str| matches!(&*i.self_ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name));
    if !self_is(model) {
        return false;
    }
    // `impl From<super::Model> for Model` / `impl Default for Model` (builder side) and
    // `impl TryFrom<Model> for super::Model` (model side) all name the model on one side.
    i.trait_.is_some()
}

struct AddFieldToSelf {
    field: syn::Ident,
    value: syn::Expr,
}

impl syn::visit_mut::VisitMut for AddFieldToSelf {
    fn visit_expr_struct_mut(&mut self, s: &mut syn::ExprStruct) {
        if s.path.is_ident("Self")
            && !s
                .fields
                .iter()
                .any(|f| matches!(&f.member, syn::Member::Named(n) if *n == self.field))
        {
            let (field, value) = (&self.field, &self.value);
            s.fields.push(syn::parse_quote!(#field: #value));
        }
        syn::visit_mut::visit_expr_struct_mut(self, s);
    }
}
