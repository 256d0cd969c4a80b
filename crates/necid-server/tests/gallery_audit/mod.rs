//! The gallery audit (issue 11, a local extension) through the client against the real service:
//! real photos of `testdata/faces`, enrolled the way the mistakes it looks for happen.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use necid::{AuditId, AuditReport, AuditStatus, FaceImage, Gallery, MatchScore, SubjectId};

use crate::common;

fn photo(rel: &str) -> FaceImage {
    FaceImage::from_path(common::face(rel)).expect("test image")
}

/// Polls an audit until it is complete; every answer on the way reports progress in 0..=1
/// that never goes back.
async fn finished(gallery: &Gallery, audit_id: &AuditId) -> AuditReport {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = 0.0;
    loop {
        let report = gallery.audit(audit_id).await.expect("audit progress");
        assert!(
            (last..=1.0).contains(&report.progress),
            "{} after {last}",
            report.progress
        );
        last = report.progress;
        if report.status == AuditStatus::Completed {
            assert_eq!(report.progress, 1.0);
            return report;
        }
        assert!(report.duplicates.is_empty() && report.outliers.is_empty());
        assert!(Instant::now() < deadline, "the audit did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn pair(a: &SubjectId, b: &SubjectId) -> [String; 2] {
    let mut ids = [a.to_string(), b.to_string()];
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_reports_the_people_enrolled_twice_and_the_face_filed_under_someone_else() {
    let service = common::Service::start().await;
    let gallery = service.gallery("Audited").await;
    let people = [
        "deepface_p01",
        "deepface_p02",
        "deepface_p03",
        "deepface_p04",
        "deepface_p05",
        "john_salley",
        "john_savage",
        "john_schneider",
        "john_shimkus",
        "obama",
    ];
    let mut first_subjects = Vec::new();
    for person in people {
        let first = gallery
            .register_subject(&photo(&format!("{person}/1.jpg")), &[])
            .await
            .expect("enrol");
        gallery
            .register_event(&first.id, &photo(&format!("{person}/2.jpg")), &[])
            .await
            .expect("second event");
        first_subjects.push(first.id);
    }
    // Four of them enrolled again, from another photo, as new subjects.
    let mut expected_pairs = BTreeSet::new();
    for (i, person) in people.iter().enumerate() {
        if ![0, 5, 6, 9].contains(&i) {
            continue;
        }
        let again = gallery
            .register_subject(&photo(&format!("{person}/3.jpg")), &[])
            .await
            .expect("enrol again");
        expected_pairs.insert(pair(&first_subjects[i], &again.id));
    }
    // A stranger's face filed under deepface_p03.
    let misfiled = gallery
        .register_event(&first_subjects[2], &photo("kit_harington/1.jpg"), &[])
        .await
        .expect("misfiled event");

    let audit_id = gallery.start_audit(None).await.expect("start the audit");
    let report = finished(&gallery, &audit_id).await;
    let found_pairs: BTreeSet<[String; 2]> = report
        .duplicates
        .iter()
        .map(|d| [d.subject_ids[0].to_string(), d.subject_ids[1].to_string()])
        .collect();
    assert_eq!(found_pairs, expected_pairs, "{report:#?}");
    assert_eq!(report.duplicates.len(), 4);
    assert!(report.duplicates.iter().all(|d| d.score.get() >= 7000));
    let [outlier] = report.outliers.as_slice() else {
        panic!("one outlier expected: {report:#?}");
    };
    assert_eq!(outlier.subject_id, first_subjects[2]);
    assert_eq!(outlier.event_id, misfiled.event_id);
    assert!(outlier.score.get() < 7000);

    // The scores are those a search gives: the outlier's face searched in the gallery meets
    // its subject's best event at the score the audit reported.
    let found = gallery
        .search(&photo("kit_harington/1.jpg"))
        .threshold(MatchScore::new(0).expect("score"))
        .limit(50)
        .send()
        .await
        .expect("search")
        .expect("candidates at threshold 0");
    let subject = found
        .candidates
        .iter()
        .find(|c| c.id == first_subjects[2])
        .expect("its subject");
    let best_other = subject
        .events
        .iter()
        .filter(|e| e.id != misfiled.event_id)
        .map(|e| e.score)
        .max()
        .expect("its other events");
    assert_eq!(best_other, outlier.score);

    // A higher threshold is the caller's to choose: at 9999 nothing is that alike.
    let strict = gallery
        .start_audit(MatchScore::new(9999))
        .await
        .expect("start a strict audit");
    let strict = finished(&gallery, &strict).await;
    assert!(strict.duplicates.is_empty() && strict.outliers.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_is_only_found_by_the_gallery_it_audits() {
    let service = common::Service::start().await;
    let audited = service.gallery("One").await;
    let other = service.gallery("Two").await;
    audited
        .register_subject(&photo("obama/1.jpg"), &[])
        .await
        .expect("enrol");
    let audit_id = audited.start_audit(None).await.expect("start");
    let report = finished(&audited, &audit_id).await;
    assert!(report.duplicates.is_empty() && report.outliers.is_empty());

    let from_other = other
        .audit(&audit_id)
        .await
        .expect_err("another gallery's audit");
    assert!(from_other.is_not_found(), "{from_other:?}");
    let unknown = audited
        .audit(&AuditId::new("no-such-audit"))
        .await
        .expect_err("an unknown audit");
    assert!(unknown.is_not_found(), "{unknown:?}");
    assert_eq!(unknown.status(), Some(404));
}

#[tokio::test]
async fn an_audit_needs_the_galleries_key_and_a_threshold_on_the_score_scale() {
    let (state, _dir) = common::state();
    let api_key = common::create_gallery(&state, "Keyed").await;
    let (status, body) = common::send(
        &state,
        common::Call::new("POST", "/v1.1/jobs/audit")
            .json(serde_json::json!({}))
            .request(&state),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["message"], "Forbidden");
    let (status, body) = common::send(
        &state,
        common::Call {
            api_key: Some(&api_key),
            ..common::Call::new("POST", "/v1.1/jobs/audit")
                .json(serde_json::json!({"threshold": 10000}))
        }
        .request(&state),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], 1001);
    let (status, body) = common::send(
        &state,
        common::Call {
            api_key: Some(&api_key),
            ..common::Call::new("POST", "/v1.1/jobs/audit").json(serde_json::json!({}))
        }
        .request(&state),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["auditId"].as_str().is_some_and(|id| !id.is_empty()));
}
