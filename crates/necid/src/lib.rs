//! A typed client for the NEC ID face-biometrics API (release 1.1 and its 2020 revision).
//!
//! NEC ID has two surfaces signed the same way (AWS Signature Version 4, region
//! `ap-southeast-2`, service `execute-api`): the biometric API (`/v1.1/...`, scoped to a gallery
//! by an application's `x-api-key`) and the tenant portal (`/api/...`). This crate covers all 29
//! routes of both, with the reference's JSON exactly (face-attribute numbers as strings,
//! `attributesJson` as a string) and real numbers, typed ids and one [`Error`] for callers.
//!
//! ```no_run
//! # async fn run() -> necid::Result<()> {
//! use necid::{Client, Credentials, FaceImage};
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080")
//!     .credentials(Credentials::new("AKIA...", "secret"))
//!     .build()?;
//! let created = client.galleries().create(&necid::CreateGallery {
//!     name: "Staff".into(),
//!     description: String::new(),
//!     face_minimum_quality_score: 0.5,
//!     size: 1000,
//! }).await?;
//! let gallery = client.gallery(created.api_key);
//! let enrolment = gallery.register_subject(&FaceImage::from_path("alice.jpg")?, &[]).await?;
//! # Ok(()) }
//! ```

mod audit;
pub mod calibration;
mod client;
mod error;
mod gallery;
mod image;
mod portal;
pub mod signing;

pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, NEC_API_BASE_URL, NEC_MAX_REQUEST_BYTES, NEC_PORTAL_BASE_URL,
    RequestEvent, RequestEventObserver, RequestId, RequestObserver, RequestRecord, RequestStart,
    RetryPolicy, Surface, encode_component,
};
pub use error::{
    Error, ErrorKind, ForbiddenReason, RequestLine, Result, TimeoutPhase, TransportFailure,
};
pub use gallery::{Gallery, ListSubjects, MAX_SUBJECT_PAGE, Search};
pub use image::{
    DisplayPixels, FaceImage, ImageError, ImageLimits, MAX_COPY_SIDE, MIN_COPY_SIDE, ScaledCopy,
};
/// The wire types (ids, bodies, attributes, errors, limits), from `necid-wire`, which the local
/// service shares.
pub use necid_wire::*;
pub use portal::{Applications, Galleries};
pub use signing::{Credentials, PathStyle, SigningScope};
