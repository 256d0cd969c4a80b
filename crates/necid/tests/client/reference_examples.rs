//! Every example body of the reference (`../shared/api/necid-api-1.1.md`, and the 2020 `.rst`
//! for Verify Face and Health) parses into its type and serialises back to equivalent JSON.
//!
//! The PDF conversion broke some examples; each is copied here with the smallest repair, noted
//! beside it: page breaks rejoined, placeholders such as `[Application API key]` quoted, missing
//! commas added, trailing commas removed.

use necid::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn round_trips<T: DeserializeOwned + Serialize>(name: &str, text: &str) -> T {
    let original: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let parsed: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{name} does not parse into its type: {e}"));
    let again = serde_json::to_value(&parsed).expect("serialises");
    assert_eq!(
        again, original,
        "{name} does not re-serialise to the same JSON"
    );
    parsed
}

const ATTRIBUTES: &str = r#"{
    "faceArea": {"left": "161", "top": "156", "right": "318", "bottom": "313"},
    "headArea": {"left": "131", "top": "86", "right": "345", "bottom": "343"},
    "rightEyeCenter": {"x": "195", "y": "198"},
    "leftEyeCenter": {"x": "276", "y": "191"},
    "frontalFaceScore": "0.569824",
    "faceRoll": "4.93922",
    "facePan": "-9.34863",
    "faceTilt": "7.613",
    "faceScore": "0.999591",
    "faceQualityScore": "0.86541"
}"#;

fn with_attributes(head: &str) -> String {
    format!("{{{head}, \"attributes\": {ATTRIBUTES}}}")
}

#[test]
fn list_subjects_example_parses_with_deleted_rows() {
    let page: SubjectPage = round_trips(
        "List Subjects response",
        r#"{
          "subjects": [
            {"id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-caf3-4e0f-92b9-101a9e73a3ee", "status": "ACTIVE", "lastUpdated": "2018-12-18T00:27:56.427+00:00"},
            {"id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-f99a-41dc-8eb1-cd7b1b3dcdec", "status": "DELETED", "lastUpdated": "2019-02-28T18:11:49.157+00:00"},
            {"id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-f99a-41dc-8eb1-cd7b1b3dcdec", "status": "ACTIVE", "lastUpdated": "2019-02-28T18:11:49.174+00:00"}
          ],
          "total": 3
        }"#,
    );
    assert_eq!(page.total, 3);
    assert_eq!(page.subjects[1].status, EventStatus::Deleted);
}

#[test]
fn enrolment_request_examples_parse() {
    for (name, text) in [
        (
            "Register Subject",
            r#"{"face": "[FACE]", "tags": ["passport"]}"#,
        ),
        (
            "Update Subject",
            r#"{"face": "[FACE]", "tags": ["passport"]}"#,
        ),
        (
            "Register Event",
            r#"{"face": "[FACE]", "tags": ["licence"]}"#,
        ),
        ("Update Event", r#"{"face": "[FACE]", "tags": ["licence"]}"#),
    ] {
        let body: FaceEnrolment = round_trips(name, text);
        assert_eq!(body.face, "[FACE]");
    }
}

#[test]
fn enrolment_response_examples_parse_with_numbers_as_strings() {
    for (name, ids) in [
        (
            "Register Subject",
            r#""id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-caf3-4e0f-92b9-101a9e73a3ee""#,
        ),
        (
            "Update Subject",
            r#""id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-caf3-4e0f-92b9-101a9e73a3ee""#,
        ),
        (
            "Register Event",
            r#""id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-f99a-41dc-8eb1-cd7b1b3dcdec""#,
        ),
        (
            "Update Event",
            r#""id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "eventId": "eventguid-f99a-41dc-8eb1-cd7b1b3dcdec""#,
        ),
    ] {
        let enrolment: Enrolment = round_trips(name, &with_attributes(ids));
        let attributes = enrolment.attributes;
        assert_eq!(attributes.face_area.left, 161);
        assert_eq!(attributes.right_eye_center.x, 195);
        assert!((attributes.face_pan - -9.34863).abs() < 1e-12);
        assert!((attributes.face_quality_score - 0.86541).abs() < 1e-12);
    }
}

#[test]
fn list_events_example_parses() {
    let events: SubjectEvents = round_trips(
        "List Events response",
        r#"{"id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b",
            "events": [{"id": "eventguid-caf3-4e0f-92b9-101a9e73a3ee"}, {"id": "eventguid-f99a-41dc-8eb1-cd7b1b3dcdec"}]}"#,
    );
    assert_eq!(events.events.len(), 2);
}

#[test]
fn extract_examples_parse_including_minus_zero() {
    round_trips::<ExtractRequest>("Extract request", r#"{"faces": "[FACES]"}"#);
    // Page break rejoined; the misplaced closing braces of the first face restored.
    let response: ExtractResponse = round_trips(
        "Extract response",
        r#"{"faces": [
          {"attributes": {
            "faceArea": {"left": "434", "top": "449", "right": "503", "bottom": "518"},
            "headArea": {"left": "423", "top": "418", "right": "515", "bottom": "531"},
            "rightEyeCenter": {"x": "451", "y": "464"},
            "leftEyeCenter": {"x": "487", "y": "466"},
            "frontalFaceScore": "0.574219",
            "faceRoll": "-3.17983",
            "facePan": "-9.72147",
            "faceTilt": "7.93723",
            "faceScore": "0.999993",
            "faceQualityScore": "0.749248"}},
          {"attributes": {
            "faceArea": {"left": "850", "top": "416", "right": "921", "bottom": "486"},
            "headArea": {"left": "838", "top": "383", "right": "933", "bottom": "500"},
            "rightEyeCenter": {"x": "866", "y": "431"},
            "leftEyeCenter": {"x": "904", "y": "431"},
            "frontalFaceScore": "0.574707",
            "faceRoll": "-0",
            "facePan": "8.36667",
            "faceTilt": "1.05248",
            "faceScore": "0.999994",
            "faceQualityScore": "0.764253"}}
        ]}"#,
    );
    assert_eq!(response.faces.len(), 2);
    assert_eq!(response.faces[1].attributes.face_roll, 0.0);
}

#[test]
fn search_examples_parse() {
    let request: SearchRequest = round_trips(
        "Search request",
        r#"{"probe": "[PROBE]", "threshold": 7500, "limit": 3, "tags": ["passport", "licence"]}"#,
    );
    assert_eq!(request.threshold.map(MatchScore::get), Some(7500));
    // Missing commas after the event ids added; page break rejoined.
    let response: SearchResponse = round_trips(
        "Search response",
        &format!(
            r#"{{"candidates": [
              {{"id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "score": 8200,
                "events": [{{"id": "eventguid-caf3-4e0f-92b9-101a9e73a3ee", "score": 8200}},
                           {{"id": "eventguid-f99a-41dc-8eb1-cd7b1b3dcdec", "score": 8000}}]}},
              {{"id": "necidguid-0d05-4052-a44f-83f6b243e70b", "score": 7600,
                "events": [{{"id": "eventguid-f8bc-47d1-a976-7e8b953da664", "score": 7600}}]}}
            ], "attributes": {ATTRIBUTES}}}"#
        ),
    );
    assert_eq!(response.candidates[0].score.get(), 8200);
    assert_eq!(response.candidates[1].events.len(), 1);
}

#[test]
fn verify_examples_parse() {
    round_trips::<VerifySubjectRequest>(
        "Verify request",
        r#"{"probe": "[PROBE]", "id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b"}"#,
    );
    let verified: VerifySubjectResponse = round_trips(
        "Verify response",
        r#"{"id": "necidguid-fcdf-49eb-9182-5a6825ed2a3b", "score": 8200}"#,
    );
    assert_eq!(verified.score.get(), 8200);
    round_trips::<VerifyFaceRequest>(
        "Verify Face request (2020)",
        r#"{"face": "[FACE]", "probe": "[PROBE]"}"#,
    );
    let face: VerifyFaceResponse = round_trips("Verify Face response (2020)", r#"{"score": 8200}"#);
    assert_eq!(face.score.get(), 8200);
    let health: Health = round_trips("Health response (2020)", r#"{"status": "OK"}"#);
    assert_eq!(health.status, "OK");
}

#[test]
fn tag_examples_parse() {
    let tags: Vec<TagName> = round_trips("List Tags response", r#"["passport", "licence"]"#);
    assert_eq!(tags[1].as_str(), "licence");
    let rename: RenameTag = round_trips("Update Tag request", r#"{"newName": "identification"}"#);
    assert_eq!(rename.new_name.as_str(), "identification");
}

#[test]
fn bulk_register_examples_parse_with_attributes_json_kept() {
    let request: BulkRegisterRequest = round_trips(
        "Bulk Register request",
        r#"{"registrations": [{"filename": "1.jpg", "tags": ["passport"]}, {"filename": "2.jpg", "tags": ["passport"]}]}"#,
    );
    assert_eq!(request.registrations.len(), 2);
    round_trips::<BulkRegisterResponse>(
        "Bulk Register response",
        r#"{"batchId": "batchguid-eec5-440a-89fc-60817f5546c8"}"#,
    );
    // Page break rejoined: `lastEvaluatedKey` sits after the records.
    let progress: BulkProgress = round_trips(
        "Bulk Register Progress response",
        r#"{"batchId": "batchguid-eec5-440a-89fc-60817f5546c8",
            "processed": [
              {"id": "51448BB9-956D-44FD-89AC-A5065D30D084", "filename": "1.jpg", "attempts": "1",
               "eventId": "eventguid-B190-466E-A1C2-9E85F436775A", "subjectId": "necidguid-45EC-4A97-88F0-F064A829FC90",
               "registerStatus": "Success", "reason": "", "status": "Processed", "attributesJson": "..."},
              {"id": "EFE569DA-AE74-43CC-A75F-BD85B07A7401", "filename": "2.jpg", "attempts": "1",
               "eventId": "eventguid-F3BE-4428-AAC3-8C9631776364", "subjectId": "necidguid-113B-4726-A267-4267816EC8FB",
               "registerStatus": "Failed", "reason": "Image too small", "status": "Processed", "attributesJson": "..."}
            ],
            "lastEvaluatedKey": ""}"#,
    );
    assert_eq!(progress.processed[0].attempts, 1);
    assert_eq!(
        progress.processed[1].register_status,
        Some(RegisterStatus::Failed)
    );
    assert_eq!(progress.processed[1].attributes_json.raw(), "...");
    assert!(progress.processed[1].attributes_json.attributes().is_none());
}

#[test]
fn attributes_json_holding_a_document_is_parsed_into_numbers() {
    let text = json!({
        "id": "r1", "filename": "1.jpg", "attempts": "2", "status": "Processed",
        "registerStatus": "Success", "reason": "",
        "attributesJson": ATTRIBUTES.split_whitespace().collect::<String>(),
    });
    let record: RegisterSummary = serde_json::from_value(text).expect("parses");
    let attributes = record.attributes_json.attributes().expect("a document");
    assert_eq!(attributes.head_area.bottom, 343);
    assert_eq!(record.attempts, 2);
}

#[test]
fn gallery_examples_parse() {
    let list: GalleryList = round_trips(
        "List Galleries response",
        r#"{"galleries": [
          {"id": "galleryguid-327D-4D31-8E25-35891A034220", "name": "Staff", "description": "Staff", "size": 10000, "count": 3891},
          {"id": "galleryguid-5570-4f20-a95c-8e50e0bca0cb", "name": "Y9Students", "description": "Year 9 students", "size": 1000, "count": 873},
          {"id": "galleryguid-b751-4b5e-9e4d-cc1a314788db", "name": "Visitors", "description": "Visitors", "size": 10000, "count": 431}
        ]}"#,
    );
    assert_eq!(list.galleries[0].count, 3891);
    // `[Application API key]` quoted.
    let detail: GalleryDetail = round_trips(
        "Get Gallery response",
        r#"{"id": "galleryguid-327D-4D31-8E25-35891A034220", "name": "Staff", "description": "Staff",
            "size": 10000, "count": 3891,
            "applications": [{"id": "applicationId02", "name": "Building Access System", "apiKey": "[Application API key]"}]}"#,
    );
    assert_eq!(
        detail.applications[0].api_key.expose(),
        "[Application API key]"
    );
    // Trailing comma removed.
    let create: CreateGallery = round_trips(
        "Create Gallery request",
        r#"{"name": "Y10Students", "description": "Year 10 Students", "faceMinimumQualityScore": 0.8, "size": 1000}"#,
    );
    assert_eq!(create.size, 1000);
    round_trips::<CreatedGallery>(
        "Create Gallery response",
        r#"{"id": "galleryguid-28da-4dd4-b10b-e48c6be09689", "name": "Y10Students", "description": "Year 10 Students",
            "size": 1000, "apiKey": "[Application API key]"}"#,
    );
    // Trailing comma removed.
    let update: UpdateGallery = round_trips(
        "Update Gallery request",
        r#"{"name": "Y10Students", "description": "Year 10 Students", "size": 2000}"#,
    );
    assert_eq!(update.size, Some(2000));
    round_trips::<UpdatedGallery>(
        "Update Gallery response",
        r#"{"id": "galleryguid-28da-4dd4-b10b-e48c6be09689", "name": "Y10Students", "description": "Year 10 Students", "size": 2000}"#,
    );
}

#[test]
fn application_examples_parse() {
    let list: ApplicationList = round_trips(
        "List Applications response",
        r#"{"applications": [
          {"id": "applicationId01", "name": "HR System", "apiKey": "[Application API key]"},
          {"id": "applicationId02", "name": "Building Access System", "apiKey": "[Application API key]"}
        ]}"#,
    );
    assert_eq!(list.applications.len(), 2);
    let application: Application = round_trips(
        "Get Application response",
        r#"{"id": "applicationId01", "name": "HR System", "description": "HR System",
            "apiKey": "[Application API key]", "faceMinimumQualityScore": 0.6}"#,
    );
    assert_eq!(application.face_minimum_quality_score, 0.6);
    // Trailing comma removed.
    round_trips::<CreateApplication>(
        "Create Application request",
        r#"{"name": "Building Access System", "description": "Building Access System",
            "faceMinimumQualityScore": 0.8, "galleryId": "galleryguid-327D-4D31-8E25-35891A034220"}"#,
    );
    // The broken opening `{\n{id":` repaired to `{"id":`.
    round_trips::<Application>(
        "Create Application response",
        r#"{"id": "applicationId02", "name": "Building Access System", "description": "Building Access System",
            "apiKey": "[Application API key]", "faceMinimumQualityScore": 0.8}"#,
    );
    round_trips::<UpdateApplication>(
        "Update Application request",
        r#"{"name": "Building Access System", "description": "Building Access System", "faceMinimumQualityScore": 0.6}"#,
    );
    // Missing comma after `description` added.
    round_trips::<Application>(
        "Update Application response",
        r#"{"id": "applicationId02", "name": "Building Access System", "description": "Building Access System",
            "apiKey": "[Application API key]", "faceMinimumQualityScore": 0.8}"#,
    );
}

#[test]
fn error_examples_parse() {
    let body: ErrorBody = round_trips(
        "Register error response",
        r#"{"message": "face property must be provided.", "errorCode": 1001, "errorType": "InvalidRequest"}"#,
    );
    assert_eq!(body.error_code, Some(ErrorCode::InvalidRequest));
    round_trips::<ErrorBody>(
        "403 expired",
        r#"{"message": "Signature expired: 20180816T032046Z is now earlier than 20180816T040329Z (20180816T040829Z - 5 min.)"}"#,
    );
    round_trips::<ErrorBody>("403 api key", r#"{"message": "Forbidden"}"#);
}

#[test]
fn numbers_sent_as_numbers_are_accepted_where_the_reference_shows_strings() {
    let attributes: FaceAttributes = serde_json::from_value(json!({
        "faceArea": {"left": 161, "top": 156.4, "right": "318", "bottom": 313},
        "headArea": {"left": 131, "top": 86, "right": 345, "bottom": 343},
        "rightEyeCenter": {"x": 195, "y": 198},
        "leftEyeCenter": {"x": 276, "y": 191},
        "frontalFaceScore": 0.569824, "faceRoll": 4.93922, "facePan": -9.34863,
        "faceTilt": 7.613, "faceScore": 0.999591, "faceQualityScore": 0.86541
    }))
    .expect("numbers are accepted");
    assert_eq!(attributes.face_area.top, 156);
    let written = serde_json::to_value(&attributes).expect("serialises");
    assert_eq!(written["faceArea"]["left"], json!("161"));
    assert_eq!(written["faceScore"], json!("0.999591"));
    let score: MatchScore = serde_json::from_value(json!("8200")).expect("a score as a string");
    assert_eq!(score.get(), 8200);
}

#[test]
fn out_of_range_and_malformed_values_are_refused() {
    assert!(serde_json::from_value::<MatchScore>(json!(10000)).is_err());
    assert!(serde_json::from_value::<MatchScore>(json!(-1)).is_err());
    assert!(
        serde_json::from_value::<FaceRect>(json!({"left": "x", "top": 0, "right": 0, "bottom": 0}))
            .is_err()
    );
    assert!(serde_json::from_value::<SubjectPage>(json!({"subjects": []})).is_err());
}
