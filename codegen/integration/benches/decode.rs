//! Typed decoding of a large listing: a Skyfish search answer with 2,000 hits decoded by the SDK
//! (`dam_runtime::decode_json` into the generated `SearchResult`, whose models decode through the
//! tolerant `object!` visitor and whose ids, sizes and times are `LooseId`, `LooseInt`,
//! `LooseFloat` and `Timestamp`) against `serde_json::from_slice` into a hand-written
//! `#[derive(Deserialize)]` struct with the same fields, each typed as exactly what is sent.
//!
//! `cargo bench -p dam-integration --bench decode` prints criterion's figures and one `FIGURE`
//! line with the interleaved sdk/raw ratio (time per listing). With `DAM_BENCH_ONLY=sdk` (or
//! `raw`) the binary decodes the listing 300 times (`DAM_BENCH_TIMES`) on one side only and exits, for a profiler
//! (`perf stat -e instructions` counts are steady even on a busy machine).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::Throughput;
use serde::Deserialize;
use serde_json::{Value, json};

const HITS: usize = 2_000;
/// Listings decoded per block, and A/B pairs of blocks.
const BLOCK: u64 = 10;
const PAIRS: usize = 30;

/// What one user would write by hand for this answer.
#[derive(Deserialize)]
#[allow(dead_code)]
struct HandResult {
    media_count: Option<i64>,
    media_offset: Option<i64>,
    response: Option<HandResponse>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct HandResponse {
    hits: Option<i64>,
    #[serde(default)]
    media: Vec<HandMedia>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct HandMedia {
    byline: Option<String>,
    camera_created: Option<i64>,
    consent_exempt: Option<bool>,
    #[serde(default)]
    consent_forms: Vec<Value>,
    copyright: Option<String>,
    created: Option<String>,
    description: Option<String>,
    file_disksize: Option<u64>,
    file_mimetype: Option<String>,
    filename: Option<String>,
    folder_id: Option<u64>,
    #[serde(default)]
    folder_tags: Vec<Value>,
    geo_location: Option<HandGeo>,
    height: Option<u32>,
    #[serde(default)]
    keywords: Vec<String>,
    media_type: Option<String>,
    #[serde(default)]
    suggested_keywords: Vec<Value>,
    thumbnail_url: Option<String>,
    thumbnail_url_ssl: Option<String>,
    title: Option<String>,
    unique_media_id: Option<u64>,
    uploaded_by: Option<u64>,
    width: Option<u32>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct HandGeo {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// A search answer with `hits` hits, in the forms Skyfish sends (numbers for ids and sizes, text
/// for creation times, UNIX seconds for camera times).
fn listing(hits: usize) -> Vec<u8> {
    let media: Vec<Value> = (0..hits)
        .map(|i| {
            json!({
                "unique_media_id": 40_000_000 + i,
                "folder_id": 1_200_000 + i % 40,
                "uploaded_by": 77_000 + i % 7,
                "title": format!("Harbour at dawn, take {i}"),
                "description": "Fishing boats in the harbour of Skagen, early morning light.",
                "filename": format!("IMG_{i:05}.jpg"),
                "file_mimetype": "image/jpeg",
                "file_disksize": 4_718_592 + i * 31,
                "height": 3648,
                "width": 5472,
                "media_type": "image",
                "created": format!("2015-04-{:02} 12:39:{:02}", 1 + i % 28, i % 60),
                "camera_created": 1_429_187_979 + i,
                "byline": "Jane Photographer",
                "copyright": "Colourbox",
                "consent_exempt": false,
                "consent_forms": [],
                "folder_tags": [],
                "suggested_keywords": [],
                "keywords": ["harbour", "boat", "dawn", "skagen", "denmark"],
                "geo_location": {"latitude": 57.72, "longitude": 10.58},
                "thumbnail_url": format!("http://thumbs.example.com/{i}.jpg"),
                "thumbnail_url_ssl": format!("https://thumbs.example.com/{i}.jpg"),
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "media_count": hits,
        "media_offset": 0,
        "response": {"hits": hits, "media": media},
    }))
    .expect("JSON")
}

fn sdk(body: &[u8]) -> sdk_skyfish::types::SearchResult {
    dam_runtime::decode_json("search_media", body, false).expect("SDK decode")
}

fn raw(body: &[u8]) -> HandResult {
    serde_json::from_slice(body).expect("raw decode")
}

fn block(n: u64, f: impl Fn()) {
    for _ in 0..n {
        f();
    }
}

fn main() {
    let body = listing(HITS);
    let decoded = sdk(&body);
    let hits = decoded.response.as_ref().map_or(0, |r| r.media.len());
    assert_eq!(hits, HITS);
    assert!(
        decoded.response.as_ref().unwrap().media[0].extra.is_empty(),
        "every field is modelled"
    );

    // For profilers (`perf stat -e instructions`, `perf record`): one side alone, nothing else.
    if let Ok(side) = std::env::var("DAM_BENCH_ONLY") {
        let times = std::env::var("DAM_BENCH_TIMES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        for _ in 0..times {
            match side.as_str() {
                "sdk" => drop(black_box(sdk(black_box(&body)))),
                _ => drop(black_box(raw(black_box(&body)))),
            }
        }
        return;
    }
    let mut c = common::criterion();
    let mut group = c.benchmark_group(format!("decode/skyfish search {HITS} hits"));
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("sdk", |b| b.iter(|| sdk(black_box(&body))));
    group.bench_function("raw", |b| b.iter(|| raw(black_box(&body))));
    group.finish();

    let ab = common::interleave(
        PAIRS,
        || common::sample(|| block(BLOCK, || drop(black_box(sdk(black_box(&body)))))),
        || common::sample(|| block(BLOCK, || drop(black_box(raw(black_box(&body)))))),
    );
    let mb = body.len() as f64 / 1e6;
    let per = |d: Duration| d.as_secs_f64() / BLOCK as f64;
    common::report(&format!(
        "decode skyfish search {HITS} hits ({mb:.1} MB): sdk {:.2} ms ({:.0} MB/s), raw {:.2} ms ({:.0} MB/s), sdk speed / raw speed {:.3} (sdk/raw time {:.3}, pairs {:.3}–{:.3}; CPU time sdk/raw {:.3})",
        per(ab.sdk) * 1e3,
        mb / per(ab.sdk),
        per(ab.raw) * 1e3,
        mb / per(ab.raw),
        1.0 / ab.ratio,
        ab.ratio,
        ab.spread.0,
        ab.spread.1,
        ab.cpu_ratio,
    ));
    c.final_summary();
}
