//! Facts about a provider and its operations, as data the generated code hands to the runtime.

/// What the runtime needs to know about a provider. Each SDK crate's value is generated from its
/// spec and `codegen/src/providers.rs` (`sdk_x::PROVIDER`).
#[derive(Debug, Clone, Copy)]
pub struct ProviderInfo {
    /// Short provider name, recorded on every span and named in error messages.
    pub name: &'static str,
    /// Response header carrying the provider's request id (lower case).
    pub request_id_header: &'static str,
    /// Statuses after which fresh credentials are obtained and the request is resent once.
    pub reauth_statuses: &'static [u16],
    /// Operations sent without credentials (`security: []` in the spec).
    pub unauthenticated_operations: &'static [&'static str],
    /// POST operations that are safe to retry (`x-dam-idempotent` in the spec).
    pub idempotent_posts: &'static [&'static str],
    /// The `User-Agent` of HTTP clients the SDK builds (`sdk-x/0.1.0`).
    pub user_agent: &'static str,
}

impl ProviderInfo {
    /// Whether `operation` is sent without credentials.
    pub fn is_unauthenticated(&self, operation: &str) -> bool {
        self.unauthenticated_operations.contains(&operation)
    }

    /// The provider's request id from response headers (its own header, else `X-Request-Id`).
    pub fn request_id(&self, headers: &http::HeaderMap) -> Option<String> {
        headers
            .get(self.request_id_header)
            .or_else(|| headers.get("x-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// One generated operation, as the generated `send` hands it to the runtime.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// Success statuses whose body is the operation's model.
    pub ok: &'static [u16],
    /// Success statuses the spec documents with a *different* body (handled by hand-written code);
    /// they surface as [`Error::UnexpectedStatus`](crate::Error::UnexpectedStatus) with the body.
    pub other: &'static [u16],
    /// The success body can hold a credential (the model has a `Secret` field): a decode error
    /// then carries no excerpt of it.
    pub sensitive: bool,
}
