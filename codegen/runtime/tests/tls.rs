//! TLS on the wire, offline: a loopback TLS server (rustls with ring) with a certificate from a
//! test CA (`tests/tls/`). reqwest is compiled without a crypto provider of its own under the
//! default `rustls` feature, so these requests only work through the configuration the runtime
//! builds ([`dam_runtime::rustls_config`]).
#![cfg(feature = "rustls")]

use std::sync::Arc;

use dam_runtime::{Error, Timeouts};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CA: &[u8] = include_bytes!("tls/ca.pem");
const CERT: &[u8] = include_bytes!("tls/localhost.pem");
const KEY: &[u8] = include_bytes!("tls/localhost.key");

/// A TLS server on 127.0.0.1 that answers every request `200 hello` (HTTP/1.1) and records the
/// ALPN protocol each connection negotiated.
async fn tls_server() -> (u16, Arc<std::sync::Mutex<Vec<Option<Vec<u8>>>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(CERT).unwrap()],
            PrivateKeyDer::from_pem_slice(KEY).unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let alpn = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = alpn.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                // A refused handshake (the client distrusts the certificate) ends here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                seen.lock()
                    .unwrap()
                    .push(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec));
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, alpn)
}

#[tokio::test]
async fn https_works_with_the_runtime_tls_configuration() {
    let (port, alpn) = tls_server().await;
    // The runtime's configuration (provider, versions, ALPN) with the test CA as the only root in
    // place of the platform's trust store, which does not know it.
    let mut config = dam_runtime::rustls_config().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(CA).unwrap()).unwrap();
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), config.crypto_provider().clone())
            .build()
            .unwrap();
    config.dangerous().set_certificate_verifier(verifier);
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let response = http.get(format!("https://{host}:{port}/")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "hello");
    }
    assert_eq!(alpn.lock().unwrap()[0].as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn the_sdk_client_checks_certificates_against_the_platform_trust_store() {
    let (port, _) = tls_server().await;
    let http = dam_runtime::http_client(Timeouts::default()).unwrap();
    let result = http.get(format!("https://localhost:{port}/")).send().await;
    let e = Error::from(result.expect_err("a certificate from an unknown CA is refused"));
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        chain.push_str(&format!("{s}; "));
        source = s.source();
    }
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
}
