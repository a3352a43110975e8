//! Every call emits one `tracing` span with operation, method, status, attempts, duration and
//! request id, and never a credential or URL. (Its own test binary: tracing caches callsite interest
//! per process, so a scoped subscriber must not race other tests.)

use std::sync::Arc;

use dam_test_server::{MockServer, Reply};
use fixture_sdk::Client;
use fixture_sdk::runtime::{self, ClientState};
use serde_json::json;

#[derive(Debug)]
struct StaticToken;

impl runtime::Authenticator for StaticToken {
    fn authorize<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
    ) -> futures_util::future::BoxFuture<'a, Result<(), fixture_sdk::Error>> {
        Box::pin(async move { runtime::set_header(request, reqwest::header::AUTHORIZATION, "Token t0", true) })
    }
    fn reauthenticate<'a>(
        &'a self,
        _: &'a reqwest::Request,
    ) -> futures_util::future::BoxFuture<'a, Result<(), fixture_sdk::Error>> {
        Box::pin(async { Ok(()) })
    }
}

fn client(server: &MockServer) -> Client {
    let http = runtime::http_client(runtime::Timeouts::default()).unwrap();
    Client::new_with_client(
        &server.url(),
        http,
        ClientState::new(&fixture_sdk::PROVIDER, Arc::new(StaticToken), Default::default()),
    )
}

#[derive(Clone, Default)]
struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_call_has_a_span_without_secrets() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = MockServer::start(|_| Reply::json(200, json!({"progress": 1})).header("x-request-id", "req-9")).await;
    client(&server)
        .file_info()
        .fileuuid("secret-session-id")
        .send()
        .await
        .unwrap();
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("dam_request"), "log: {log:?}");
    for field in [
        "operation=\"file_info\"",
        "method=GET",
        "status=200",
        "request_id=\"req-9\"",
        "attempts=1",
        "duration_ms=",
    ] {
        assert!(log.contains(field), "{field} missing in {log}");
    }
    assert!(!log.contains("secret-session-id"), "{log}");
    assert!(!log.contains("Token t0"), "{log}");
}
