//! Request and response bodies of every route, exactly as the reference writes them.
//!
//! Field names follow the reference's JSON (camelCase). Face-attribute numbers travel as strings
//! and `attributesJson` as a JSON document inside a string; callers see real numbers and parsed
//! structures. Optional request fields are left out of the JSON when unset, so a server sees the
//! reference's defaults.

use crate::ids::{
    ApiKey, ApplicationId, BatchId, EventId, GalleryId, RecordId, SubjectId, TagName,
};
use crate::wire;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Face attributes

/// A rectangle in image pixels (`faceArea`, `headArea`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FaceRect {
    #[serde(with = "wire::pixel")]
    pub left: i32,
    #[serde(with = "wire::pixel")]
    pub top: i32,
    #[serde(with = "wire::pixel")]
    pub right: i32,
    #[serde(with = "wire::pixel")]
    pub bottom: i32,
}

impl FaceRect {
    /// Width in pixels (zero for a degenerate rectangle).
    pub fn width(&self) -> i32 {
        (self.right - self.left).max(0)
    }

    /// Height in pixels (zero for a degenerate rectangle).
    pub fn height(&self) -> i32 {
        (self.bottom - self.top).max(0)
    }
}

/// A point in image pixels (`rightEyeCenter`, `leftEyeCenter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FacePoint {
    #[serde(with = "wire::pixel")]
    pub x: i32,
    #[serde(with = "wire::pixel")]
    pub y: i32,
}

/// What the service measured of one face (the reference's "Face Attributes").
///
/// `right_eye_center` is the subject's right eye, which appears on the *left* of a non-mirrored
/// photo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FaceAttributes {
    pub face_area: FaceRect,
    pub head_area: FaceRect,
    pub right_eye_center: FacePoint,
    pub left_eye_center: FacePoint,
    /// Degree of frontal view, 0..1.
    #[serde(with = "wire::decimal")]
    pub frontal_face_score: f64,
    /// Roll in degrees.
    #[serde(with = "wire::decimal")]
    pub face_roll: f64,
    /// Pan (yaw) in degrees.
    #[serde(with = "wire::decimal")]
    pub face_pan: f64,
    /// Tilt (pitch) in degrees.
    #[serde(with = "wire::decimal")]
    pub face_tilt: f64,
    /// Detector confidence, 0..1.
    #[serde(with = "wire::decimal")]
    pub face_score: f64,
    /// Overall quality, 0..1; enrolment refuses faces below the application's minimum.
    #[serde(with = "wire::decimal")]
    pub face_quality_score: f64,
}

impl FaceAttributes {
    /// Multiplies every coordinate (`faceArea`, `headArea`, the eye centres) by `across`
    /// horizontally and `down` vertically, to the nearest pixel: attributes measured on a scaled
    /// copy, mapped onto the original ([`crate::ScaledCopy::map_to_original`]).
    pub fn scale_coordinates(&mut self, across: f64, down: f64) {
        let x = |v: i32| (f64::from(v) * across).round() as i32;
        let y = |v: i32| (f64::from(v) * down).round() as i32;
        for rect in [&mut self.face_area, &mut self.head_area] {
            *rect = FaceRect {
                left: x(rect.left),
                top: y(rect.top),
                right: x(rect.right),
                bottom: y(rect.bottom),
            };
        }
        for point in [&mut self.right_eye_center, &mut self.left_eye_center] {
            *point = FacePoint {
                x: x(point.x),
                y: y(point.y),
            };
        }
    }
}

/// A match score, 0..=9999; the API's default threshold is 7000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MatchScore(u16);

impl MatchScore {
    /// The highest score.
    pub const MAX: MatchScore = MatchScore(9999);
    /// The API's default threshold for search and verify.
    pub const DEFAULT_THRESHOLD: MatchScore = MatchScore(7000);

    /// A score, or `None` above 9999.
    pub fn new(value: u16) -> Option<Self> {
        (value <= 9999).then_some(Self(value))
    }

    /// A score from any number, clamped into 0..=9999.
    pub fn saturating(value: f64) -> Self {
        Self(value.round().clamp(0.0, 9999.0) as u16)
    }

    /// The score as a number.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for MatchScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for MatchScore {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = wire::lenient_u64::deserialize(deserializer)?;
        u16::try_from(value)
            .ok()
            .and_then(MatchScore::new)
            .ok_or_else(|| serde::de::Error::custom(format!("score {value} is outside 0..=9999")))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors on the wire

/// The reference's error codes (its "Error Codes and Types" table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 1001: the request is invalid, possibly missing parameters.
    InvalidRequest,
    /// 1002: a duplicate request; the identifier is in the message.
    Duplicate,
    /// 1003: the request timed out.
    Timeout,
    /// 2001: no face was found in the image.
    NoFace,
    /// 2002: the face's quality score is below the application's minimum.
    PoorQuality,
    /// 2003: more than one face in an image that must hold exactly one.
    MultipleFaces,
    /// A code this client does not know.
    Other(u32),
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u32 {
        match self {
            Self::InvalidRequest => 1001,
            Self::Duplicate => 1002,
            Self::Timeout => 1003,
            Self::NoFace => 2001,
            Self::PoorQuality => 2002,
            Self::MultipleFaces => 2003,
            Self::Other(code) => code,
        }
    }

    /// The code for a number.
    pub fn from_code(code: u32) -> Self {
        match code {
            1001 => Self::InvalidRequest,
            1002 => Self::Duplicate,
            1003 => Self::Timeout,
            2001 => Self::NoFace,
            2002 => Self::PoorQuality,
            2003 => Self::MultipleFaces,
            other => Self::Other(other),
        }
    }

    /// The `errorType` the reference pairs with this code.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::InvalidRequest => "InvalidRequest",
            Self::Duplicate => "Duplicate",
            Self::Timeout => "Timeout",
            Self::NoFace => "NoFace",
            Self::PoorQuality => "PoorQuality",
            Self::MultipleFaces => "MultipleFaces",
            Self::Other(_) => "Unknown",
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = wire::lenient_u64::deserialize(deserializer)?;
        let code = u32::try_from(value).map_err(serde::de::Error::custom)?;
        Ok(Self::from_code(code))
    }
}

/// The body of an error response: `{"message", "errorCode", "errorType"}`; 403 and 404 bodies
/// carry only `message`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

impl ErrorBody {
    /// A body for one of the reference's codes.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            error_code: Some(code),
            error_type: Some(code.error_type().to_owned()),
        }
    }

    /// A body with only a message (403 and 404).
    pub fn message(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            error_code: None,
            error_type: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subjects and events

/// Whether an event's slot holds a live template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    Active,
    Deleted,
}

/// One row of List Subjects: one event of one subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectRow {
    pub id: SubjectId,
    pub event_id: EventId,
    pub status: EventStatus,
    /// ISO 8601, e.g. `2018-12-18T00:27:56.427+00:00`.
    pub last_updated: String,
}

/// A page of List Subjects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubjectPage {
    pub subjects: Vec<SubjectRow>,
    /// Rows (events, including DELETED ones) in the whole gallery.
    #[serde(with = "wire::lenient_u64")]
    pub total: u64,
}

/// Sort order of List Subjects, by `lastUpdated`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

impl SortDirection {
    /// The query-string value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// The body of Register Subject, Update Subject, Register Event and Update Event.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceEnrolment {
    /// The image, base64.
    pub face: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagName>,
}

impl fmt::Debug for FaceEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceEnrolment")
            .field("face", &format_args!("<{} base64 chars>", self.face.len()))
            .field("tags", &self.tags)
            .finish()
    }
}

/// The answer to an enrolment: which subject and event hold the face, and what was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrolment {
    pub id: SubjectId,
    pub event_id: EventId,
    pub attributes: FaceAttributes,
}

/// An event reference in List Events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub id: EventId,
}

/// The answer to List Events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectEvents {
    pub id: SubjectId,
    pub events: Vec<EventRef>,
}

// ---------------------------------------------------------------------------------------------
// Face

/// The body of Extract.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractRequest {
    /// The image, base64, holding one or more faces.
    pub faces: String,
}

impl fmt::Debug for ExtractRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtractRequest(<{} base64 chars>)", self.faces.len())
    }
}

/// One face found by Extract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtractedFace {
    pub attributes: FaceAttributes,
    /// The face's 68 landmarks (the iBUG 300-W layout), when asked for with
    /// `?landmarks=68`: a local extension that only the local service offers. Absent from the
    /// NEC response, and left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmarks: Option<Vec<Landmark>>,
}

/// Landmarks per face in the local extension `POST /v1.1/face/extract?landmarks=68`.
pub const LANDMARK_COUNT: usize = 68;

/// One landmark in image pixels of the upright image (EXIF orientation applied), fractional, as
/// plain JSON numbers (unlike the attributes' numbers, which the reference writes as strings).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Landmark {
    /// Column.
    pub x: f64,
    /// Row.
    pub y: f64,
}

impl Landmark {
    /// Multiplies the point by `across` horizontally and `down` vertically: a landmark measured
    /// on a scaled copy, mapped onto the original ([`crate::ScaledCopy::map_landmarks_to_original`]).
    pub fn scale(self, across: f64, down: f64) -> Self {
        Self {
            x: self.x * across,
            y: self.y * down,
        }
    }
}

/// The answer to Extract: up to 20 faces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtractResponse {
    pub faces: Vec<ExtractedFace>,
}

/// The body of Search.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// The probe image, base64.
    pub probe: String,
    /// 0..=9999; the server's default is 7000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<MatchScore>,
    /// 1..=50 events in total; the server's default is 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only subjects carrying any of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagName>,
}

impl fmt::Debug for SearchRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchRequest")
            .field(
                "probe",
                &format_args!("<{} base64 chars>", self.probe.len()),
            )
            .field("threshold", &self.threshold)
            .field("limit", &self.limit)
            .field("tags", &self.tags)
            .finish()
    }
}

/// One matching event of a candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoredEvent {
    pub id: EventId,
    pub score: MatchScore,
}

/// One subject returned by Search, with its best score first among its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: SubjectId,
    pub score: MatchScore,
    pub events: Vec<ScoredEvent>,
}

/// The answer to Search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub candidates: Vec<Candidate>,
    pub attributes: FaceAttributes,
}

/// The body of Verify (subject): a probe against one subject's events.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifySubjectRequest {
    pub probe: String,
    pub id: SubjectId,
}

impl fmt::Debug for VerifySubjectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifySubjectRequest")
            .field(
                "probe",
                &format_args!("<{} base64 chars>", self.probe.len()),
            )
            .field("id", &self.id)
            .finish()
    }
}

/// The answer to Verify (subject).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifySubjectResponse {
    pub id: SubjectId,
    pub score: MatchScore,
}

/// The body of Verify Face (2020 revision): two images, no subject.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyFaceRequest {
    pub face: String,
    pub probe: String,
}

impl fmt::Debug for VerifyFaceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyFaceRequest")
            .field("face", &format_args!("<{} base64 chars>", self.face.len()))
            .field(
                "probe",
                &format_args!("<{} base64 chars>", self.probe.len()),
            )
            .finish()
    }
}

/// The answer to Verify Face.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyFaceResponse {
    pub score: MatchScore,
}

/// The answer to Health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
}

// ---------------------------------------------------------------------------------------------
// Tags

/// The body of Update Tag (a rename).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenameTag {
    pub new_name: TagName,
}

// ---------------------------------------------------------------------------------------------
// Bulk registration

/// One file of a bulk registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRegistration {
    /// The object's name in the tenant's bucket.
    pub filename: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagName>,
}

/// The body of Bulk Register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRegisterRequest {
    pub registrations: Vec<BulkRegistration>,
}

/// The answer to Bulk Register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRegisterResponse {
    pub batch_id: BatchId,
}

/// Whether a bulk record has been processed yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordStatus {
    New,
    Processed,
}

/// The outcome of a processed bulk record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegisterStatus {
    Success,
    Failed,
}

/// `attributesJson`: face attributes carried as a JSON document inside a string.
///
/// A value that is not a valid attributes document (the reference's own example holds `"..."`) is
/// kept as it came, so nothing is lost on a round trip.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AttributesJson {
    parsed: Option<FaceAttributes>,
    raw: String,
}

impl AttributesJson {
    /// The attributes, when the string held a valid document.
    pub fn attributes(&self) -> Option<&FaceAttributes> {
        self.parsed.as_ref()
    }

    /// The string as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl From<FaceAttributes> for AttributesJson {
    fn from(attributes: FaceAttributes) -> Self {
        let raw = serde_json::to_string(&attributes).unwrap_or_default();
        Self {
            parsed: Some(attributes),
            raw,
        }
    }
}

impl Serialize for AttributesJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for AttributesJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A server may also send the document itself rather than a string holding it.
        let value = serde_json::Value::deserialize(deserializer)?;
        let raw = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        let parsed = serde_json::from_str(&raw).ok();
        Ok(Self { parsed, raw })
    }
}

/// One record of a bulk job (the reference's "Register Request Summary").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSummary {
    pub id: RecordId,
    pub filename: String,
    #[serde(with = "wire::count_string", default)]
    pub attempts: u32,
    #[serde(
        default,
        with = "empty_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_id: Option<EventId>,
    #[serde(
        default,
        with = "empty_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub subject_id: Option<SubjectId>,
    #[serde(
        default,
        with = "empty_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub register_status: Option<RegisterStatus>,
    #[serde(default)]
    pub reason: String,
    pub status: RecordStatus,
    #[serde(default)]
    pub attributes_json: AttributesJson,
}

/// A page of Bulk Register Progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkProgress {
    pub batch_id: BatchId,
    pub processed: Vec<RegisterSummary>,
    /// Empty on the last page; otherwise the `pagingId` of the next.
    #[serde(default)]
    pub last_evaluated_key: String,
}

/// Reads `""` and `null` as `None` (servers write either for "not yet").
mod empty_is_none {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        T: serde::de::DeserializeOwned,
        D: Deserializer<'de>,
    {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(ref text) if text.is_empty() => Ok(None),
            other => T::deserialize(other)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Galleries and applications (the portal surface)

/// A gallery in List Galleries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GallerySummary {
    pub id: GalleryId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Slots.
    #[serde(with = "wire::lenient_u64")]
    pub size: u64,
    /// Slots in use.
    #[serde(with = "wire::lenient_u64", default)]
    pub count: u64,
}

/// The answer to List Galleries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryList {
    pub galleries: Vec<GallerySummary>,
}

/// An application as listed (and inside Get Gallery).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSummary {
    pub id: ApplicationId,
    pub name: String,
    pub api_key: ApiKey,
}

/// The answer to Get Gallery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryDetail {
    pub id: GalleryId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(with = "wire::lenient_u64")]
    pub size: u64,
    #[serde(with = "wire::lenient_u64", default)]
    pub count: u64,
    #[serde(default)]
    pub applications: Vec<ApplicationSummary>,
}

/// The body of Create Gallery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateGallery {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// At least 0.45.
    #[serde(with = "wire::lenient_f64")]
    pub face_minimum_quality_score: f64,
    #[serde(with = "wire::lenient_u64")]
    pub size: u64,
}

/// The answer to Create Gallery: the gallery and the API key of the application made with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedGallery {
    pub id: GalleryId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(with = "wire::lenient_u64")]
    pub size: u64,
    pub api_key: ApiKey,
}

/// The body of Update Gallery; unset fields are left as they are. The size may only grow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateGallery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// The answer to Update Gallery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatedGallery {
    pub id: GalleryId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(with = "wire::lenient_u64")]
    pub size: u64,
}

/// The answer to List Applications.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationSummary>,
}

/// The answer to Get, Create and Update Application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: ApplicationId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub api_key: ApiKey,
    #[serde(with = "wire::lenient_f64")]
    pub face_minimum_quality_score: f64,
    /// Not in the reference's examples; a local service adds it so the console can show which
    /// gallery an application opens.
    #[serde(default, rename = "galleryId", skip_serializing_if = "Option::is_none")]
    pub gallery_id: Option<GalleryId>,
}

/// The body of Create Application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApplication {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// At least 0.45.
    #[serde(with = "wire::lenient_f64")]
    pub face_minimum_quality_score: f64,
    pub gallery_id: GalleryId,
}

/// The body of Update Application; unset fields are left as they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateApplication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_minimum_quality_score: Option<f64>,
}
