//! The one error type of every SDK call, and the tolerant error body.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The error of every call in the SDK crates, generated or hand-written.
///
/// Match on the variant to tell apart *the service refused* ([`Error::Api`]), *credentials were
/// refused* ([`Error::Auth`]), *could not reach the service or lost the connection*
/// ([`Error::Transport`]), *the answer did not fit the model* ([`Error::Decode`]) and *bad input
/// from the caller* ([`Error::InvalidInput`]). No variant ever holds a credential: URLs are dropped
/// from transport errors, and excerpts of answers that can carry tokens are withheld.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status (4xx or 5xx).
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The provider's error code, when the body has one (Ci's `code`, OAuth's `error`).
        code: Option<String>,
        /// The provider's message text alone (`message`, `error_description`, …), when there is one.
        message: Option<String>,
        /// The provider's request id (for support tickets), when it sent one.
        request_id: Option<String>,
        /// Everything else about the answer: the whole body, headers, `Retry-After`.
        details: Box<ApiError>,
    },
    /// The service answered with a success (or redirect) status that this operation does not model,
    /// for example a 202 while a resource is still being prepared. The body is kept.
    UnexpectedStatus {
        /// The status.
        status: StatusCode,
        /// The provider's request id, when it sent one.
        request_id: Option<String>,
        /// The body as received (at most 1 MiB).
        body: bytes::Bytes,
    },
    /// Credentials could not be obtained (sign-in or token refresh failed), including when the
    /// service refused a call and renewing the credentials then failed.
    Auth(String),
    /// The service could not be reached, or the connection was lost before the answer was complete
    /// (connect failure, reset, timeout, TLS). Never carries the URL.
    Transport(reqwest::Error),
    /// A success answer whose body does not fit the model.
    Decode {
        /// The operation (or hand-written step) whose answer it was.
        operation: &'static str,
        /// Where in the body decoding failed, e.g. `items[3].createdBy` (empty when unknown).
        path: String,
        /// Why it did not decode.
        message: String,
        /// A bounded excerpt of the body around the failure (at most 200 characters), or a note that
        /// it is withheld because the answer may hold a credential.
        excerpt: String,
    },
    /// The caller's input cannot be sent (a missing required parameter, an unusable base URL, an
    /// empty credential, a missing file). The text names the argument.
    InvalidInput(String),
    /// Reading a file to upload or writing a download failed.
    Io(std::io::Error),
    /// A multi-step flow did not finish in time (for example polling an export job).
    Timeout(String),
    /// A job on the service (an export, a ZIP, an import) reported that it failed.
    JobFailed(String),
    /// The remote file changed while a download was being resumed (another size or validator):
    /// the bytes of the new version were not joined to those of the old one. Downloads into a
    /// file restart from zero instead; into any other writer they stop with this error.
    Changed(String),
}

/// The parts of an error answer beyond what [`Error::Api`] shows directly.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The provider's short name (`skyfish`, `ci`, …).
    pub provider: &'static str,
    /// The decoded error body.
    pub body: ErrorBody,
    /// `Retry-After`, when the service sent it.
    pub retry_after: Option<Duration>,
    /// Response headers (`Set-Cookie` removed).
    pub headers: HeaderMap,
}

impl Error {
    /// Builds [`Error::Api`] from an error answer's parts.
    pub fn api(provider: &crate::ProviderInfo, status: StatusCode, headers: &HeaderMap, body: ErrorBody) -> Self {
        let mut headers = headers.clone();
        headers.remove(http::header::SET_COOKIE);
        Error::Api {
            status,
            code: body.code(),
            message: body.message(),
            request_id: provider.request_id(&headers),
            details: Box::new(ApiError {
                provider: provider.name,
                retry_after: crate::retry_after(&headers),
                body,
                headers,
            }),
        }
    }

    /// [`Error::Decode`] for a hand-written step, without a field path or excerpt.
    pub fn decode(operation: &'static str, message: impl Into<String>) -> Self {
        Error::Decode {
            operation,
            path: String::new(),
            message: message.into(),
            excerpt: String::new(),
        }
    }

    /// The HTTP status, when the error comes from an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// The provider's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } | Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The provider's message text alone (without its code), when the answer carried one.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// The provider's error code (Ci's `code`, OAuth's `error`), when the answer carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The details of an error answer, when this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { details, .. } => Some(details),
            _ => None,
        }
    }

    /// Whether the service could not be reached or the connection broke.
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                status,
                request_id,
                details,
                ..
            } => {
                write!(f, "{} answered {status}", details.provider)?;
                if let Some(m) = details.body.summary() {
                    write!(f, ": {m}")?;
                }
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::UnexpectedStatus { status, request_id, .. } => {
                write!(
                    f,
                    "the service answered with a status this call does not model: {status}"
                )?;
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::Auth(m) => write!(f, "authentication failed: {m}"),
            Error::Transport(e) => {
                write!(f, "request failed: {e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    write!(f, ": {s}")?;
                    source = s.source();
                }
                Ok(())
            }
            Error::Decode {
                operation,
                path,
                message,
                ..
            } => {
                write!(f, "the answer to {operation} did not match the model")?;
                if !path.is_empty() {
                    write!(f, " at {path}")?;
                }
                write!(f, ": {message}")
            }
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Timeout(m) => write!(f, "gave up waiting: {m}"),
            Error::JobFailed(m) => write!(f, "job failed: {m}"),
            Error::Changed(m) => write!(f, "the file changed during the download: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => Some(e),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        // URLs can carry credentials (session query parameters, signed URLs): never keep them.
        Error::Transport(e.without_url())
    }
}

impl From<http::header::InvalidHeaderValue> for Error {
    fn from(_: http::header::InvalidHeaderValue) -> Self {
        Error::InvalidInput("a header parameter is not valid header text".into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// Replaces every (non-empty) secret in `text` — typically a provider's error message that echoes a
/// token or password — with `[redacted]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s, "[redacted]"))
}

/// An OAuth token endpoint's refusal as [`Error::Auth`]:
/// `"{grant} grant refused ({status}): {error}: {error_description}"` (or the body's summary),
/// with `secrets` redacted from the provider's text. Other errors are returned unchanged.
pub fn grant_refused(grant: &str, refusal: Error, secrets: &[&str]) -> Error {
    let Error::Api { status, details, .. } = &refusal else {
        return refusal;
    };
    let body = &details.body;
    let reason = match (&body.error, &body.error_description) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        _ => body.summary().unwrap_or_else(|| "no reason given".into()),
    };
    Error::Auth(format!(
        "{grant} grant refused ({status}): {}",
        redact(&reason, secrets)
    ))
}

/// Any error body a provider sends: `{message}`, `{code, message}`, `{error, error_description}`,
/// `{errors: ...}`, or text (kept as a JSON string in `raw`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ErrorBody {
    /// `message` (Skyfish, Ci, IntelligenceBank, Mediagraph).
    pub message: Option<String>,
    /// `code` (Ci).
    pub code: Option<String>,
    /// `error` (OAuth errors, Mediagraph).
    pub error: Option<String>,
    /// `error_description` (OAuth errors).
    pub error_description: Option<String>,
    /// The whole body as received.
    pub raw: serde_json::Value,
}

impl ErrorBody {
    /// Decodes any body; never fails.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => Self::from_value(v),
            Err(_) => Self::from_value(serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())),
        }
    }

    fn from_value(raw: serde_json::Value) -> Self {
        let field = |k: &str| {
            raw.get(k).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        let message = field("message").or_else(|| field("Message"));
        let code = field("code").or_else(|| field("Code"));
        Self {
            message,
            code,
            error: field("error"),
            error_description: field("error_description"),
            raw,
        }
    }

    /// The provider's message text alone: `message`, else `error_description`, else `errors`, else a
    /// text body (trimmed, at most 300 characters).
    pub fn message(&self) -> Option<String> {
        self.message
            .clone()
            .or_else(|| self.error_description.clone())
            .or_else(|| self.raw.get("errors").map(|e| e.to_string()))
            .or_else(|| self.raw.as_str().map(|s| s.trim().chars().take(300).collect()))
            .filter(|m| !m.is_empty())
    }

    /// The provider's error code: `code`, else OAuth's `error` when it is a string.
    pub fn code(&self) -> Option<String> {
        self.code.clone().or_else(|| self.error.clone())
    }

    /// `code: message` when both are present, else whichever is.
    pub fn summary(&self) -> Option<String> {
        match (self.code(), self.message()) {
            (Some(c), Some(m)) if c != m => Some(format!("{c}: {m}")),
            (_, Some(m)) => Some(m),
            (c, None) => c,
        }
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Self::from_value)
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary().unwrap_or_default())
    }
}

impl FromStr for ErrorBody {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_bytes(s.as_bytes()))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ErrorBody {
    fn schema_name() -> String {
        "ErrorBody".to_string()
    }
    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::Schema::Bool(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: crate::ProviderInfo = crate::ProviderInfo {
        name: "test",
        request_id_header: "x-test-id",
        reauth_statuses: &[401],
        unauthenticated_operations: &[],
        idempotent_posts: &[],
        user_agent: "test/0",
    };

    #[test]
    fn error_bodies_of_every_shape() {
        let b = ErrorBody::from_bytes(br#"{"message":"No such media"}"#);
        assert_eq!(b.message().unwrap(), "No such media");
        assert_eq!(b.summary().unwrap(), "No such media");
        let b = ErrorBody::from_bytes(br#"{"code":"FolderNotFound","message":"gone"}"#);
        assert_eq!(b.message().unwrap(), "gone", "the message alone, without the code");
        assert_eq!(b.code().unwrap(), "FolderNotFound");
        assert_eq!(b.summary().unwrap(), "FolderNotFound: gone");
        let b = ErrorBody::from_bytes(br#"{"error":"invalid_grant","error_description":"expired"}"#);
        assert_eq!(b.message().unwrap(), "expired");
        assert_eq!(b.code().unwrap(), "invalid_grant");
        assert_eq!(
            ErrorBody::from_bytes(b"<html>Bad gateway</html>").message().unwrap(),
            "<html>Bad gateway</html>"
        );
        assert_eq!(ErrorBody::from_bytes(b"").summary(), None);
    }

    #[test]
    fn api_errors_match_on_status_and_keep_details() {
        let mut headers = HeaderMap::new();
        headers.insert("x-test-id", "r-9".parse().unwrap());
        headers.insert("set-cookie", "_aid=secret".parse().unwrap());
        headers.insert("retry-after", "3".parse().unwrap());
        let e = Error::api(
            &TEST,
            StatusCode::NOT_FOUND,
            &headers,
            ErrorBody::from_bytes(br#"{"code":"NotFound","message":"no such folder"}"#),
        );
        let Error::Api {
            status,
            code,
            message,
            request_id,
            details,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*status, StatusCode::NOT_FOUND);
        assert_eq!(code.as_deref(), Some("NotFound"));
        assert_eq!(message.as_deref(), Some("no such folder"));
        assert_eq!(request_id.as_deref(), Some("r-9"));
        assert_eq!(details.retry_after, Some(Duration::from_secs(3)));
        assert!(details.headers.get("set-cookie").is_none());
        assert_eq!(
            e.to_string(),
            "test answered 404 Not Found: NotFound: no such folder (request id r-9)"
        );
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        assert_eq!(redact("bad token r-1 here", &["r-1", ""]), "bad token [redacted] here");
        let refusal = Error::api(
            &TEST,
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            ErrorBody::from_bytes(br#"{"error":"invalid_grant","error_description":"token r-1 expired"}"#),
        );
        assert_eq!(
            grant_refused("refresh_token", refusal, &["r-1"]).to_string(),
            "authentication failed: refresh_token grant refused (400 Bad Request): invalid_grant: token [redacted] expired"
        );
    }

    #[test]
    fn error_stays_small() {
        // clippy's result_large_err threshold is 128 bytes.
        assert!(std::mem::size_of::<Error>() <= 128, "{}", std::mem::size_of::<Error>());
    }
}
