//! `kill -9` of the service during a bulk job, then a restart on the same data dir: no record
//! acknowledged as processed is lost or changed, nothing is enrolled twice, and the job completes.
//! (Restarts in-process through the service's door: `door_restarts`.)

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::TryStreamExt;
use necid::{BulkRegistration, CreateGallery, RecordStatus, RegisterStatus};

struct Server {
    child: Child,
    base_url: String,
}

fn start(data_dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_necid-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn necid-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base_url = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .expect("line");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.trim().to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base_url }
}

fn client(base_url: &str, data_dir: &Path) -> necid::Client {
    let creds = necid_server::credentials::load_or_create(data_dir).expect("credentials");
    necid::Client::builder()
        .base_url(base_url)
        .credentials(necid::Credentials::new(
            creds.access_key_id,
            creds.secret_access_key,
        ))
        .build()
        .expect("client")
}

async fn records(gallery: &necid::Gallery, batch: &necid::BatchId) -> Vec<necid::RegisterSummary> {
    gallery
        .bulk_records(batch.clone())
        .try_collect()
        .await
        .expect("progress")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_job_survives_kill_9_and_completes_after_a_restart() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut server = start(data.path());
    let portal = client(&server.base_url, data.path());
    let created = portal
        .galleries()
        .create(&CreateGallery {
            name: "Bulk".into(),
            description: String::new(),
            face_minimum_quality_score: 0.45,
            size: 1000,
        })
        .await
        .expect("gallery");

    let mut registrations = Vec::new();
    for person in ["john_salley", "john_savage", "john_schneider"] {
        for n in 1..=8 {
            let name = format!("{person}_{n}.jpg");
            std::fs::copy(
                common::face(&format!("{person}/{n}.jpg")),
                data.path().join("bucket").join(&name),
            )
            .expect("copy into the bucket");
            registrations.push(BulkRegistration {
                filename: name,
                tags: vec![],
            });
        }
    }
    let total = registrations.len();
    let gallery = portal.gallery(created.api_key.clone());
    let batch = gallery.bulk_register(registrations).await.expect("bulk");

    // Wait until a few records are acknowledged as processed, then kill -9 mid-job.
    let mut acknowledged = Vec::new();
    for _ in 0..600 {
        acknowledged = records(&gallery, &batch)
            .await
            .into_iter()
            .filter(|r| r.status == RecordStatus::Processed)
            .collect();
        if acknowledged.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        acknowledged.len() >= 3 && acknowledged.len() < total,
        "killed mid-job ({} done)",
        acknowledged.len()
    );
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");

    let mut server = start(data.path());
    let gallery = client(&server.base_url, data.path()).gallery(created.api_key.clone());
    let mut done = Vec::new();
    for _ in 0..1200 {
        done = records(&gallery, &batch).await;
        if done.iter().all(|r| r.status == RecordStatus::Processed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done.len(), total);
    assert!(
        done.iter().all(|r| r.status == RecordStatus::Processed),
        "the job completes after the restart"
    );
    for before in &acknowledged {
        let after = done
            .iter()
            .find(|r| r.id == before.id)
            .expect("still there");
        assert_eq!(after, before, "an acknowledged record is unchanged");
    }
    assert!(done.iter().all(|r| r.attempts <= 2));
    let successes = done
        .iter()
        .filter(|r| r.register_status == Some(RegisterStatus::Success))
        .count();
    assert!(
        successes > total / 2,
        "most chips enrol ({successes}/{total})"
    );
    let page = gallery.list_subjects().send().await.expect("list");
    assert_eq!(
        page.total as usize, successes,
        "no record was enrolled twice"
    );
    server.child.kill().expect("stop");
    let _ = server.child.wait();
}
