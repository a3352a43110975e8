//! A real HTTP/1.1 server on loopback for this crate's tests: it records every request (method,
//! path, query, headers, body) and answers with whatever the test's handler returns.
//!
//! Emitted from `codegen/templates/test_support.rs` into every SDK crate's `tests/support/`.

#![allow(dead_code, missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The raw query string, exactly as sent (no decoding), when there was one.
    pub query: Option<String>,
    /// Header names are lower case; repeated headers appear once per value.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
    /// The decoded query pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url_pairs(self.query.as_deref().unwrap_or(""))
    }
    /// The first decoded value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// The body decoded as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// The body decoded as a form.
    pub fn form(&self) -> Vec<(String, String)> {
        url_pairs(&String::from_utf8_lossy(&self.body))
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Decodes `a=1&b=x+y` into pairs (`+` is a space, `%XX` escapes are decoded).
pub fn url_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(())
                {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many body bytes, then drop the connection (a truncated transfer).
    pub cut_after: Option<usize>,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cut_after: None,
            delay: None,
        }
    }
    pub fn json(status: u16, value: serde_json::Value) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(value.to_string().into_bytes())
    }
    pub fn text(status: u16, text: &str) -> Self {
        Self::status(status)
            .header("content-type", "text/plain")
            .body(text.as_bytes().to_vec())
    }
    pub fn bytes(status: u16, body: Vec<u8>) -> Self {
        Self::status(status)
            .header("content-type", "application/octet-stream")
            .body(body)
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
    pub fn cut_after(mut self, n: usize) -> Self {
        self.cut_after = Some(n);
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// The server. It stops when dropped (its task ends with the test's runtime).
pub struct MockServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl MockServer {
    /// Starts a server on 127.0.0.1 with an ephemeral port.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let task_log = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = task_log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let log = log.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            let recorded = Recorded {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_string(),
                                query: parts.uri.query().map(str::to_string),
                                headers: parts
                                    .headers
                                    .iter()
                                    .map(|(n, v)| {
                                        (
                                            n.as_str().to_string(),
                                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                        )
                                    })
                                    .collect(),
                                body: body.to_vec(),
                            };
                            let reply = handler(&recorded);
                            log.lock().unwrap().push(recorded);
                            if let Some(d) = reply.delay {
                                tokio::time::sleep(d).await;
                            }
                            Ok::<_, Infallible>(build_response(reply))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, log }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose path is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }
}

type BoxBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

fn build_response(reply: Reply) -> hyper::Response<BoxBody> {
    let full_len = reply.body.len();
    let body: BoxBody = match reply.cut_after {
        None => Full::new(Bytes::from(reply.body))
            .map_err(|never| match never {})
            .boxed(),
        Some(n) => {
            // Send the head, give hyper time to flush it, then fail the body: the client sees
            // exactly `n` bytes and then a broken connection.
            let head = Bytes::from(reply.body[..n.min(reply.body.len())].to_vec());
            let frames = futures::stream::unfold(0u8, move |step| {
                let head = head.clone();
                async move {
                    match step {
                        0 => Some((Ok(Frame::data(head)), 1)),
                        1 => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Some((
                                Err(std::io::Error::new(
                                    std::io::ErrorKind::ConnectionReset,
                                    "cut by the test",
                                )),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            StreamBody::new(frames).boxed()
        }
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status).expect("valid status");
    for (n, v) in reply.headers {
        response.headers_mut().append(
            hyper::header::HeaderName::from_bytes(n.as_bytes()).expect("header name"),
            hyper::header::HeaderValue::from_str(&v).expect("header value"),
        );
    }
    if reply.cut_after.is_some() && !response.headers().contains_key("content-length") {
        response.headers_mut().insert("content-length", full_len.into());
    }
    response
}
