//! The simulated CDN: the signed download locations `get_asset_download` (and every asset's
//! `thumbnails` and `proxies`) hand out, served by the same server under `/_storage/`.
//!
//! A location is `{server}/_storage/{assetId}/{rendition}/{file name}?expires={unix}&signature={hex}`,
//! where the rendition is `source`, `proxy-<type>` or `thumb-<type>`. Like a signed CDN URL it needs
//! no credentials: it is refused with `403 AccessDenied` once `expires` has passed on the
//! simulator's clock or when the signature does not match, and with `400 InvalidArgument` when the
//! request carries an `Authorization` header (a signed URL takes one authentication, not two; the
//! SDK must not send its bearer token there). Bytes are served with `Range` (206), `If-Range`,
//! `ETag` and `Accept-Ranges` ([`Blob::reply`]); a generated multi-GiB source costs no memory.
//! Errors are S3-style XML, as CDNs in front of object storage answer.

use dam_test_server::sim::Blob;
use dam_test_server::{Recorded, Reply, percent_decode};

use super::state::{State, rendition_blob, rendition_content_type};

/// The path prefix of storage URLs.
pub(crate) const PREFIX: &str = "/_storage/";

/// Signs storage locations for one answer.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// When the locations expire (UNIX seconds on the simulator's clock).
    pub expires: i64,
    /// The simulator's signing key.
    pub key: u64,
}

impl Links {
    /// The signed location of one rendition of an asset.
    pub fn url(&self, asset: &str, rendition: &str, file_name: &str) -> String {
        format!(
            "{}{PREFIX}{asset}/{rendition}/{}?expires={}&signature={}",
            self.base,
            progenitor_client::encode_path(file_name),
            self.expires,
            signature(self.key, asset, rendition, self.expires)
        )
    }
}

/// The signature of a location: a keyed hash (not cryptographic; it only has to be checked).
fn signature(key: u64, asset: &str, rendition: &str, expires: i64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ key;
    for b in asset
        .bytes()
        .chain([0])
        .chain(rendition.bytes())
        .chain([0])
        .chain(expires.to_string().bytes())
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

fn xml(status: u16, code: &str, message: &str) -> Reply {
    Reply::status(status).header("content-type", "application/xml").body(
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )
        .into_bytes(),
    )
}

/// Answers a request to a storage location.
pub(crate) fn serve(state: &State, key: u64, now: i64, r: &Recorded) -> Reply {
    if r.method != "GET" && r.method != "HEAD" {
        return xml(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .header("allow", "GET, HEAD");
    }
    if r.header("authorization").is_some() {
        return xml(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; the signed URL carries it, send no Authorization header.",
        );
    }
    let rest = r.path.strip_prefix(PREFIX).unwrap_or_default();
    let mut segments = rest.splitn(3, '/');
    let (Some(asset_id), Some(rendition)) = (segments.next(), segments.next()) else {
        return xml(404, "NoSuchKey", "The specified key does not exist.");
    };
    let (asset_id, rendition) = (percent_decode(asset_id), percent_decode(rendition));
    let expires = r.query_param("expires").and_then(|e| e.parse::<i64>().ok());
    let given = r.query_param("signature");
    let Some(expires) =
        expires.filter(|e| given.as_deref() == Some(signature(key, &asset_id, &rendition, *e).as_str()))
    else {
        return xml(403, "AccessDenied", "The request signature does not match.");
    };
    if now > expires {
        return xml(403, "AccessDenied", "Request has expired.");
    }
    let Some(asset) = state.assets.get(&asset_id) else {
        return xml(404, "NoSuchKey", "The specified key does not exist.");
    };
    let blob: Option<Blob> = rendition_blob(asset, &rendition);
    match blob {
        Some(blob) => blob.reply(r, rendition_content_type(asset, &rendition)),
        None => xml(404, "NoSuchKey", "The specified key does not exist."),
    }
}
