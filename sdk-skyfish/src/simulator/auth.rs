//! Authentication as the service enforces it: the HMAC login, the `CBX-SIMPLE-TOKEN` header (or
//! the §8.3 `authorization` query parameter) on every other call, token expiry on the simulator's
//! clock, and token validation.

use base64::Engine as _;
use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Value, json};

use super::provider::Skyfish;
use super::state::{State, Token, error};
use crate::auth::{TOKEN_SCHEME, login_hmac};

/// How far the login's `ts` may be from the service's clock.
const WINDOW: i64 = 60;

impl Skyfish {
    /// The token of a call: from `Authorization: CBX-SIMPLE-TOKEN Token=…`, or from the
    /// `authorization` query parameter (base64 of that header value).
    fn token_of(call: &Call<'_>) -> Result<String, &'static str> {
        let from_query;
        let value = match call.request.header("authorization") {
            Some(v) => v,
            None => {
                let Some(encoded) = call.query("authorization") else {
                    return Err("authorization required");
                };
                from_query = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or("the authorization parameter is not base64")?;
                from_query.as_str()
            }
        };
        let (scheme, params) = value.trim().split_once(' ').ok_or("malformed authorization header")?;
        if scheme != TOKEN_SCHEME {
            return Err("unsupported authorization scheme");
        }
        params
            .split_whitespace()
            .find_map(|p| p.strip_prefix("Token="))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or("the authorization header has no Token")
    }

    /// The router's credential check of every non-public operation.
    pub(super) fn check_token(&self, call: &Call<'_>) -> Result<(), Reply> {
        let token = Self::token_of(call).map_err(|m| error(401, m))?;
        let now = self.clock.unix();
        match self.lock().tokens.get(&token) {
            None => Err(error(401, "invalid token")),
            Some(t) if t.revoked => Err(error(401, "invalid token")),
            Some(t) if t.valid_until < now => Err(error(401, "token expired")),
            Some(_) => Ok(()),
        }
    }

    /// `POST /authenticate/userpasshmac`.
    pub(super) fn login(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let body = call.json();
        let text = |k: &str| body.get(k).and_then(Value::as_str);
        let (Some(username), Some(password), Some(key), Some(hmac)) =
            (text("username"), text("password"), text("key"), text("hmac"))
        else {
            return error(400, "username, password, key, ts and hmac are required");
        };
        let Some(ts) = body.get("ts").and_then(Value::as_i64) else {
            return error(400, "ts must be an integer UNIX time");
        };
        let c = &self.credentials;
        if key != c.api_key {
            return error(401, "invalid api key");
        }
        if (ts - now).abs() > WINDOW {
            return error(401, "the timestamp is outside the allowed window");
        }
        if hmac != login_hmac(key, c.api_secret.expose(), ts) {
            return error(401, "invalid hmac");
        }
        if username != c.username || password != c.password.expose() {
            return error(401, "invalid username or password");
        }
        let token = format!(
            "{}{}",
            dam_test_server::sim::token(&self.tokens, "token"),
            &dam_test_server::sim::token(&self.tokens, "tail")[..8]
        );
        let valid_until = now + self.options.token_lifetime.as_secs() as i64;
        st.tokens.insert(
            token.clone(),
            Token {
                valid_until,
                revoked: false,
            },
        );
        Reply::json(
            200,
            json!({"validUntil": valid_until, "type": 1, "ownerIdentifier": self.user, "token": token}),
        )
    }

    /// `GET /authenticate/simpletoken/{token}`.
    pub(super) fn validate(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let valid = call
            .path("token")
            .and_then(|t| st.tokens.get(t))
            .is_some_and(|t| !t.revoked && t.valid_until >= now);
        Reply::json(200, json!({"TokenStatus": if valid { "valid" } else { "invalid" }}))
    }

    /// `GET /whoami`.
    pub(super) fn whoami(&self) -> Reply {
        Reply::json(
            200,
            json!({
                "id": self.user,
                "username": self.credentials.username,
                "email": self.credentials.username,
                "fullname": "Tess Tester",
                "company_id": self.company,
                "href": format!("{}/user/{}", self.base(), self.user),
            }),
        )
    }
}
