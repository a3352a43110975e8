//! Per-provider generator settings: the one place that says how each spec becomes a crate.
//!
//! Everything here is a *setting*. What an operation does lives in the spec; how auth, retries and
//! pagination work lives in the SDK crate's hand-written files.

/// How one provider's spec becomes one SDK crate.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// Short name used on the command line (`--provider skyfish`).
    pub name: &'static str,
    /// Human name, used in generated docs.
    pub title: &'static str,
    /// The spec, relative to the workspace root.
    pub spec: &'static str,
    /// The SDK crate's folder, relative to the workspace root.
    pub crate_dir: &'static str,
    /// The SDK crate's name as written in Rust paths.
    pub crate_ident: &'static str,
    /// Response header that carries the provider's request id, lower case.
    pub request_id_header: &'static str,
    /// Statuses after which the client obtains fresh credentials and resends once.
    pub reauth_statuses: &'static [u16],
    /// Whether the credentials travel in the query: then each generated call lets the
    /// authenticator write them into the URL's text before it is parsed, ahead of the call's own
    /// query parameters (`dam_runtime::write_query`).
    pub credentials_in_query: bool,
}

/// The four providers, in the order the README lists them.
pub const PROVIDERS: &[Provider] = &[
    Provider {
        name: "skyfish",
        title: "Skyfish",
        spec: "specs/skyfish.yaml",
        crate_dir: "sdk-skyfish",
        crate_ident: "sdk_skyfish",
        // Every Skyfish answer carries it (facts.md).
        request_id_header: "x-cbx-request-id",
        reauth_statuses: &[401],
        credentials_in_query: false,
    },
    Provider {
        name: "ci",
        title: "Sony Ci Media Cloud",
        spec: "specs/ci.yaml",
        crate_dir: "sdk-ci",
        crate_ident: "sdk_ci",
        request_id_header: "x-request-id",
        reauth_statuses: &[401],
        credentials_in_query: false,
    },
    Provider {
        name: "mediagraph",
        title: "Mediagraph",
        spec: "specs/mediagraph.yaml",
        crate_dir: "sdk-mediagraph",
        crate_ident: "sdk_mediagraph",
        // A Rails service: it answers with X-Request-Id.
        request_id_header: "x-request-id",
        reauth_statuses: &[401],
        credentials_in_query: false,
    },
    Provider {
        name: "intelligencebank",
        title: "IntelligenceBank",
        spec: "specs/intelligencebank.yaml",
        crate_dir: "sdk-intelligencebank",
        crate_ident: "sdk_intelligencebank",
        request_id_header: "x-request-id",
        // A timed-out session is answered with 401, sometimes 403 (facts.md).
        reauth_statuses: &[401, 403],
        // The session's `p10`/`p20`/`p60` (facts.md).
        credentials_in_query: true,
    },
];

/// A fixture "provider" built from `codegen/tests/fixtures/mini.yaml` into the unpublished crate
/// `codegen/fixture-sdk`, whose tests exercise the shared runtime end to end.
pub const FIXTURE: Provider = Provider {
    name: "fixture",
    title: "Fixture",
    spec: "codegen/tests/fixtures/mini.yaml",
    crate_dir: "codegen/fixture-sdk",
    crate_ident: "fixture_sdk",
    request_id_header: "x-request-id",
    reauth_statuses: &[401],
    credentials_in_query: false,
};

/// Settings shared by every provider.
pub mod common {
    /// The state every generated `Client` carries (provider, auth, retry policy).
    pub const INNER_TYPE: &str = "::dam_runtime::ClientState";
    /// Where the runtime's tolerant types live: the shared `dam-runtime` crate.
    pub const RUNTIME_PATH: &str = "::dam_runtime";
    /// Where the generated models live inside an SDK crate.
    pub const TYPES_PATH: &str = "crate::generated::types";
    /// Extra derives on every generated model (schemars is added behind the `schemars` feature).
    pub const DERIVES: &[&str] = &["PartialEq"];
    /// `Client::new` (which we do not use) gets this total timeout; the hand-written builders set
    /// connect and read timeouts and no total timeout, so long transfers are not cut.
    pub const NEW_CLIENT_TIMEOUT_SECS: u64 = 300;
    /// Runtime types a spec may name with `x-dam-type`.
    pub const RUNTIME_TYPES: &[&str] = &["LooseId", "LooseInt", "LooseFloat", "LooseBool", "Timestamp", "Secret"];
    /// Runtime types without `Display`/`FromStr` (a secret must not print).
    pub const OPAQUE_RUNTIME_TYPES: &[&str] = &["Secret"];
}

/// Looks a provider up by its short name.
pub fn find(name: &str) -> Option<&'static Provider> {
    PROVIDERS
        .iter()
        .chain(std::iter::once(&FIXTURE))
        .find(|p| p.name == name)
}

/// Everything `cargo xtask codegen` generates: the four providers and the fixture.
pub fn all() -> impl Iterator<Item = &'static Provider> {
    PROVIDERS.iter().chain(std::iter::once(&FIXTURE))
}
