//! Under six concurrent clients the index always equals what a restart rebuilds from the
//! database: a soak of `NECID_SOAK_SECONDS` (120 by default).
//!
//! libtest starts a binary's tests in the order of their names, two at a time here: this
//! module's name sorts before all but `bad_files`, so the soak starts early and the rest of the
//! binary runs beside it instead of after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use necid::{FaceImage, SubjectId, TagName};

use crate::common;

fn tag(name: &str) -> TagName {
    TagName::new(name)
}

/// One client's share of the mixed workload; returns how many requests it made.
async fn client_loop(
    id: u64,
    staff: necid::Gallery,
    photos: Arc<Vec<FaceImage>>,
    subjects: Arc<Mutex<Vec<SubjectId>>>,
    until: Instant,
) -> u64 {
    let mut rng = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let tags = ["t0", "t1", "t2", "t3"];
    let mut requests = 0;
    while Instant::now() < until {
        requests += 1;
        let photo = &photos[next(photos.len())];
        let some_subject = {
            let s = subjects.lock().expect("subjects");
            (!s.is_empty()).then(|| s[next(s.len())].clone())
        };
        let chosen_tags = vec![tag(tags[next(tags.len())])];
        let outcome = match (next(10), some_subject) {
            (0..=2, _) | (_, None) => staff
                .register_subject(photo, &chosen_tags)
                .await
                .map(|e| subjects.lock().expect("subjects").push(e.id)),
            (3, Some(s)) => staff
                .register_event(&s, photo, &chosen_tags)
                .await
                .map(drop),
            (4, Some(s)) => staff
                .update_subject(&s, photo, &chosen_tags)
                .await
                .map(drop),
            (5, Some(s)) => match staff.events(&s).await {
                Ok(events) => match events.events.first() {
                    Some(e) => staff.unregister_event(&s, &e.id).await,
                    None => Ok(()),
                },
                Err(e) => Err(e),
            },
            (6, Some(s)) => {
                subjects.lock().expect("subjects").retain(|x| *x != s);
                staff.unregister_subject(&s).await
            }
            (7, _) => {
                let t = tag(tags[next(tags.len())]);
                match staff.delete_tag(&t).await {
                    Ok(()) => staff.create_tag(&t).await,
                    Err(e) => Err(e),
                }
            }
            _ => staff
                .search(photo)
                .tags(chosen_tags)
                .limit(5)
                .threshold(necid::MatchScore::new(0).expect("score"))
                .send()
                .await
                .map(drop),
        };
        match outcome {
            // Races between clients give 404s and "tag does not exist" 400s: expected.
            Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {}
            Err(e) => panic!("client {id}: {e}"),
            Ok(()) => {}
        }
    }
    requests
}

/// Six clients register, update, tag, delete and search at once for a while; then the index the
/// service holds equals the one a restart rebuilds from the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_six_concurrent_clients_the_index_always_equals_the_database() {
    let seconds: u64 = std::env::var("NECID_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let service = common::Service::start().await;
    let staff = service.gallery("Soak").await;
    for t in ["t0", "t1", "t2", "t3"] {
        staff.create_tag(&tag(t)).await.expect("tag");
    }
    let photos: Arc<Vec<FaceImage>> = Arc::new(
        ["obama", "amy", "biden", "bernadette"]
            .iter()
            .flat_map(|who| (1..=3).map(move |i| (who, i)))
            .filter_map(|(who, i)| {
                ["jpg", "png"]
                    .iter()
                    .map(|ext| common::face(&format!("{who}/{i}.{ext}")))
                    .find(|p| p.exists())
            })
            .map(|p| FaceImage::from_path(p).expect("photo"))
            .collect(),
    );
    assert!(photos.len() >= 8, "enough distinct photos");
    let subjects = Arc::new(Mutex::new(Vec::new()));
    let until = Instant::now() + Duration::from_secs(seconds);
    let clients: Vec<_> = (1..=6)
        .map(|id| {
            tokio::spawn(client_loop(
                id,
                staff.clone(),
                photos.clone(),
                subjects.clone(),
                until,
            ))
        })
        .collect();
    let mut requests = 0;
    for c in clients {
        requests += c.await.expect("client");
    }
    // A floor that shows the clients kept working (a 4xx is counted but proves little), low
    // enough for a machine busy with other tests: about 8 a second when idle.
    assert!(
        requests >= seconds,
        "the clients kept the service busy ({requests} requests in {seconds} s)"
    );

    let gallery_ids: Vec<necid::GalleryId> =
        service.state.store().all_gallery_ids().expect("galleries");
    let before: HashMap<necid::GalleryId, _> = gallery_ids
        .iter()
        .map(|g| {
            let index = service.state.index(g);
            let rows = necid_server::read_lock(&index).rows();
            (g.clone(), rows)
        })
        .collect();
    assert!(before.values().any(|rows| !rows.is_empty()));

    let service = service.restart().await;
    for g in &gallery_ids {
        let index = service.state.index(g);
        let after = necid_server::read_lock(&index).rows();
        assert!(
            after == before[g],
            "gallery {g}: the index rebuilt after a restart differs from the live one ({} rows live, {} rebuilt)",
            before[g].len(),
            after.len()
        );
    }
}
