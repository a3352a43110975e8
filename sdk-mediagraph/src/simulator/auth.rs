//! Credentials as the service checks them, the OAuth host, and the caller's own records
//! (`who_am_i`, personal access tokens).
//!
//! - `Authorization: Basic base64(":" + token)` with a token of the organization's user, plus
//!   `OrganizationId` naming the organization (not needed for `who_am_i`).
//! - `Authorization: Bearer <access token>` from `/oauth/token`, unexpired on the simulator's
//!   clock and not revoked; the token implies the organization.
//! - `/oauth/authorize`, `/oauth/token`, `/oauth/revoke`: authorization code with PKCE S256 and
//!   refresh tokens, refused with OAuth's `{error, error_description}` (RFC 6749 §5.2).

use base64::Engine as _;
use dam_test_server::sim::Call;
use dam_test_server::{Recorded, Reply, url_pairs};
use ring::digest::{SHA256, digest};
use serde_json::{Value, json};

use super::Options;
use super::assets::encode;
use super::service::{
    Answer, Env, OAUTH_CLIENT_ID, OAUTH_REDIRECT_URI, Pat, State, body_record, documented, error, merge, not_found,
    path_id, template, timestamp, user,
};

/// How long an authorization code can be exchanged (10 minutes).
const CODE_LIFETIME_MS: i64 = 600_000;

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub(super) struct Code {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scope: String,
    pub expires_at: i64,
    /// The access token issued for it, once exchanged.
    pub issued: Option<String>,
}

/// An issued access token.
#[derive(Clone, Debug)]
pub(super) struct AccessToken {
    pub expires_at: i64,
    pub revoked: bool,
    pub refresh_token: Option<String>,
}

/// An issued refresh token.
#[derive(Clone, Debug)]
pub(super) struct RefreshToken {
    pub client_id: String,
    pub scope: String,
    pub revoked: bool,
}

// ---------------------------------------------------------------------------------------------
// Checking credentials
// ---------------------------------------------------------------------------------------------

/// A Bearer refusal: 401 with `WWW-Authenticate` naming the reason.
fn invalid_token(description: &str) -> Reply {
    Reply::json(401, json!({"error": "invalid_token", "error_description": description})).header(
        "www-authenticate",
        &format!("Bearer realm=\"Mediagraph\", error=\"invalid_token\", error_description=\"{description}\""),
    )
}

/// Checks a call's credentials; the refusal as the service sends it.
pub(super) fn authenticate(s: &mut State, now: i64, call: &Call<'_>) -> Result<(), Reply> {
    let header = call.request.header("authorization").unwrap_or("").trim();
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = s
            .oauth
            .access
            .get(value)
            .ok_or_else(|| invalid_token("The access token is invalid"))?;
        if token.revoked {
            return Err(invalid_token("The access token was revoked"));
        }
        if now >= token.expires_at {
            return Err(invalid_token("The access token expired"));
        }
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(error(
            401,
            "Authentication required: a personal access token (HTTP Basic) or an OAuth access token (Bearer)",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let token = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(_, password)| password);
    let Some(pat) = s.pats.values_mut().find(|p| !token.is_empty() && p.token == token) else {
        return Err(error(401, "Invalid personal access token"));
    };
    pat.last_used_at = Some(now);
    if call.route.operation == "who_am_i" {
        return Ok(());
    }
    match call.request.header("organizationid").map(str::trim) {
        None | Some("") => Err(error(
            403,
            "The OrganizationId header is required with a personal access token",
        )),
        Some(org) if org.parse::<i64>().ok() == Some(s.org.id) => Ok(()),
        Some(org) => Err(error(403, &format!("You are not a member of organization {org}"))),
    }
}

/// `GET /api/whoami`: the user, and the organization when the call names one (`OrganizationId`
/// or a Bearer token, which implies it).
pub(super) fn who_am_i(s: &mut State, _env: &Env, call: &Call<'_>) -> Answer {
    let mut me = match user(s) {
        Value::Object(me) => me,
        _ => Default::default(),
    };
    let bearer = call
        .request
        .header("authorization")
        .is_some_and(|a| a.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("bearer ")));
    if bearer || call.request.header("organizationid").is_some() {
        me.insert(
            "organization".into(),
            json!({"id": s.org.id, "name": s.org.name, "slug": s.org.slug}),
        );
    }
    Ok(Reply::json(200, Value::Object(merge(template("who_am_i"), &me))))
}

// ---------------------------------------------------------------------------------------------
// Personal access tokens
// ---------------------------------------------------------------------------------------------

fn render_pat(s: &State, id: i64, pat: &Pat, with_token: bool) -> Value {
    let fixed = json!({
        "id": id,
        "note": pat.note,
        "token": if with_token { json!(pat.token) } else { Value::Null },
        "created_at": timestamp(pat.created_at),
        "updated_at": timestamp(pat.created_at),
        "last_used_at": pat.last_used_at.map(timestamp),
        "organization": {"id": s.org.id, "name": s.org.name, "slug": s.org.slug},
    });
    match fixed {
        Value::Object(fixed) => Value::Object(merge(template("create_personal_access_token"), &fixed)),
        other => other,
    }
}

/// `GET /api/personal_access_tokens` (tokens are not shown again).
pub(super) fn list_pats(s: &mut State, _env: &Env) -> Answer {
    let items: Vec<Value> = s.pats.iter().map(|(id, p)| render_pat(s, *id, p, false)).collect();
    Ok(Reply::json(200, Value::Array(items)))
}

/// `POST /api/personal_access_tokens`: the token is usable at once.
pub(super) fn create_pat(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let record = body_record(call, "personal_access_token")?;
    let note = ["name", "note"]
        .iter()
        .find_map(|k| record.get(*k).and_then(Value::as_str))
        .map(str::to_string);
    let token = s.token("pat");
    s.next.pat += 1;
    let id = s.next.pat;
    s.pats.insert(
        id,
        Pat {
            token,
            note,
            created_at: env.now,
            last_used_at: None,
        },
    );
    Ok(env.detail("personal_access_token", render_pat(s, id, &s.pats[&id], true)))
}

/// `GET /api/personal_access_tokens/{id}`.
pub(super) fn get_pat(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "PersonalAccessToken")?;
    let pat = s
        .pats
        .get(&id)
        .ok_or_else(|| not_found("PersonalAccessToken", &id.to_string()))?;
    Ok(env.detail("personal_access_token", render_pat(s, id, pat, false)))
}

/// `DELETE /api/personal_access_tokens/{id}`: the token stops working.
pub(super) fn delete_pat(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "PersonalAccessToken")?;
    s.pats
        .remove(&id)
        .ok_or_else(|| not_found("PersonalAccessToken", &id.to_string()))?;
    Ok(documented(call))
}

// ---------------------------------------------------------------------------------------------
// The OAuth host
// ---------------------------------------------------------------------------------------------

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";

/// An OAuth error answer.
fn oauth_error(status: u16, code: &str, description: &str) -> Reply {
    Reply::json(status, json!({"error": code, "error_description": description})).header("cache-control", "no-store")
}

/// The parameters of an OAuth request: the query, then a form or JSON body.
fn params(r: &Recorded) -> Vec<(String, String)> {
    let mut all = r.query_pairs();
    let content_type = r.header("content-type").unwrap_or("");
    if content_type.starts_with("application/json") {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&r.body) {
            all.extend(map.into_iter().map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k, v)
            }));
        }
    } else if !r.body.is_empty() {
        all.extend(url_pairs(&String::from_utf8_lossy(&r.body)));
    }
    all
}

/// Requests to the OAuth host.
pub(super) fn oauth(s: &mut State, options: &Options, now: i64, r: &Recorded) -> Reply {
    let params = params(r);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    match (r.method.as_str(), r.path.trim_end_matches('/')) {
        ("GET" | "POST", "/oauth/authorize") => authorize(s, now, &get),
        ("POST", "/oauth/token") => token(s, options, now, &get),
        ("POST", "/oauth/revoke") => revoke(s, &get),
        (_, "/oauth/authorize") => error(405, "Use GET or POST").header("allow", "GET, POST"),
        (_, "/oauth/token" | "/oauth/revoke") => error(405, "Use POST").header("allow", "POST"),
        _ => error(404, &format!("No route matches [{}] \"{}\"", r.method, r.path)),
    }
}

/// The user approves at once: a redirect to the client with a code, or with an error.
fn authorize<'a>(s: &mut State, now: i64, get: &impl Fn(&str) -> Option<&'a str>) -> Reply {
    if get("client_id") != Some(OAUTH_CLIENT_ID) {
        return oauth_error(400, "invalid_client", INVALID_CLIENT);
    }
    let Some(redirect_uri) = get("redirect_uri").filter(|u| *u == OAUTH_REDIRECT_URI) else {
        return oauth_error(
            400,
            "invalid_redirect_uri",
            "The requested redirect uri is malformed or doesn't match client redirect URI.",
        );
    };
    let state_param = get("state")
        .map(|st| format!("&state={}", encode(st)))
        .unwrap_or_default();
    let refuse = |code: &str, description: &str| {
        Reply::status(302).header(
            "location",
            &format!(
                "{redirect_uri}?error={code}&error_description={}{state_param}",
                encode(description)
            ),
        )
    };
    if get("response_type") != Some("code") {
        return refuse(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        );
    }
    let Some(challenge) = get("code_challenge") else {
        return refuse("invalid_request", "Missing required parameter: code_challenge.");
    };
    if get("code_challenge_method") != Some("S256") {
        return refuse("invalid_request", "Transform algorithm not supported: use S256.");
    }
    let code = s.token("code");
    s.oauth.codes.insert(
        code.clone(),
        Code {
            client_id: OAUTH_CLIENT_ID.into(),
            redirect_uri: redirect_uri.to_string(),
            challenge: challenge.to_string(),
            scope: get("scope").unwrap_or("read").to_string(),
            expires_at: now + CODE_LIFETIME_MS,
            issued: None,
        },
    );
    Reply::status(302).header("location", &format!("{redirect_uri}?code={code}{state_param}"))
}

/// Issues an access token (and a refresh token) for `client_id` and `scope`.
fn issue(s: &mut State, options: &Options, now: i64, scope: &str, refresh: Option<String>) -> (String, String) {
    let access = s.token("access");
    let refresh = refresh.unwrap_or_else(|| {
        let token = s.token("refresh");
        s.oauth.refresh.insert(
            token.clone(),
            RefreshToken {
                client_id: OAUTH_CLIENT_ID.into(),
                scope: scope.to_string(),
                revoked: false,
            },
        );
        token
    });
    s.oauth.access.insert(
        access.clone(),
        AccessToken {
            expires_at: now + options.access_token_lifetime.as_millis() as i64,
            revoked: false,
            refresh_token: Some(refresh.clone()),
        },
    );
    (access, refresh)
}

fn token_answer(options: &Options, now: i64, access: &str, refresh: &str, scope: &str) -> Reply {
    Reply::json(
        200,
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": options.access_token_lifetime.as_secs(),
            "refresh_token": refresh,
            "scope": scope,
            "created_at": now / 1000,
        }),
    )
    .header("cache-control", "no-store")
    .header("pragma", "no-cache")
}

/// `POST /oauth/token`.
fn token<'a>(s: &mut State, options: &Options, now: i64, get: &impl Fn(&str) -> Option<&'a str>) -> Reply {
    let Some(grant) = get("grant_type") else {
        return oauth_error(400, "invalid_request", "Missing required parameter: grant_type.");
    };
    if !matches!(grant, "authorization_code" | "refresh_token") {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    if get("client_id") != Some(OAUTH_CLIENT_ID) {
        return oauth_error(401, "invalid_client", INVALID_CLIENT);
    }
    if grant == "refresh_token" {
        let Some(presented) = get("refresh_token") else {
            return oauth_error(400, "invalid_request", "Missing required parameter: refresh_token.");
        };
        let scope = match s.oauth.refresh.get(presented) {
            Some(t) if !t.revoked && t.client_id == OAUTH_CLIENT_ID => t.scope.clone(),
            _ => return oauth_error(400, "invalid_grant", INVALID_GRANT),
        };
        let keep = (!options.rotate_refresh_tokens).then(|| presented.to_string());
        if options.rotate_refresh_tokens
            && let Some(old) = s.oauth.refresh.get_mut(presented)
        {
            old.revoked = true;
        }
        let (access, refresh) = issue(s, options, now, &scope, keep);
        return token_answer(options, now, &access, &refresh, &scope);
    }
    let Some(code) = get("code") else {
        return oauth_error(400, "invalid_request", "Missing required parameter: code.");
    };
    let Some(verifier) = get("code_verifier") else {
        return oauth_error(400, "invalid_request", "Missing required parameter: code_verifier.");
    };
    let Some(grant) = s.oauth.codes.get(code).cloned() else {
        return oauth_error(400, "invalid_grant", INVALID_GRANT);
    };
    if let Some(issued) = &grant.issued {
        // A code used twice: refuse, and revoke what it gave (RFC 6749 §4.1.2).
        if let Some(t) = s.oauth.access.get_mut(issued) {
            t.revoked = true;
            let refresh = t.refresh_token.clone();
            if let Some(r) = refresh.and_then(|r| s.oauth.refresh.get_mut(&r)) {
                r.revoked = true;
            }
        }
        return oauth_error(400, "invalid_grant", INVALID_GRANT);
    }
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
    if now >= grant.expires_at
        || grant.client_id != OAUTH_CLIENT_ID
        || get("redirect_uri") != Some(grant.redirect_uri.as_str())
        || challenge != grant.challenge
    {
        return oauth_error(400, "invalid_grant", INVALID_GRANT);
    }
    let (access, refresh) = issue(s, options, now, &grant.scope, None);
    if let Some(c) = s.oauth.codes.get_mut(code) {
        c.issued = Some(access.clone());
    }
    token_answer(options, now, &access, &refresh, &grant.scope)
}

/// `POST /oauth/revoke`: 200 `{}` whether or not the token was known (RFC 7009).
fn revoke<'a>(s: &mut State, get: &impl Fn(&str) -> Option<&'a str>) -> Reply {
    if get("client_id").is_some_and(|c| c != OAUTH_CLIENT_ID) {
        return oauth_error(401, "invalid_client", INVALID_CLIENT);
    }
    let Some(token) = get("token") else {
        return oauth_error(400, "invalid_request", "Missing required parameter: token.");
    };
    // An access token and its refresh token are one grant: revoking either ends both.
    if let Some(t) = s.oauth.access.get_mut(token) {
        t.revoked = true;
        let refresh = t.refresh_token.clone();
        if let Some(r) = refresh.and_then(|r| s.oauth.refresh.get_mut(&r)) {
            r.revoked = true;
        }
    }
    if let Some(r) = s.oauth.refresh.get_mut(token) {
        r.revoked = true;
        for t in s.oauth.access.values_mut() {
            if t.refresh_token.as_deref() == Some(token) {
                t.revoked = true;
            }
        }
    }
    Reply::json(200, json!({}))
}
