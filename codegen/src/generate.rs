//! Runs progenitor on a prepared spec and turns its output into the checked-in `generated.rs`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

use crate::prepare::{Join, Prepared};
use crate::providers::{Provider, common};

/// Generates the Rust source (without header) of one SDK's `generated.rs`, and the setters of
/// every operation builder (for `tests/generated_requests.rs`).
pub fn client_source(
    spec_name: &str,
    provider: &Provider,
    prepared: &Prepared,
) -> Result<(String, crate::requests::Setters), String> {
    let api: openapiv3::OpenAPI = serde_json::from_value(prepared.document.clone())
        .map_err(|e| format!("{spec_name}: (document): not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(parse_tokens(common::INNER_TYPE))
        // Generated `send`s do not call progenitor's hooks: the rewrite below hands each request to
        // the runtime's pipeline instead (see `SendRewriter`).
        .with_hooks(HooksMode::Optional)
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
    let mut rewriter = SendRewriter {
        operations: &prepared.operations,
        credentials_in_query: provider.credentials_in_query,
        unauthenticated: &prepared.unauthenticated,
        errors: Vec::new(),
        rewritten: 0,
    };
    rewriter.visit_file_mut(&mut file);
    if !fallible_client_new(&mut file) {
        return Err(format!(
            "{spec_name}: (generator): progenitor's `Client::new` was not found"
        ));
    }
    if let Some(e) = rewriter.errors.first() {
        return Err(format!("{spec_name}: {e}"));
    }
    if rewriter.rewritten != prepared.operation_count {
        return Err(format!(
            "{spec_name}: (generator): rewrote {} of {} operations' `send`",
            rewriter.rewritten, prepared.operation_count
        ));
    }
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
    let builder_roots = crate::builders::roots(&file.items);
    let types_mod = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| format!("{spec_name}: (generator): progenitor emitted no `types` module"))?;
    types_mod.1.extend(extra_types);
    crate::models::rewrite(&mut types_mod.1, &prepared.closed_models).map_err(|e| format!("{spec_name}: {e}"))?;
    crate::builders::prune(&mut types_mod.1, &builder_roots);
    file.items.extend(
        syn::parse2::<syn::File>(provider_tokens(provider, prepared))
            .expect("valid items")
            .items,
    );
    file.items
        .push(syn::parse2(skipped_tokens(prepared)).expect("valid item"));
    let setters = crate::requests::collect_setters(&file);
    Ok((prettyplease::unparse(&file), setters))
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
                ::dam_runtime::deserialize_open_string(deserializer).map(|s| Self::from(s.as_str()))
            }
        }
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #name_str.to_string()
            }
            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                ::dam_runtime::open_enum_schema(Self::KNOWN)
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
                f.write_str(&::dam_runtime::join_display(&self.0, #shown))
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::string::String;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::dam_runtime::split_parse(value, &[#shown, #wire]).map(Self)
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&::dam_runtime::join_display(&self.0, #wire))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let text = ::dam_runtime::deserialize_open_string(deserializer)?;
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
    let title = format!(
        " What the shared runtime needs to know about {}: derived from the spec and",
        p.title
    );
    quote! {
        #[doc = #title]
        /// `codegen/src/providers.rs`, handed to `dam_runtime` by every generated call.
        pub const PROVIDER: ::dam_runtime::ProviderInfo = ::dam_runtime::ProviderInfo {
            name: #name,
            request_id_header: #header,
            reauth_statuses: &[#(#reauth),*],
            unauthenticated_operations: &[#(#unauth),*],
            idempotent_posts: &[#(#idem),*],
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
        };
        impl Client {
            /// A client without credentials, for public endpoints and tests: an HTTP client with
            /// the runtime's default [`Timeouts`](::dam_runtime::Timeouts) and the default
            /// [`RetryPolicy`](::dam_runtime::RetryPolicy).
            pub fn unauthenticated(base_url: &str) -> ::std::result::Result<Self, ::dam_runtime::Error> {
                let http = ::dam_runtime::http_client_with_agent(::dam_runtime::Timeouts::default(), PROVIDER.user_agent)?;
                Ok(Self::new_with_client(base_url, http, ::dam_runtime::ClientState::unauthenticated(&PROVIDER)))
            }
        }
    }
}

/// Hands every generated `send` to the runtime: the request progenitor builds is kept, everything
/// after it (hooks, status dispatch, decoding) becomes one `::dam_runtime::call_*` call, and the
/// return type becomes `Result<ResponseValue<T>, ::dam_runtime::Error>`. progenitor's
/// `api-version` header is dropped on the way.
struct SendRewriter<'a> {
    operations: &'a std::collections::BTreeMap<String, crate::prepare::OperationMeta>,
    /// The provider's `credentials_in_query` (see [`write_query_into_url`]).
    credentials_in_query: bool,
    /// Operations sent without credentials.
    unauthenticated: &'a std::collections::BTreeSet<String>,
    errors: Vec<String>,
    rewritten: usize,
}

impl VisitMut for SendRewriter<'_> {
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        if f.sig.ident != "send" {
            return;
        }
        let Some(model) = response_model(&f.sig.output) else {
            self.errors
                .push("(generator): a `send` does not return Result<ResponseValue<_>, _>".into());
            return;
        };
        let Some(at) = f.block.stmts.iter().position(|s| operation_id_of(s).is_some()) else {
            self.errors.push("(generator): a `send` names no operation".into());
            return;
        };
        let id = operation_id_of(&f.block.stmts[at]).expect("found above");
        let Some(meta) = self.operations.get(&id) else {
            self.errors.push(format!("{id}: (generator): unknown operation"));
            return;
        };
        f.block.stmts.truncate(at);
        // progenitor's `api-version` header: no provider wants it.
        f.block
            .stmts
            .retain(|s| !quote!(#s).to_string().contains("\"api-version\""));
        let headers_used = f.block.stmts.iter().any(|s| {
            let text = quote!(#s).to_string();
            text.contains("header_map . append") || text.contains("header_map . insert")
        });
        if !headers_used {
            f.block
                .stmts
                .retain(|s| !quote!(#s).to_string().starts_with("let mut header_map"));
            DropHeaderMap.visit_block_mut(&mut f.block);
        }
        InvalidRequestToInput.visit_block_mut(&mut f.block);
        FormThroughReqwest.visit_block_mut(&mut f.block);
        UrlWithRoom.visit_block_mut(&mut f.block);
        // Each inserts its statement right after `let url = ..;`: the credentials, inserted last,
        // come first.
        query_into_text(&mut f.block);
        if self.credentials_in_query && !self.unauthenticated.contains(&id) {
            write_query_into_url(&mut f.block, &id);
        }
        let build = make_request_again(&mut f.block);
        let (ok, other, sensitive) = (&meta.ok, &meta.other, meta.sensitive);
        let op = quote! {
            &::dam_runtime::Operation { id: #id, ok: &[#(#ok),*], other: &[#(#other),*], sensitive: #sensitive }
        };
        let model_text = quote!(#model).to_string();
        let call: syn::Expr = match model_text.as_str() {
            "ByteStream" => {
                syn::parse_quote!(::dam_runtime::call_stream(&client.client, &client.inner, #build, #op).await)
            }
            "()" => syn::parse_quote!(::dam_runtime::call_empty(&client.client, &client.inner, #build, #op).await),
            _ => {
                syn::parse_quote!(::dam_runtime::call_json::<#model>(&client.client, &client.inner, #build, #op).await)
            }
        };
        f.block.stmts.push(syn::Stmt::Expr(call, None));
        f.sig.output = syn::parse_quote!(-> ::std::result::Result<ResponseValue<#model>, ::dam_runtime::Error>);
        self.rewritten += 1;
    }
}

/// progenitor's `Client::new` builds its own reqwest client and unwraps the result: without a TLS
/// provider of reqwest's own (the SDKs bring theirs through `dam_runtime::http_client`) that is a
/// panic. It becomes a fallible constructor over the runtime's HTTP client. Whether it was found.
fn fallible_client_new(file: &mut syn::File) -> bool {
    let mut found = false;
    for item in &mut file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !matches!(&*imp.self_ty, syn::Type::Path(t) if t.path.is_ident("Client")) {
            continue;
        }
        for it in &mut imp.items {
            if let syn::ImplItem::Fn(f) = it
                && f.sig.ident == "new"
                && f.sig.inputs.len() == 2
            {
                *f = syn::parse_quote! {
                    /// A client of the API at `baseurl` (scheme, host, and port and path stem where
                    /// needed) over the HTTP client of [`::dam_runtime::http_client`] with default
                    /// timeouts. The crate's `Client::builder()` is the usual way in; this fails
                    /// only when that HTTP client cannot be built.
                    pub fn new(
                        baseurl: &str,
                        inner: ::dam_runtime::ClientState,
                    ) -> ::std::result::Result<Self, ::dam_runtime::Error> {
                        let http = ::dam_runtime::http_client(::dam_runtime::Timeouts::default())?;
                        Ok(Self::new_with_client(baseurl, http, inner))
                    }
                };
                found = true;
            }
        }
    }
    found
}

/// `T` of `Result<ResponseValue<T>, _>`.
fn response_model(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_arg = |ty: &syn::Type, name: &str| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let seg = p.path.segments.last().filter(|s| s.ident == name)?;
        let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    };
    first_arg(&first_arg(ty, "Result")?, "ResponseValue")
}

/// The operation id of `let info = OperationInfo { operation_id: "..." };`.
fn operation_id_of(stmt: &syn::Stmt) -> Option<String> {
    let syn::Stmt::Local(local) = stmt else { return None };
    let syn::Expr::Struct(s) = &*local.init.as_ref()?.expr else {
        return None;
    };
    if !s.path.is_ident("OperationInfo") {
        return None;
    }
    s.fields.iter().find_map(|f| match (&f.member, &f.expr) {
        (
            syn::Member::Named(n),
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(id), ..
            }),
        ) if n == "operation_id" => Some(id.value()),
        _ => None,
    })
}

/// Removes `.headers(header_map)` from the request builder chain.
struct DropHeaderMap;

/// progenitor's `.form_urlencoded(&body)?` (whose error type the runtime cannot name) becomes
/// reqwest's own `.form(&body)`: the same bytes and content type, a serialisation error reported by
/// `build()`.
struct FormThroughReqwest;

impl VisitMut for FormThroughReqwest {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Try(t) = expr
            && let syn::Expr::MethodCall(m) = &*t.expr
            && m.method == "form_urlencoded"
        {
            let mut call = m.clone();
            call.method = format_ident!("form");
            *expr = syn::Expr::MethodCall(call);
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// progenitor's `.query(&progenitor_client::QueryParam::new(name, &value))`, one per declared
/// parameter, taken out of the request builder's chain (in order) by [`query_into_text`].
#[derive(Default)]
struct QueryParams {
    taken: Vec<(syn::Expr, syn::Expr)>,
}

impl VisitMut for QueryParams {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(m) = expr
            && m.method == "query"
            && m.args.len() == 1
            && let Some(syn::Expr::Reference(r)) = m.args.first()
            && let syn::Expr::Call(call) = &*r.expr
            && let syn::Expr::Path(p) = &*call.func
            && quote!(#p).to_string().replace(' ', "") == "progenitor_client::QueryParam::new"
            && call.args.len() == 2
        {
            let (name, value) = (call.args[0].clone(), call.args[1].clone());
            // The receiver holds the parameters before this one.
            let mut receiver = (*m.receiver).clone();
            self.visit_expr_mut(&mut receiver);
            self.taken.push((name, value));
            *expr = receiver;
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// A call's query parameters are written into its URL's text, before reqwest parses it, by one
/// statement after `let url = ..;` (the credentials of [`write_query_into_url`] go before it):
/// `::dam_runtime::QueryText::new(&mut url).push(name, &value)?.push(..)?;`. The same bytes as
/// progenitor's chained `.query(..)` calls on the parsed URL, in the same order, without moving the
/// builder and reopening the URL once per parameter (see `dam_runtime::QueryText`).
fn query_into_text(block: &mut syn::Block) {
    let mut params = QueryParams::default();
    params.visit_block_mut(block);
    if params.taken.is_empty() {
        return;
    }
    let pushes = params.taken.iter().map(|(name, value)| quote!(.push(#name, #value)?));
    insert_after_url(
        block,
        syn::parse_quote!(::dam_runtime::QueryText::new(&mut url) #(#pushes)*;),
    );
}

/// Where progenitor's `let url = ..;` is among a `send`'s statements.
fn url_statement(block: &syn::Block) -> Option<usize> {
    block
        .stmts
        .iter()
        .position(|s| matches!(s, syn::Stmt::Local(l) if matches!(&l.pat, syn::Pat::Ident(p) if p.ident == "url")))
}

/// For a provider whose credentials travel in the query: every call gets
/// `::dam_runtime::write_query(&client.inner, "<id>", &mut url);` after its `let url = ..;`, so
/// the credentials are in the text reqwest parses rather than appended to the parsed URL, and come
/// first in the query, before the call's own parameters ([`query_into_text`] writes those after
/// it), as the provider's document writes them.
fn write_query_into_url(block: &mut syn::Block, id: &str) {
    insert_after_url(
        block,
        syn::parse_quote!(::dam_runtime::write_query(&client.inner, #id, &mut url);),
    );
}

/// Inserts `stmt` right after `let url = ..;`, which becomes `let mut url`, so `stmt` can write
/// into the URL's text. Nothing happens to a `send` without that statement.
fn insert_after_url(block: &mut syn::Block, stmt: syn::Stmt) {
    let Some(at) = url_statement(block) else {
        return;
    };
    if let syn::Stmt::Local(local) = &mut block.stmts[at]
        && let syn::Pat::Ident(name) = &mut local.pat
    {
        name.mutability = Some(Default::default());
    }
    block.stmts.insert(at + 1, stmt);
}

/// The statements that make a call's request, from `let url = ..` to `let mut request = ..build()?;`,
/// become a closure the runtime calls for the first attempt and again for a resend
/// (`::dam_runtime::Build::Again`), so no copy of the request is kept while it is on the wire. A
/// request whose body moves a value it cannot make twice (`.body(..)`, `.multipart(..)`) stays as
/// it is (`Build::Once`). The argument to hand to `call_*`.
fn make_request_again(block: &mut syn::Block) -> syn::Expr {
    let once: syn::Expr = syn::parse_quote!(::dam_runtime::Build::Once(::std::boxed::Box::new(request)));
    let Some(at) = url_statement(block) else {
        return once;
    };
    let made = &block.stmts[at..];
    let text = quote!(#(#made)*).to_string();
    if text.contains(". body (") || text.contains(". multipart (") || !text.contains("let mut request =") {
        return once;
    }
    let mut made: Vec<syn::Stmt> = block.stmts.drain(at..).collect();
    for stmt in &mut made {
        BorrowOptionalHeaders.visit_stmt_mut(stmt);
    }
    block.stmts.push(syn::parse_quote! {
        let request = || -> ::std::result::Result<::reqwest::Request, ::dam_runtime::Error> {
            #(#made)*
            Ok(request)
        };
    });
    syn::parse_quote!(::dam_runtime::Build::Again(&request))
}

/// progenitor's `if let Some(value) = name { header_map.append(..) }` for an optional header
/// parameter moves `name`; inside [`make_request_again`]'s closure it borrows it instead
/// (`= &name`): the closure is called once per attempt.
struct BorrowOptionalHeaders;

impl VisitMut for BorrowOptionalHeaders {
    fn visit_expr_let_mut(&mut self, binding: &mut syn::ExprLet) {
        if let syn::Expr::Path(p) = &*binding.expr
            && p.path.get_ident().is_some()
        {
            let name = p.clone();
            *binding.expr = syn::parse_quote!(&#name);
        }
        syn::visit_mut::visit_expr_let_mut(self, binding);
    }
}

/// progenitor's `let url = format!("{}/path", client.baseurl, ..);` becomes
/// `::dam_runtime::format_url!(..)` with the same arguments: the same text in a string sized for a
/// URL at once (`format!` starts from the literal pieces and grows twice).
///
/// A path key's `#variant` (operations that share a path, see `prepare::wire_path`) is cut off the
/// format string here: a fragment never reaches the wire, and in the URL it would be taken off and
/// put back (a copy, and the URL grown again) by every query parameter appended later.
struct UrlWithRoom;

/// `tokens` (a `format!` call's arguments) with the `#fragment` of the format string cut off, when
/// it has one without placeholders.
fn without_fragment(tokens: &TokenStream) -> TokenStream {
    let mut rest = tokens.clone().into_iter();
    let Some(first) = rest.next() else {
        return tokens.clone();
    };
    let Ok(literal) = syn::parse2::<syn::LitStr>(first.into()) else {
        return tokens.clone();
    };
    match literal.value().split_once('#') {
        Some((path, fragment)) if !fragment.contains(['{', '}']) => {
            let path = syn::LitStr::new(path, literal.span());
            let mut out = quote!(#path);
            out.extend(rest);
            out
        }
        _ => tokens.clone(),
    }
}

impl VisitMut for UrlWithRoom {
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        if let syn::Pat::Ident(name) = &local.pat
            && name.ident == "url"
            && let Some(init) = &mut local.init
            && let syn::Expr::Macro(m) = &mut *init.expr
            && m.mac.path.is_ident("format")
        {
            m.mac.path = syn::parse_quote!(::dam_runtime::format_url);
            m.mac.tokens = without_fragment(&m.mac.tokens);
        }
        syn::visit_mut::visit_local_mut(self, local);
    }
}

impl VisitMut for DropHeaderMap {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(m) = expr
            && m.method == "headers"
            && m.args.len() == 1
            && quote!(#m).to_string().ends_with(". headers (header_map)")
        {
            *expr = (*m.receiver).clone();
            self.visit_expr_mut(expr);
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// progenitor's `Error::InvalidRequest` (a builder argument that did not convert) becomes the
/// runtime's `Error::InvalidInput`, which has the same shape.
struct InvalidRequestToInput;

impl VisitMut for InvalidRequestToInput {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if names == ["Error", "InvalidRequest"] {
            *path = syn::parse_quote!(::dam_runtime::Error::InvalidInput);
        }
        syn::visit_mut::visit_path_mut(self, path);
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

#[cfg(test)]
mod tests {
    use super::without_fragment;
    use quote::quote;

    #[test]
    fn a_variant_fragment_is_cut_off_the_url() {
        let cut = |tokens: proc_macro2::TokenStream| without_fragment(&tokens).to_string();
        assert_eq!(
            cut(quote!("{}/webapp/1.0/resources#root-folder", client.baseurl,)),
            quote!("{}/webapp/1.0/resources", client.baseurl,).to_string()
        );
        // Nothing to cut, or a fragment with a placeholder (its argument would be left over).
        assert_eq!(
            cut(quote!("{}/folder/{}", client.baseurl, id)),
            quote!("{}/folder/{}", client.baseurl, id).to_string()
        );
        assert_eq!(
            cut(quote!("{}/a#{}", client.baseurl, x)),
            quote!("{}/a#{}", client.baseurl, x).to_string()
        );
    }
}
