//! TLS of the HTTP clients the SDKs build.
//!
//! Every provider is reached over `https`; which TLS stack does it is a compile-time choice made
//! with the SDK crates' (and this crate's) features:
//!
//! | feature | TLS stack | build cost |
//! | --- | --- | --- |
//! | `rustls` (default) | rustls with the `ring` crypto provider, the platform's certificate verifier | Rust and a little C/assembly, no CMake |
//! | `aws-lc-rs` | rustls with the `aws-lc-rs` provider (reqwest's own rustls setup) | builds the AWS-LC C library (~30 s more from cold) |
//! | `native-tls` (without the two above) | OpenSSL, SChannel or Security.framework | links the system library |
//!
//! With the default `rustls` feature, reqwest is compiled *without* a built-in crypto provider
//! (`rustls-no-provider`), and [`http_client`](crate::http_client) hands it a finished rustls
//! configuration ([`rustls_config`]): the process-wide default `CryptoProvider` when the
//! application installed one (`rustls::crypto::…::default_provider().install_default()`), else
//! `ring`; certificates checked by `rustls-platform-verifier` (the operating system's trust store
//! and revocation rules); TLS 1.3 and 1.2; ALPN `http/1.1` (and `h2` first with the `http2`
//! feature). Nothing process-wide is changed.
//!
//! A `reqwest::Client` built elsewhere, such as `reqwest::Client::new()`, does not get this
//! configuration: in a program whose only TLS feature is the
//! default `rustls`, reqwest then needs a process-wide provider (install one first, enable
//! reqwest's own `rustls` feature, or build the client from [`rustls_config`] with
//! `reqwest::ClientBuilder::tls_backend_preconfigured`). The SDK builders always use
//! [`http_client`](crate::http_client) unless given a client, and so does the generated
//! `Client::new`.

#[cfg(feature = "rustls")]
use std::sync::Arc;

use crate::Error;

/// The rustls configuration the SDKs' HTTP clients use (see the [module docs](self)): the
/// process-wide default crypto provider if one is installed, else `ring`; the platform's
/// certificate verifier; TLS 1.3 and 1.2; ALPN `http/1.1` (after `h2` with the `http2` feature).
/// Fails ([`Error::InvalidInput`]) only when the platform's trust store cannot be used at all.
#[cfg(feature = "rustls")]
pub fn rustls_config() -> Result<rustls::ClientConfig, Error> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| Error::InvalidInput(format!("the platform's certificate verifier is unusable: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::InvalidInput(format!("the crypto provider cannot do TLS 1.2 or 1.3: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// Puts this build's TLS configuration on a client builder.
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, Error> {
    #[cfg(all(feature = "rustls", not(feature = "aws-lc-rs")))]
    return Ok(builder.tls_backend_preconfigured(rustls_config()?));
    // reqwest's own rustls setup (aws-lc-rs), also when native-tls is compiled in beside it.
    #[cfg(feature = "aws-lc-rs")]
    return Ok(builder.tls_backend_rustls());
    #[cfg(not(any(feature = "rustls", feature = "aws-lc-rs")))]
    Ok(builder)
}

#[cfg(all(test, feature = "rustls"))]
mod tests {
    use super::*;

    #[test]
    fn the_default_tls_is_rustls_with_ring_and_the_platform_verifier() {
        let config = rustls_config().expect("a TLS configuration");
        // ring, as no crypto provider was installed process-wide (and none is installed here).
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        let keys = format!("{:?}", config.crypto_provider().key_provider);
        assert_eq!(keys, "Ring");
        let suites: Vec<String> = config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        assert!(suites.iter().any(|s| s.starts_with("TLS13_")), "{suites:?}");
        assert!(
            suites.iter().any(|s| s.starts_with("TLS_ECDHE_")),
            "TLS 1.2 too: {suites:?}"
        );
        let alpn: Vec<&[u8]> = config.alpn_protocols.iter().map(Vec::as_slice).collect();
        if cfg!(feature = "http2") {
            assert_eq!(alpn, [&b"h2"[..], b"http/1.1"]);
        } else {
            assert_eq!(alpn, [&b"http/1.1"[..]]);
        }
    }

    #[test]
    fn the_sdk_client_builds_with_it() {
        // reqwest is compiled without a provider of its own: without the preconfigured TLS this
        // would panic ("No rustls crypto provider is configured").
        crate::http_client(crate::Timeouts::default()).expect("an HTTP client with TLS");
    }
}
