//! `POST /oauth2/token`, as the document and the recorded traffic describe it.
//!
//! - **Password grant:** `grant_type=password&client_id=…&client_secret=…` (form-urlencoded, or
//!   the document's JSON) with `Authorization: Basic base64(username:password)`.
//! - **Refresh grant:** `grant_type=refresh_token&refresh_token=…&client_id=…&client_secret=…`,
//!   no `Authorization`. Refresh tokens live [`Options::refresh_token_lifetime`] (14 days) and
//!   rotate: every answer carries a new one and the one used is revoked.
//! - **Delegate token:** a JSON body `{assetId, scope}` (no `grant_type`) with
//!   `Authorization: Bearer <access or refresh token>`; the token only opens that asset.
//!
//! Grants answer `{access_token, expires_in, token_type: "bearer", refresh_token}` with
//! `expires_in` = [`Options::token_lifetime`] (86400 s by default). Refusals use the document's
//! table in the OAuth shape `{error, error_description}`: 400 `invalid_request` (a missing
//! parameter, a missing or malformed `Authorization`, a refresh token that is unknown, expired,
//! revoked or not a refresh token), 400 `unsupported_grant_type`, 401 `invalid_client` (wrong
//! client id/secret, wrong user name/password). A delegate request without `assetId` or `scope`
//! gets the `{code, message}` shape (`AssetIdNotProvided`, `TokenScopeNotProvided`), as the
//! document's example shows.
//!
//! [`Options::refresh_token_lifetime`]: super::Options::refresh_token_lifetime
//! [`Options::token_lifetime`]: super::Options::token_lifetime

use base64::Engine as _;
use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Value, json};

use super::service::{Service, api_error, oauth_error};
use super::state::{AccessToken, RefreshToken};

/// How long a delegate token lives (the document's example).
const DELEGATE_SECONDS: i64 = 3600;

/// The grant parameters of a form or JSON body.
fn grant_params(call: &Call<'_>) -> Vec<(String, String)> {
    let json = call
        .request
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return call.form();
    }
    match call.json() {
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `POST /oauth2/token` with a password or refresh-token grant.
pub(crate) fn token(svc: &Service, call: &Call<'_>) -> Reply {
    let params = grant_params(call);
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let Some(grant) = get("grant_type") else {
        return oauth_error(400, "invalid_request", "Parameter grant_type is required.");
    };
    if grant != "password" && grant != "refresh_token" {
        return oauth_error(400, "unsupported_grant_type", "Grant type is not supported.");
    }
    let Some(client_id) = get("client_id") else {
        return oauth_error(400, "invalid_request", "Parameter client_id is required.");
    };
    let Some(client_secret) = get("client_secret") else {
        return oauth_error(400, "invalid_request", "Parameter client_secret is required.");
    };
    let creds = &svc.options.credentials;
    if client_id != creds.client_id || client_secret != creds.client_secret.expose() {
        return oauth_error(
            401,
            "invalid_client",
            "Invalid client id and client secret combination.",
        );
    }
    let now = svc.now();
    let mut state = svc.state();
    if grant == "password" {
        let Some((user, password)) = basic(call.request.header("authorization")) else {
            return oauth_error(400, "invalid_request", "Missing or invalid authorization header.");
        };
        if user != creds.username || password != creds.password.expose() {
            return oauth_error(401, "invalid_client", "Invalid username and password combination.");
        }
    } else {
        let Some(refresh) = get("refresh_token") else {
            return oauth_error(400, "invalid_request", "Parameter refresh_token is required.");
        };
        let refused = match state.refresh.get(refresh) {
            None if state.access.contains_key(refresh) => Some("Token provided is not a refresh token."),
            None => Some("Refresh token not found."),
            Some(t) if t.revoked => Some("Refresh token has been revoked."),
            Some(t) if now >= t.expires_at => Some("Refresh token has expired."),
            Some(_) => None,
        };
        if let Some(description) = refused {
            return oauth_error(400, "invalid_request", description);
        }
        if let Some(used) = state.refresh.get_mut(refresh) {
            used.revoked = true;
        }
    }
    let lifetime = svc.options.token_lifetime.as_secs() as i64;
    let access = state.new_id("access", 32);
    let refresh = state.new_id("refresh", 32);
    state.access.insert(
        access.clone(),
        AccessToken {
            expires_at: now + lifetime,
            delegate_for: None,
        },
    );
    state.refresh.insert(
        refresh.clone(),
        RefreshToken {
            expires_at: now + svc.options.refresh_token_lifetime.as_secs() as i64,
            revoked: false,
        },
    );
    Reply::json(
        200,
        json!({"access_token": access, "expires_in": lifetime, "token_type": "bearer", "refresh_token": refresh}),
    )
}

/// `POST /oauth2/token` with a JSON body: a delegate-token request, or a grant in the document's
/// JSON form.
pub(crate) fn delegate(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    if body.get("grant_type").is_some() {
        return token(svc, call);
    }
    let header = call.request.header("authorization").unwrap_or_default();
    let Some(token) = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
    else {
        return oauth_error(400, "invalid_request", "Missing or invalid authorization header.");
    };
    let now = svc.now();
    let mut state = svc.state();
    let valid = match (state.access.get(token), state.refresh.get(token)) {
        (Some(a), _) => a.delegate_for.is_none() && now < a.expires_at,
        (None, Some(r)) => !r.revoked && now < r.expires_at,
        (None, None) => false,
    };
    if !valid {
        return oauth_error(401, "invalid_client", "The access or refresh token is not valid.");
    }
    let asset = body.get("assetId").and_then(Value::as_str).filter(|s| !s.is_empty());
    let Some(asset) = asset else {
        return api_error(400, "AssetIdNotProvided", "Asset Id was not provided.");
    };
    match body.get("scope").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        None => return api_error(400, "TokenScopeNotProvided", "Token scope not provided."),
        Some("UploadCoverElement") => {}
        Some(other) => return api_error(400, "InvalidRequest", &format!("Unknown token scope {other:?}.")),
    }
    let delegate = state.new_id("delegate", 32);
    state.access.insert(
        delegate.clone(),
        AccessToken {
            expires_at: now + DELEGATE_SECONDS,
            delegate_for: Some(asset.to_string()),
        },
    );
    Reply::json(
        200,
        json!({"access_token": delegate, "expires_in": DELEGATE_SECONDS, "token_type": "bearer"}),
    )
}

/// The user name and password of `Authorization: Basic …`.
fn basic(header: Option<&str>) -> Option<(String, String)> {
    let (scheme, encoded) = header?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}
