//! The OpenAPI document against the wire types of `necid-wire`, so that neither drifts alone.
//!
//! `openapi.json` is written by `scripts/compat/make_openapi.py`, by hand-kept Python. This test
//! holds each schema derived from a wire type to that type, both ways: every field that a sample
//! of the type serialises to must be a property of the schema with the schema's type (a renamed
//! or added field fails), every property of the schema must come from some sample (a removed
//! field fails), the schema's required properties must be in every sample, and a body built from
//! the schema alone must deserialise into the type (a field the type needs but the schema does
//! not require fails). The enums (error codes and types, event and record statuses) and the
//! limits (the 7000 default threshold, scores up to 9999, 68 landmarks, 64 tags) are compared
//! with the crate's constants.

use std::collections::BTreeSet;

use necid_wire::{
    ApiKey, Application, ApplicationId, ApplicationList, ApplicationSummary, AttributesJson,
    BatchId, BulkProgress, BulkRegisterRequest, BulkRegisterResponse, BulkRegistration, Candidate,
    CreateApplication, CreateGallery, CreatedGallery, Enrolment, ErrorBody, ErrorCode, EventId,
    EventRef, EventStatus, ExtractRequest, ExtractResponse, ExtractedFace, FaceAttributes,
    FaceEnrolment, FacePoint, FaceRect, GalleryDetail, GalleryId, GalleryList, GallerySummary,
    Health, LANDMARK_COUNT, Landmark, MAX_TAGS, MatchScore, RecordId, RecordStatus, RegisterStatus,
    RegisterSummary, RenameTag, ScoredEvent, SearchRequest, SearchResponse, SubjectEvents,
    SubjectId, SubjectPage, SubjectRow, TagName, UpdateApplication, UpdateGallery, UpdatedGallery,
    VerifyFaceRequest, VerifyFaceResponse, VerifySubjectRequest, VerifySubjectResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn document() -> Value {
    serde_json::from_str(necid_server::openapi::DOCUMENT).expect("openapi.json is JSON")
}

/// `schema` with any `$ref` followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "dangling reference {reference}");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Where the samples and the schema disagree, and which schema properties the samples used.
#[derive(Default)]
struct Drift {
    problems: Vec<String>,
    used: BTreeSet<String>,
}

impl Drift {
    /// Checks `value` (a serialised sample) against `schema`, at `path`.
    fn check(&mut self, doc: &Value, schema: &Value, value: &Value, path: &str) {
        let schema = resolve(doc, schema);
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            self.problems.push(format!(
                "{path}: {value} is not in the schema's enum {allowed:?}"
            ));
        }
        let ty = schema["type"].as_str().unwrap_or("object");
        let fits = match ty {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            _ => value.is_object(),
        };
        if !fits {
            self.problems.push(format!(
                "{path}: the wire type writes {value}, the schema says {ty}"
            ));
            return;
        }
        if let Some(items) = value.as_array() {
            for (i, item) in items.iter().enumerate() {
                self.check(doc, &schema["items"], item, &format!("{path}[{i}]"));
            }
        }
        let Some(fields) = value.as_object() else {
            return;
        };
        let properties = schema["properties"].as_object();
        for (name, field) in fields {
            let at = format!("{path}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => {
                    self.used.insert(at.clone());
                    self.check(doc, property, field, &at);
                }
                None => self.problems.push(format!(
                    "{at}: the wire type writes it, the schema has no such property"
                )),
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                self.problems.push(format!(
                    "{path}.{name}: required by the schema, not written by the wire type"
                ));
            }
        }
    }

    /// Every property of `schema` (and of the objects inside it) that no sample used.
    fn unused(&mut self, doc: &Value, schema: &Value, path: &str, depth: usize) {
        let schema = resolve(doc, schema);
        if depth > 6 {
            return;
        }
        if schema["type"] == "array" {
            self.unused(doc, &schema["items"], &format!("{path}[0]"), depth + 1);
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let at = format!("{path}.{name}");
            // Items are checked under the first item's path, `.x[0]`, whatever their index.
            let seen = self
                .used
                .iter()
                .any(|u| strip_indices(u) == strip_indices(&at));
            if seen {
                self.unused(doc, property, &at, depth + 1);
            } else {
                self.problems
                    .push(format!("{at}: in the schema, but no wire type writes it"));
            }
        }
    }
}

fn strip_indices(path: &str) -> String {
    let mut out = String::new();
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

/// A body holding the schema's required properties only (`all`: every property), each with the
/// simplest value its schema allows.
fn example(doc: &Value, schema: &Value, all: bool) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match schema["type"].as_str().unwrap_or("object") {
        "string" => {
            let length = schema["minLength"].as_u64().unwrap_or(1).max(1);
            Value::String("1".repeat(length as usize))
        }
        "integer" => json!(schema["minimum"].as_u64().unwrap_or(1).max(1)),
        "number" => json!(schema["minimum"].as_f64().unwrap_or(0.5)),
        "boolean" => json!(true),
        "array" => {
            let count = schema["minItems"].as_u64().unwrap_or(1).max(1) as usize;
            Value::Array(vec![example(doc, &schema["items"], all); count])
        }
        _ => {
            let required: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let body = schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(name, _)| all || required.contains(name.as_str()))
                .map(|(name, property)| (name.clone(), example(doc, property, all)))
                .collect();
            Value::Object(body)
        }
    }
}

/// One schema held to one wire type: `samples` are values of the type with every optional field
/// set (and, where a field is left out when empty, without it too).
fn compare<T: Serialize + DeserializeOwned>(
    doc: &Value,
    schema_name: &str,
    samples: &[T],
    problems: &mut Vec<String>,
) {
    let schema = &doc["components"]["schemas"][schema_name];
    assert!(schema.is_object(), "no schema {schema_name}");
    let mut drift = Drift::default();
    for sample in samples {
        let value = serde_json::to_value(sample).expect("a wire type serialises");
        drift.check(doc, schema, &value, schema_name);
    }
    drift.unused(doc, schema, schema_name, 0);
    for all in [false, true] {
        let body = example(doc, schema, all);
        if let Err(e) = serde_json::from_value::<T>(body.clone()) {
            drift.problems.push(format!(
                "{schema_name}: a body the schema allows is refused by the wire type ({e}): {body}"
            ));
        }
    }
    problems.extend(drift.problems);
}

fn attributes() -> FaceAttributes {
    let rect = FaceRect {
        left: 1,
        top: 2,
        right: 30,
        bottom: 40,
    };
    FaceAttributes {
        face_area: rect,
        head_area: rect,
        right_eye_center: FacePoint { x: 10, y: 12 },
        left_eye_center: FacePoint { x: 20, y: 12 },
        frontal_face_score: 0.9,
        face_roll: -1.5,
        face_pan: 2.5,
        face_tilt: 0.25,
        face_score: 0.99,
        face_quality_score: 0.8,
    }
}

fn tags() -> Vec<TagName> {
    vec![TagName::new("staff")]
}

fn scored(n: u16) -> MatchScore {
    MatchScore::new(n).expect("a score")
}

/// Holds every schema derived from a wire type to that type; `doc` is the document under test.
fn drift_of(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let p = &mut p;
    compare(doc, "Rect", &[attributes().face_area], p);
    compare(doc, "Point", &[attributes().left_eye_center], p);
    compare(doc, "FaceAttributes", &[attributes()], p);
    let codes = [
        ErrorCode::InvalidRequest,
        ErrorCode::Duplicate,
        ErrorCode::Timeout,
        ErrorCode::NoFace,
        ErrorCode::PoorQuality,
        ErrorCode::MultipleFaces,
    ];
    let errors: Vec<ErrorBody> = codes.iter().map(|c| ErrorBody::new(*c, "why")).collect();
    compare(doc, "Error", &errors, p);
    compare(doc, "Message", &[ErrorBody::message("Forbidden")], p);
    let enrol = |tags| FaceEnrolment {
        face: "aGk=".into(),
        tags,
    };
    compare(doc, "FaceEnrolment", &[enrol(tags()), enrol(Vec::new())], p);
    compare(
        doc,
        "Enrolment",
        &[Enrolment {
            id: SubjectId::new("s"),
            event_id: EventId::new("e"),
            attributes: attributes(),
        }],
        p,
    );
    let rows = [EventStatus::Active, EventStatus::Deleted].map(|status| SubjectRow {
        id: SubjectId::new("s"),
        event_id: EventId::new("e"),
        status,
        last_updated: "2019-08-01T00:00:00Z".into(),
    });
    compare(
        doc,
        "SubjectPage",
        &[SubjectPage {
            subjects: rows.to_vec(),
            total: 2,
        }],
        p,
    );
    compare(
        doc,
        "SubjectEvents",
        &[SubjectEvents {
            id: SubjectId::new("s"),
            events: vec![EventRef {
                id: EventId::new("e"),
            }],
        }],
        p,
    );
    compare(
        doc,
        "ExtractRequest",
        &[ExtractRequest {
            faces: "aGk=".into(),
        }],
        p,
    );
    let landmarks = vec![Landmark { x: 1.25, y: 2.5 }; LANDMARK_COUNT];
    let faces = [Some(landmarks), None].map(|landmarks| ExtractedFace {
        attributes: attributes(),
        landmarks,
    });
    compare(doc, "ExtractedFace", &faces, p);
    compare(
        doc,
        "ExtractResponse",
        &[ExtractResponse {
            faces: faces.to_vec(),
        }],
        p,
    );
    compare(doc, "Landmark", &[Landmark { x: 1.25, y: 2.5 }], p);
    compare(
        doc,
        "SearchRequest",
        &[
            SearchRequest {
                probe: "aGk=".into(),
                threshold: Some(MatchScore::DEFAULT_THRESHOLD),
                limit: Some(10),
                tags: tags(),
            },
            SearchRequest {
                probe: "aGk=".into(),
                threshold: None,
                limit: None,
                tags: Vec::new(),
            },
        ],
        p,
    );
    compare(
        doc,
        "SearchResponse",
        &[SearchResponse {
            candidates: vec![Candidate {
                id: SubjectId::new("s"),
                score: scored(9000),
                events: vec![ScoredEvent {
                    id: EventId::new("e"),
                    score: scored(9000),
                }],
            }],
            attributes: attributes(),
        }],
        p,
    );
    // Verify Subject and Verify Face (2020) share one route, one request and one response schema.
    let verify_subject = serde_json::to_value(VerifySubjectRequest {
        probe: "aGk=".into(),
        id: SubjectId::new("s"),
    })
    .expect("serialises");
    let verify_face = serde_json::to_value(VerifyFaceRequest {
        face: "aGk=".into(),
        probe: "aGk=".into(),
    })
    .expect("serialises");
    compare(doc, "VerifyRequest", &[verify_subject, verify_face], p);
    let subject_answer = serde_json::to_value(VerifySubjectResponse {
        id: SubjectId::new("s"),
        score: scored(7500),
    })
    .expect("serialises");
    let face_answer = serde_json::to_value(VerifyFaceResponse {
        score: scored(7500),
    })
    .expect("serialises");
    compare(doc, "VerifyResponse", &[subject_answer, face_answer], p);
    compare(
        doc,
        "RenameTag",
        &[RenameTag {
            new_name: TagName::new("visitors"),
        }],
        p,
    );
    compare(
        doc,
        "BulkRegisterRequest",
        &[BulkRegisterRequest {
            registrations: vec![
                BulkRegistration {
                    filename: "a.jpg".into(),
                    tags: tags(),
                },
                BulkRegistration {
                    filename: "b.jpg".into(),
                    tags: Vec::new(),
                },
            ],
        }],
        p,
    );
    compare(
        doc,
        "BulkRegisterResponse",
        &[BulkRegisterResponse {
            batch_id: BatchId::new("b"),
        }],
        p,
    );
    let record = |status, register_status, done: bool| RegisterSummary {
        id: RecordId::new("r"),
        filename: "a.jpg".into(),
        attempts: 1,
        event_id: done.then(|| EventId::new("e")),
        subject_id: done.then(|| SubjectId::new("s")),
        register_status,
        reason: String::new(),
        status,
        attributes_json: if done {
            AttributesJson::from(attributes())
        } else {
            AttributesJson::default()
        },
    };
    compare(
        doc,
        "BulkProgress",
        &[BulkProgress {
            batch_id: BatchId::new("b"),
            processed: vec![
                record(RecordStatus::Processed, Some(RegisterStatus::Success), true),
                record(RecordStatus::Processed, Some(RegisterStatus::Failed), false),
                record(RecordStatus::New, None, false),
            ],
            last_evaluated_key: "k".into(),
        }],
        p,
    );
    compare(
        doc,
        "Health",
        &[Health {
            status: "OK".into(),
        }],
        p,
    );
    let summary = GallerySummary {
        id: GalleryId::new("g"),
        name: "Staff".into(),
        description: "d".into(),
        size: 1000,
        count: 3,
    };
    compare(doc, "GallerySummary", std::slice::from_ref(&summary), p);
    compare(
        doc,
        "GalleryList",
        &[GalleryList {
            galleries: vec![summary],
        }],
        p,
    );
    let app_summary = ApplicationSummary {
        id: ApplicationId::new("a"),
        name: "Door".into(),
        api_key: ApiKey::new("k".repeat(40)),
    };
    compare(
        doc,
        "ApplicationSummary",
        std::slice::from_ref(&app_summary),
        p,
    );
    compare(
        doc,
        "GalleryDetail",
        &[GalleryDetail {
            id: GalleryId::new("g"),
            name: "Staff".into(),
            description: "d".into(),
            size: 1000,
            count: 3,
            applications: vec![app_summary.clone()],
        }],
        p,
    );
    compare(
        doc,
        "CreateGallery",
        &[CreateGallery {
            name: "Staff".into(),
            description: "d".into(),
            face_minimum_quality_score: 0.5,
            size: 1000,
        }],
        p,
    );
    compare(
        doc,
        "CreatedGallery",
        &[CreatedGallery {
            id: GalleryId::new("g"),
            name: "Staff".into(),
            description: "d".into(),
            size: 1000,
            api_key: ApiKey::new("k".repeat(40)),
        }],
        p,
    );
    compare(
        doc,
        "UpdateGallery",
        &[
            UpdateGallery {
                name: Some("Staff".into()),
                description: Some("d".into()),
                size: Some(10),
            },
            UpdateGallery::default(),
        ],
        p,
    );
    compare(
        doc,
        "UpdatedGallery",
        &[UpdatedGallery {
            id: GalleryId::new("g"),
            name: "Staff".into(),
            description: "d".into(),
            size: 1000,
        }],
        p,
    );
    compare(
        doc,
        "ApplicationList",
        &[ApplicationList {
            applications: vec![app_summary],
        }],
        p,
    );
    let application = |gallery_id| Application {
        id: ApplicationId::new("a"),
        name: "Door".into(),
        description: "d".into(),
        api_key: ApiKey::new("k".repeat(40)),
        face_minimum_quality_score: 0.5,
        gallery_id,
    };
    compare(
        doc,
        "Application",
        &[application(Some(GalleryId::new("g"))), application(None)],
        p,
    );
    compare(
        doc,
        "CreateApplication",
        &[CreateApplication {
            name: "Door".into(),
            description: "d".into(),
            face_minimum_quality_score: 0.5,
            gallery_id: GalleryId::new("g"),
        }],
        p,
    );
    compare(
        doc,
        "UpdateApplication",
        &[
            UpdateApplication {
                name: Some("Door".into()),
                description: Some("d".into()),
                face_minimum_quality_score: Some(0.6),
            },
            UpdateApplication::default(),
        ],
        p,
    );
    p.extend(limits_drift(doc, &codes));
    std::mem::take(p)
}

/// The enums and limits the document states, against the wire crate's constants.
fn limits_drift(doc: &Value, codes: &[ErrorCode]) -> Vec<String> {
    let mut problems = Vec::new();
    let schemas = &doc["components"]["schemas"];
    let mut expect = |what: &str, found: &Value, wanted: Value| {
        if *found != wanted {
            problems.push(format!(
                "{what}: the document says {found}, the wire crate {wanted}"
            ));
        }
    };
    let error = &schemas["Error"]["properties"];
    expect(
        "Error.errorCode enum",
        &error["errorCode"]["enum"],
        json!(codes.iter().map(|c| c.code()).collect::<Vec<_>>()),
    );
    expect(
        "Error.errorType enum",
        &error["errorType"]["enum"],
        json!(codes.iter().map(|c| c.error_type()).collect::<Vec<_>>()),
    );
    let threshold = &schemas["SearchRequest"]["properties"]["threshold"];
    expect(
        "SearchRequest.threshold default",
        &threshold["default"],
        json!(MatchScore::DEFAULT_THRESHOLD.get()),
    );
    expect(
        "SearchRequest.threshold maximum",
        &threshold["maximum"],
        json!(MatchScore::MAX.get()),
    );
    for (what, score) in [
        (
            "SearchResponse candidate score",
            &schemas["SearchResponse"]["properties"]["candidates"]["items"]["properties"]["score"],
        ),
        (
            "VerifyResponse.score",
            &schemas["VerifyResponse"]["properties"]["score"],
        ),
    ] {
        expect(what, &score["maximum"], json!(MatchScore::MAX.get()));
    }
    let landmarks = &schemas["ExtractedFace"]["properties"]["landmarks"];
    expect(
        "ExtractedFace.landmarks minItems",
        &landmarks["minItems"],
        json!(LANDMARK_COUNT),
    );
    expect(
        "ExtractedFace.landmarks maxItems",
        &landmarks["maxItems"],
        json!(LANDMARK_COUNT),
    );
    let extract_options = doc["paths"]["/v1.1/face/extract"]["post"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "landmarks");
    expect(
        "the landmarks option of POST /v1.1/face/extract",
        extract_options.map_or(&Value::Null, |p| &p["schema"]["enum"]),
        json!([LANDMARK_COUNT]),
    );
    for schema in ["FaceEnrolment", "SearchRequest"] {
        expect(
            &format!("{schema}.tags maxItems"),
            &schemas[schema]["properties"]["tags"]["maxItems"],
            json!(MAX_TAGS),
        );
    }
    expect(
        "BulkRegisterRequest registration tags maxItems",
        &schemas["BulkRegisterRequest"]["properties"]["registrations"]["items"]["properties"]["tags"]
            ["maxItems"],
        json!(MAX_TAGS),
    );
    problems
}

#[test]
fn the_openapi_schemas_match_the_wire_types_both_ways_and_state_their_limits() {
    let problems = drift_of(&document());
    assert!(
        problems.is_empty(),
        "openapi.json has drifted from necid-wire (fix scripts/compat/make_openapi.py):\n{}",
        problems.join("\n")
    );
}

/// The check above can fail: a renamed property, a property the types never write, a changed
/// limit and a dropped error code are each found.
#[test]
fn the_drift_check_finds_a_renamed_field_a_stray_property_and_a_changed_limit() {
    let doc = document();
    let drift = |edit: &dyn Fn(&mut Value)| {
        let mut changed = doc.clone();
        edit(&mut changed);
        drift_of(&changed).join("\n")
    };
    let renamed = drift(&|d| {
        let props = d["components"]["schemas"]["FaceAttributes"]["properties"]
            .as_object_mut()
            .expect("properties");
        let quality = props.remove("faceQualityScore").expect("faceQualityScore");
        props.insert("faceQuality".into(), quality);
        let required = d["components"]["schemas"]["FaceAttributes"]["required"]
            .as_array_mut()
            .expect("required");
        for name in required.iter_mut() {
            if name == "faceQualityScore" {
                *name = json!("faceQuality");
            }
        }
    });
    assert!(
        renamed.contains("FaceAttributes.faceQualityScore: the wire type writes it")
            && renamed.contains("FaceAttributes.faceQuality: required by the schema"),
        "{renamed}"
    );
    let stray = drift(&|d| {
        d["components"]["schemas"]["Landmark"]["properties"]["z"] = json!({"type": "number"});
    });
    assert!(
        stray.contains("Landmark.z: in the schema, but no wire type writes it"),
        "{stray}"
    );
    let limit = drift(&|d| {
        d["components"]["schemas"]["SearchRequest"]["properties"]["threshold"]["default"] =
            json!(6000);
    });
    assert!(limit.contains("threshold default"), "{limit}");
    let code = drift(&|d| {
        d["components"]["schemas"]["Error"]["properties"]["errorCode"]["enum"] =
            json!([1001, 1002, 1003, 2001, 2002]);
    });
    assert!(code.contains("2003 is not in the schema's enum"), "{code}");
}
