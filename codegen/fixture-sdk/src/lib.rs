//! The SDK generated from the codegen fixture spec; its tests exercise the shared runtime.
//!
//! Every operation of `codegen/tests/fixtures/mini.yaml` is a method on [`Client`] that returns a request
//! builder: set parameters, then `.send().await`. Models are in [`types`]. The generated code
//! lives in `generated.rs` (never edited by hand); the shared runtime (errors, retries, tracing,
//! tolerant scalars) in [`runtime`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(missing_docs, clippy::all, unused_imports, dead_code)]
#[rustfmt::skip]
mod generated;
/// The shared runtime (`dam-runtime`): errors, the request pipeline, tolerant scalars, paging.
pub use dam_runtime as runtime;

pub use generated::{ByteStream, Client, NOT_GENERATED, PROVIDER, ResponseValue, builder, types};
pub use runtime::{ApiError, Error, ErrorBody, RetryPolicy, Secret, Timeouts};
