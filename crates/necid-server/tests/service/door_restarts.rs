//! The service's one door, restarted the way the console restarts it when its models folder
//! changes (drop the running service, start a new one on the same data dir): never more than one
//! bulk worker runs, and no record of a job is enrolled twice, even with a job in flight across
//! the restarts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use necid::{BulkRegistration, CreateGallery, RecordStatus, RegisterStatus};
use necid_server::{EngineSource, LocalOptions, LocalService, Running};

/// A second models folder holding the same models (through links), as a user choosing another
/// folder in Settings.
fn linked_models(models: &Path, into: &Path) -> PathBuf {
    for entry in std::fs::read_dir(models).expect("the models folder") {
        let entry = entry.expect("an entry");
        std::os::unix::fs::symlink(entry.path(), into.join(entry.file_name())).expect("link");
    }
    into.to_owned()
}

async fn start(data_dir: &Path, models_dir: &Path) -> Running {
    let mut options = LocalOptions::new(data_dir, EngineSource::ModelsDir(models_dir.to_owned()));
    options.face_workers = 2;
    LocalService::start(options)
        .await
        .expect("the service starts")
}

use necid_testkit::client;

/// Copies `count` photos into the bucket under names starting with `prefix`.
fn fill_bucket(running: &Running, prefix: &str, count: usize) -> Vec<BulkRegistration> {
    let photos: Vec<PathBuf> = ["john_salley", "john_savage", "john_schneider"]
        .iter()
        .flat_map(|person| (1..=8).map(move |n| crate::common::face(&format!("{person}/{n}.jpg"))))
        .collect();
    (0..count)
        .map(|i| {
            let filename = format!("{prefix}_{i}.jpg");
            std::fs::copy(
                &photos[i % photos.len()],
                running.bucket_dir.join(&filename),
            )
            .expect("copy into the bucket");
            BulkRegistration {
                filename,
                tags: vec![],
            }
        })
        .collect()
}

/// Waits for every record of `batch`, checking all along that exactly one worker runs.
async fn finish(gallery: &necid::Gallery, batch: &necid::BatchId) -> Vec<necid::RegisterSummary> {
    use futures_util::TryStreamExt;
    for _ in 0..1200 {
        assert_eq!(
            necid_server::bulk::running_workers(),
            1,
            "exactly one bulk worker runs"
        );
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
    panic!("the bulk job did not finish within two minutes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_models_folder_five_times_leaves_one_bulk_worker_and_enrols_each_record_once()
{
    // The count of bulk workers is the process's: alone, no other test's service is counted.
    if !necid_testkit::in_a_process_of_its_own() {
        return;
    }
    let models = necid_face::default_models_dir().expect("a models directory");
    let other = tempfile::tempdir().expect("tempdir");
    let models_dirs = [models.clone(), linked_models(&models, other.path())];
    let data = tempfile::tempdir().expect("tempdir");

    let mut running = start(data.path(), &models_dirs[0]).await;
    assert_eq!(necid_server::bulk::running_workers(), 1);
    let created = client(&running)
        .galleries()
        .create(&CreateGallery {
            name: "Restarts".into(),
            description: String::new(),
            face_minimum_quality_score: 0.45,
            size: 1000,
        })
        .await
        .expect("gallery");
    // A job in flight while the models folder changes.
    let before = fill_bucket(&running, "before", 20);
    let batch_before = client(&running)
        .gallery(created.api_key.clone())
        .bulk_register(before)
        .await
        .expect("bulk");

    for change in 1..=5 {
        drop(running);
        running = start(data.path(), &models_dirs[change % 2]).await;
        assert_eq!(
            necid_server::bulk::running_workers(),
            1,
            "one bulk worker after change {change}"
        );
    }

    let gallery = client(&running).gallery(created.api_key.clone());
    let after = fill_bucket(&running, "after", 20);
    let batch_after = gallery.bulk_register(after).await.expect("bulk");
    let mut records = finish(&gallery, &batch_before).await;
    records.extend(finish(&gallery, &batch_after).await);
    assert_eq!(records.len(), 40);
    assert_eq!(necid_server::bulk::running_workers(), 1);

    let enrolled: Vec<&necid::RegisterSummary> = records
        .iter()
        .filter(|r| r.register_status == Some(RegisterStatus::Success))
        .collect();
    assert!(
        enrolled.len() > records.len() / 2,
        "most photos enrol ({}/{})",
        enrolled.len(),
        records.len()
    );
    let subjects: std::collections::HashSet<String> = enrolled
        .iter()
        .map(|r| r.subject_id.as_ref().expect("a subject").to_string())
        .collect();
    assert_eq!(subjects.len(), enrolled.len(), "one subject per record");

    // The store: one event per enrolled record, each in a subject of its own, all searchable.
    let store = running.state().store();
    let gallery_ids = store.all_gallery_ids().expect("galleries");
    assert_eq!(gallery_ids.len(), 1);
    let (rows, total) = store
        .list_subject_rows(&gallery_ids[0], 0, 1000, false)
        .expect("event rows");
    assert_eq!(
        total as usize,
        enrolled.len(),
        "no record was enrolled twice"
    );
    let stored: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.subject_id.as_str()).collect();
    assert_eq!(stored.len(), rows.len(), "one event per subject");
    assert!(subjects.iter().all(|s| stored.contains(s.as_str())));
    let index = running.state().index(&gallery_ids[0]);
    assert_eq!(
        necid_server::read_lock(&index).len(),
        enrolled.len(),
        "the search index holds each enrolment once"
    );

    running.stop().await;
    assert_eq!(
        necid_server::bulk::running_workers(),
        0,
        "stopping stops the worker"
    );
}
