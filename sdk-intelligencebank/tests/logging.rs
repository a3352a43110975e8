//! Logs of a session's life (login, a v3 call, a refused call, a failed re-login) carry no
//! credentials.
//! Alone in its test binary: `tracing` caches per-callsite interest process-wide, so a capturing
//! subscriber must not race with other tests' threads.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dam_test_server::{MockServer, Reply};
use sdk_intelligencebank::{Client, Error, RetryPolicy};
use serde_json::json;

const APIKEY: &str = "4a0658df9084f078d0cbc506e0f29b57";
const USERUUID: &str = "4717c0b468e7a1d00872f56c81164ec1";
const SID: &str = "eef24c07ebd40fafbb6ab216aa0d1ade";
const PASSWORD: &str = "mypassword";
const LOGIN: &str = "/webapp/1.0/login";

/// Every span and event field, as text.
#[derive(Clone, Default)]
struct Capture {
    text: Arc<Mutex<String>>,
    ids: Arc<AtomicU64>,
}

struct Fields(Arc<Mutex<String>>);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let mut text = self.0.lock().unwrap();
        text.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        self.text.lock().unwrap().push_str(span.metadata().name());
        span.record(&mut Fields(self.text.clone()));
        tracing::span::Id::from_u64(self.ids.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(self.text.clone()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut Fields(self.text.clone()));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn logs_show_no_credentials() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN if l.load(Ordering::SeqCst) == 0 => {
            l.fetch_add(1, Ordering::SeqCst);
            // v3 on the same loopback server (its `/api/` paths).
            let v3 = format!("http://{}", r.header("host").unwrap_or_default());
            Reply::json(
                200,
                json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": SID, "clientid": "7", "apiV3url": v3}),
            )
        }
        LOGIN => Reply::json(200, json!({"message": "Bad password mypassword"})),
        path if path.starts_with("/api/3.0.0/7/") => Reply::json(200, json!({"response": {"count": 0, "rows": []}})),
        _ => Reply::json(401, json!({"message": "expired"})),
    })
    .await;
    let client = Client::builder()
        .platform("test.intelligencebank.com")
        .api_base_url(server.url())
        .credentials("joe.blow@test.com", PASSWORD)
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .await
        .unwrap();
    let search = sdk_intelligencebank::v3::SearchParams::new().keywords("x");
    client
        .v3()
        .list_resources(&sdk_intelligencebank::v3::Table::resource(), &search)
        .await
        .unwrap();
    let err = client.get_root_folder().send().await.unwrap_err();
    // The session was refused and the new login failed: an auth error with the login's reason,
    // the echoed password redacted.
    assert!(
        matches!(&err, Error::Auth(m) if m.contains("Bad password") && m.contains("401") && !m.contains(PASSWORD)),
        "{err:?}"
    );
    let text = capture.text.lock().unwrap().clone();
    assert!(text.contains("dam_request"), "nothing captured: {text}");
    assert!(text.contains("v3_list_resources"), "{text}");
    assert!(text.contains("could not renew credentials"), "{text}");
    for secret in [PASSWORD, APIKEY, SID, USERUUID] {
        assert!(!text.contains(secret), "{secret} in logs: {text}");
    }
}
