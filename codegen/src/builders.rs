//! Keeps typify's model builders only for the models a caller sends.
//!
//! In builder style progenitor has typify write a builder for every struct model
//! (`types::builder::X`, with `X::builder()`, `Default`, setters and the two conversions). An
//! operation's `body_map` uses the builder of its body, and a caller assembles the models inside a
//! body (`NewTag` inside a tag body) with theirs. A model that only ever arrives in an answer is
//! decoded, never assembled, and its builder is dead weight: in Mediagraph's 220 operations, 128 of
//! the 205 builders were for such models, about a third of the generated file and of the crate's
//! compile time.
//!
//! The models that keep a builder are the bodies named by the operation builders
//! (`types::builder::X` outside the `types` module) and every model their definitions mention,
//! followed to the end. The rest lose the builder items and their `X::builder()` constructor.
//! A test that wants an answer model builds it from JSON (`serde_json::from_value`), which the
//! tolerant decoding makes short.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

/// The doc comment of the `types::builder` module.
const BUILDER_DOC: &str = " Builders for the models a request sends and the models inside them (`X::builder()`, then \
     setters, then `try_into()` or an operation's `body_map`). Models that only arrive in answers \
     have none: decode them from JSON (`serde_json::from_value`).";

/// The models named as `types::builder::X` outside the `types` module of the generated file's
/// `items` (the bodies of the operation builders' `body_map`).
pub fn roots(items: &[syn::Item]) -> BTreeSet<String> {
    let mut roots = BTreeSet::new();
    for item in items {
        if !matches!(item, syn::Item::Mod(m) if m.ident == "types") {
            builder_paths(item.to_token_stream(), &mut Vec::new(), &mut roots);
        }
    }
    roots
}

/// Removes the builders of models no request reaches. `types` is the `types` module's items and
/// `roots` what [`roots`] found. Returns how many builders were kept and how many removed.
pub fn prune(types: &mut Vec<syn::Item>, roots: &BTreeSet<String>) -> (usize, usize) {
    let models: BTreeMap<String, BTreeSet<String>> = types
        .iter()
        .filter_map(|item| {
            let (name, tokens) = match item {
                syn::Item::Struct(s) => (s.ident.to_string(), s.fields.to_token_stream()),
                syn::Item::Enum(e) => (e.ident.to_string(), e.variants.to_token_stream()),
                syn::Item::Type(t) => (t.ident.to_string(), t.ty.to_token_stream()),
                _ => return None,
            };
            let mut idents = BTreeSet::new();
            idents_in(tokens, &mut idents);
            Some((name, idents))
        })
        .collect();
    let mut keep = BTreeSet::new();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if let Some(mentions) = models.get(&name)
            && keep.insert(name)
        {
            todo.extend(mentions.iter().filter(|m| models.contains_key(*m)).cloned());
        }
    }

    let (mut kept, mut removed) = (0, 0);
    for item in types.iter_mut() {
        if let syn::Item::Mod(m) = item
            && m.ident == "builder"
            && let Some((_, items)) = m.content.as_mut()
        {
            m.attrs.retain(|a| !a.path().is_ident("doc"));
            m.attrs.insert(0, syn::parse_quote!(#[doc = #BUILDER_DOC]));
            items.retain(|item| {
                let subject = match item {
                    syn::Item::Struct(s) => Some(s.ident.to_string()),
                    syn::Item::Impl(i) => last_ident(&i.self_ty),
                    _ => None,
                };
                let retain = subject.is_none_or(|s| keep.contains(&s));
                if let syn::Item::Struct(_) = item {
                    if retain {
                        kept += 1;
                    } else {
                        removed += 1;
                    }
                }
                retain
            });
        }
    }
    types.retain(|item| match item {
        syn::Item::Impl(i) if i.trait_.is_none() && only_builder_fn(i) => {
            last_ident(&i.self_ty).is_some_and(|s| keep.contains(&s))
        }
        _ => true,
    });
    (kept, removed)
}

/// `impl X { pub fn builder() -> builder::X { .. } }` and nothing else.
fn only_builder_fn(i: &syn::ItemImpl) -> bool {
    !i.items.is_empty()
        && i.items
            .iter()
            .all(|it| matches!(it, syn::ImplItem::Fn(f) if f.sig.ident == "builder"))
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Every `X` in a `types :: builder :: X` path, `window` holding the idents and `::`s just seen.
fn builder_paths(tokens: TokenStream, window: &mut Vec<String>, out: &mut BTreeSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                builder_paths(g.stream(), &mut Vec::new(), out);
                window.clear();
            }
            TokenTree::Ident(i) => {
                let name = i.to_string();
                if window.len() >= 6 && window[window.len() - 6..] == ["types", ":", ":", "builder", ":", ":"] {
                    out.insert(name.clone());
                }
                window.push(name);
            }
            TokenTree::Punct(p) => window.push(p.as_char().to_string()),
            TokenTree::Literal(_) => window.clear(),
        }
    }
}

fn idents_in(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => idents_in(g.stream(), out),
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(src: &str) -> Vec<syn::Item> {
        syn::parse_str::<syn::File>(src).expect("test source parses").items
    }

    #[test]
    fn keeps_builders_of_bodies_and_what_they_contain_only() {
        let mut types = items(
            "pub struct Body { pub tag: Option<Tag> }
             pub struct Tag { pub name: String, pub kind: Kind }
             pub enum Kind { A(Leaf) }
             pub struct Leaf { pub x: i64 }
             pub struct Answer { pub tag: Tag }
             impl Body { pub fn builder() -> builder::Body { Default::default() } }
             impl Tag { pub fn builder() -> builder::Tag { Default::default() } }
             impl Leaf { pub fn builder() -> builder::Leaf { Default::default() } }
             impl Answer { pub fn builder() -> builder::Answer { Default::default() } }
             impl Answer { pub fn other(&self) {} }
             /// Types for composing complex structures.
             pub mod builder {
                 pub struct Body { tag: Result<Option<super::Tag>, String> }
                 impl Default for Body { fn default() -> Self { todo!() } }
                 pub struct Tag { name: Result<String, String> }
                 impl TryFrom<Tag> for super::Tag { type Error = String; fn try_from(_: Tag) -> Result<Self, String> { todo!() } }
                 pub struct Leaf { x: Result<i64, String> }
                 pub struct Answer { tag: Result<super::Tag, String> }
                 impl Default for Answer { fn default() -> Self { todo!() } }
                 impl From<super::Answer> for Answer { fn from(_: super::Answer) -> Self { todo!() } }
             }",
        );
        let file = items(
            "pub mod types { pub mod builder { pub struct Answer {} } fn f() -> types::builder::Answer { todo!() } }
             pub mod builder {
                 pub struct CreateTag { body: Result<types::builder::Body, String> }
                 pub struct GetAnswer { id: Result<types::Answer, String> }
             }",
        );
        let roots = roots(&file);
        assert_eq!(
            roots,
            BTreeSet::from(["Body".to_string()]),
            "only paths outside `types`"
        );
        assert_eq!(prune(&mut types, &roots), (3, 1));
        let text = types
            .iter()
            .map(|i| i.to_token_stream().to_string())
            .collect::<String>();
        assert!(text.contains("impl Body"), "{text}");
        assert!(text.contains("impl Leaf"), "reached through an enum: {text}");
        assert!(text.contains("pub fn other"), "other impls stay: {text}");
        assert!(!text.contains("fn builder () -> builder :: Answer"), "{text}");
        assert!(!text.contains("pub struct Answer { tag : Result"), "{text}");
        assert!(!text.contains("for Answer"), "{text}");
        assert!(
            text.contains("pub struct Answer { pub tag : Tag }"),
            "the model stays: {text}"
        );
    }
}
