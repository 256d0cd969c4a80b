//! The API walked as the reference's examples do, through `crates/necid` against a real
//! listener on 127.0.0.1, with the real face engine and a real SQLite file.

mod calibration;
mod common;
mod gallery_audit;
mod hardening;

use std::time::Duration;

use futures_util::TryStreamExt;
use necid::{
    BulkRegistration, CreateApplication, CreateGallery, EventStatus, FaceImage, MatchScore,
    RecordStatus, RegisterStatus, SortDirection, TagName, UpdateGallery,
};

fn img(rel: &str) -> FaceImage {
    FaceImage::from_path(common::face(rel)).expect("test image")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_walk_works_end_to_end_through_the_client() {
    let service = common::Service::start().await;
    let client = service.client();

    // --- galleries and applications -----------------------------------------------------
    let created = client
        .galleries()
        .create(&CreateGallery {
            name: "Staff".into(),
            description: "Staff".into(),
            face_minimum_quality_score: 0.45,
            size: 100,
        })
        .await
        .expect("create gallery");
    assert!(created.api_key.expose().len() >= 32);
    let dup = client
        .galleries()
        .create(&CreateGallery {
            name: "Staff".into(),
            description: String::new(),
            face_minimum_quality_score: 0.5,
            size: 10,
        })
        .await
        .expect_err("a second gallery of the same name");
    assert_eq!(dup.error_code(), Some(necid::ErrorCode::Duplicate));
    let message = dup.server_message().expect("a message");
    assert!(
        message.contains("'Staff' already exists") && !message.contains(created.api_key.expose()),
        "{message}"
    );

    let second_app = client
        .applications()
        .create(&CreateApplication {
            name: "Door".into(),
            description: "Building access".into(),
            face_minimum_quality_score: 1.0,
            gallery_id: created.id.clone(),
        })
        .await
        .expect("create application");
    let detail = client
        .galleries()
        .get(&created.id)
        .await
        .expect("get gallery");
    assert_eq!(detail.applications.len(), 2);
    let shrink = client
        .galleries()
        .update(
            &created.id,
            &UpdateGallery {
                size: Some(50),
                ..Default::default()
            },
        )
        .await
        .expect_err("size only grows");
    assert_eq!(shrink.status(), Some(400));

    let gallery = client.gallery(created.api_key.clone());

    // --- tags -----------------------------------------------------------------------------
    let staff = TagName::new("staff");
    let visitor = TagName::new("visitor");
    gallery.create_tag(&staff).await.expect("tag");
    gallery.create_tag(&visitor).await.expect("tag");
    assert_eq!(
        gallery.tags().await.expect("tags"),
        vec![staff.clone(), visitor.clone()]
    );
    let unknown = gallery
        .register_subject(&img("obama/1.jpg"), &[TagName::new("nope")])
        .await
        .expect_err("an unknown tag");
    assert_eq!(unknown.error_code(), Some(necid::ErrorCode::InvalidRequest));

    // --- register subjects and events -----------------------------------------------------
    let obama = gallery
        .register_subject(&img("obama/1.jpg"), std::slice::from_ref(&staff))
        .await
        .expect("register obama");
    assert!(obama.attributes.face_quality_score > 0.0);
    assert!(obama.attributes.right_eye_center.x < obama.attributes.left_eye_center.x);
    let salley = gallery
        .register_subject(&img("john_salley/1.jpg"), std::slice::from_ref(&visitor))
        .await
        .expect("register salley");
    let savage = gallery
        .register_subject(&img("john_savage/1.jpg"), &[])
        .await
        .expect("register savage");
    let obama_2 = gallery
        .register_event(&obama.id, &img("obama/2.jpg"), std::slice::from_ref(&staff))
        .await
        .expect("register event");
    assert_eq!(obama_2.id, obama.id);
    let events = gallery.events(&obama.id).await.expect("events");
    assert_eq!(events.events.len(), 2);

    // --- NoFace, MultipleFaces, PoorQuality ---------------------------------------------
    let no_face = gallery
        .register_subject(
            &FaceImage::from_path(common::testdata().join("detection/none/white.png"))
                .expect("image"),
            &[],
        )
        .await
        .expect_err("no face");
    assert_eq!(no_face.error_code(), Some(necid::ErrorCode::NoFace));
    let two = gallery
        .register_subject(
            &FaceImage::from_path(common::testdata().join("detection/multi/two_people.jpg"))
                .expect("image"),
            &[],
        )
        .await
        .expect_err("two faces");
    assert_eq!(two.error_code(), Some(necid::ErrorCode::MultipleFaces));
    let strict = client.gallery(second_app.api_key.clone());
    let poor = strict
        .register_subject(&img("obama/2.jpg"), &[])
        .await
        .expect_err("below the application's minimum of 1.0");
    assert_eq!(poor.error_code(), Some(necid::ErrorCode::PoorQuality));

    // --- list with paging and dir ---------------------------------------------------------
    let all = gallery.list_subjects().send().await.expect("list");
    assert_eq!(all.total, 4);
    let page = gallery
        .list_subjects()
        .start(1)
        .length(2)
        .send()
        .await
        .expect("page");
    assert_eq!(page.subjects.len(), 2);
    assert_eq!(page.subjects[0].event_id, all.subjects[1].event_id);
    let desc = gallery
        .list_subjects()
        .dir(SortDirection::Desc)
        .send()
        .await
        .expect("desc");
    let mut reversed = all.subjects.clone();
    reversed.reverse();
    assert_eq!(desc.subjects, reversed);

    // --- search ---------------------------------------------------------------------------
    let found = gallery
        .search(&img("obama/3.jpg"))
        .send()
        .await
        .expect("search")
        .expect("obama is found");
    assert_eq!(found.candidates[0].id, obama.id);
    assert!(found.candidates[0].score >= MatchScore::DEFAULT_THRESHOLD);
    let limited = gallery
        .search(&img("obama/3.jpg"))
        .limit(1)
        .threshold(MatchScore::new(0).expect("score"))
        .send()
        .await
        .expect("search")
        .expect("found");
    assert_eq!(
        limited
            .candidates
            .iter()
            .map(|c| c.events.len())
            .sum::<usize>(),
        1
    );
    let everyone = gallery
        .search(&img("obama/3.jpg"))
        .threshold(MatchScore::new(0).expect("score"))
        .send()
        .await
        .expect("search")
        .expect("found");
    assert_eq!(
        everyone.candidates.len(),
        3,
        "threshold 0 returns every subject"
    );
    assert!(
        everyone
            .candidates
            .windows(2)
            .all(|w| w[0].score >= w[1].score)
    );
    let only_visitors = gallery
        .search(&img("obama/3.jpg"))
        .threshold(MatchScore::new(0).expect("score"))
        .tags([visitor.clone()])
        .send()
        .await
        .expect("search")
        .expect("found");
    assert_eq!(only_visitors.candidates.len(), 1);
    assert_eq!(only_visitors.candidates[0].id, salley.id);
    let stranger = gallery
        .search(&img("lin_manuel_miranda/1.jpg"))
        .send()
        .await
        .expect("search");
    assert!(stranger.is_none(), "a stranger gets 404: {stranger:?}");

    // --- verify both ways -----------------------------------------------------------------
    let verified = gallery
        .verify_subject(&img("obama/4.jpg"), &obama.id)
        .await
        .expect("verify")
        .expect("obama verified");
    assert_eq!(verified.id, obama.id);
    assert!(
        gallery
            .verify_subject(&img("obama/4.jpg"), &salley.id)
            .await
            .expect("verify")
            .is_none()
    );
    let same = gallery
        .verify_faces(&img("obama/1.jpg"), &img("obama/4.jpg"))
        .await
        .expect("verify faces");
    assert!(same.is_some_and(|v| v.score >= MatchScore::DEFAULT_THRESHOLD));
    assert!(
        gallery
            .verify_faces(&img("obama/1.jpg"), &img("john_salley/2.jpg"))
            .await
            .expect("verify faces")
            .is_none()
    );

    // --- update and unregister ------------------------------------------------------------
    let updated = gallery
        .update_subject(&obama.id, &img("obama/5.jpg"), std::slice::from_ref(&staff))
        .await
        .expect("update subject");
    assert_eq!(
        updated.event_id, obama.event_id,
        "the first event keeps its id"
    );
    let rows = gallery.list_subjects().send().await.expect("list").subjects;
    let same_event: Vec<_> = rows
        .iter()
        .filter(|r| r.event_id == obama.event_id)
        .collect();
    assert_eq!(same_event.len(), 2);
    assert!(same_event.iter().any(|r| r.status == EventStatus::Deleted));
    assert!(same_event.iter().any(|r| r.status == EventStatus::Active));
    let updated_event = gallery
        .update_event(&obama.id, &obama_2.event_id, &img("obama/3.jpg"), &[])
        .await
        .expect("update event");
    assert_eq!(updated_event.event_id, obama_2.event_id);
    gallery
        .unregister_event(&obama.id, &obama_2.event_id)
        .await
        .expect("unregister event");
    assert_eq!(
        gallery
            .events(&obama.id)
            .await
            .expect("events")
            .events
            .len(),
        1
    );
    gallery
        .unregister_subject(&savage.id)
        .await
        .expect("unregister");
    assert!(
        gallery
            .events(&savage.id)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    assert!(
        gallery
            .unregister_subject(&savage.id)
            .await
            .expect_err("gone")
            .is_not_found()
    );

    // --- rename and delete tags -----------------------------------------------------------
    let employee = TagName::new("employee");
    gallery.rename_tag(&staff, &employee).await.expect("rename");
    let by_new_name = gallery
        .search(&img("obama/4.jpg"))
        .tags([employee.clone()])
        .send()
        .await
        .expect("search")
        .expect("found by the renamed tag");
    assert_eq!(by_new_name.candidates[0].id, obama.id);
    gallery.delete_tag(&visitor).await.expect("delete tag");
    assert_eq!(gallery.tags().await.expect("tags"), vec![employee.clone()]);
    assert!(
        gallery.events(&salley.id).await.is_ok(),
        "deleting a tag keeps subjects"
    );

    // --- bulk register a folder -----------------------------------------------------------
    let bucket = service.bucket_dir();
    std::fs::copy(
        common::face("john_schneider/1.jpg"),
        bucket.join("schneider.jpg"),
    )
    .expect("copy");
    std::fs::copy(
        common::testdata().join("detection/none/white.png"),
        bucket.join("white.png"),
    )
    .expect("copy");
    let batch = gallery
        .bulk_register(vec![
            BulkRegistration {
                filename: "schneider.jpg".into(),
                tags: vec![employee.clone()],
            },
            BulkRegistration {
                filename: "white.png".into(),
                tags: vec![],
            },
            BulkRegistration {
                filename: "missing.jpg".into(),
                tags: vec![],
            },
        ])
        .await
        .expect("bulk");
    let records = wait_for_job(&gallery, &batch).await;
    let by_name = |n: &str| records.iter().find(|r| r.filename == n).expect("record");
    assert_eq!(
        by_name("schneider.jpg").register_status,
        Some(RegisterStatus::Success)
    );
    assert!(by_name("schneider.jpg").subject_id.is_some());
    assert!(
        by_name("schneider.jpg")
            .attributes_json
            .attributes()
            .is_some()
    );
    assert_eq!(
        by_name("white.png").register_status,
        Some(RegisterStatus::Failed)
    );
    assert!(
        by_name("white.png").reason.contains("No face"),
        "{}",
        by_name("white.png").reason
    );
    assert_eq!(
        by_name("missing.jpg").register_status,
        Some(RegisterStatus::Failed)
    );
    assert!(records.iter().all(|r| r.attempts == 1));
    let schneider = gallery
        .search(&img("john_schneider/2.jpg"))
        .send()
        .await
        .expect("search")
        .expect("the bulk-registered subject is searchable");
    assert_eq!(
        Some(&schneider.candidates[0].id),
        by_name("schneider.jpg").subject_id.as_ref()
    );

    // --- delete the application and the gallery -------------------------------------------
    client
        .applications()
        .delete(&second_app.id)
        .await
        .expect("delete app");
    assert!(
        client
            .applications()
            .get(&second_app.id)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    client
        .galleries()
        .delete(&created.id)
        .await
        .expect("delete gallery");
    assert!(
        client
            .galleries()
            .get(&created.id)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    let forbidden = gallery
        .tags()
        .await
        .expect_err("the gallery's key died with it");
    assert!(forbidden.is_forbidden());
}

async fn wait_for_job(
    gallery: &necid::Gallery,
    batch: &necid::BatchId,
) -> Vec<necid::RegisterSummary> {
    for _ in 0..600 {
        let records: Vec<necid::RegisterSummary> = gallery
            .bulk_records(batch.clone())
            .try_collect()
            .await
            .expect("progress");
        if records.iter().all(|r| r.status == RecordStatus::Processed) {
            return records;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the bulk job did not finish within a minute");
}

/// Two services on one data dir would race over the same SQLite file (two bulk workers), and
/// the first one's late writes would miss the second one's search index: the door's second
/// start waits until the first service is gone, then starts on the data the first one left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_on_the_same_data_dir_waits_until_the_first_service_is_gone() {
    use necid_server::{EngineSource, LocalOptions, LocalService};
    let data = tempfile::tempdir().expect("tempdir");
    let options = || LocalOptions::new(data.path(), EngineSource::Loaded(common::engine()));
    let first = LocalService::start(options()).await.expect("first start");
    let base_url = first.base_url.clone();
    let second = tokio::spawn(LocalService::start(options()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !second.is_finished(),
        "the second service waits while the first runs"
    );
    drop(first);
    let second = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("the second service starts once the first is gone")
        .expect("the start task")
        .expect("second start");
    assert_ne!(second.base_url, base_url);
    let client = necid::Client::builder()
        .base_url(second.base_url.clone())
        .credentials(necid::Credentials::new(
            second.credentials().access_key_id.clone(),
            second.credentials().secret_access_key.clone(),
        ))
        .build()
        .expect("client");
    client.health().await.expect("the second service answers");
}
