//! The gallery audit at 100,000 events (`cargo bench -p necid-server --bench scale -- audit`):
//! the time of one audit over every pair, on the cores the service would give it.
//!
//! The descriptors are realistic and distinct: the real descriptors of the `testdata/faces`
//! photos, each the base of many synthetic people (the photo's descriptor plus a person's own
//! offset), each person enrolled as one subject with two events (the person plus each event's
//! own noise). Events of one person match, people of one base mostly do not, and the rest are
//! as far apart as different real faces. `NECID_BENCH_AUDIT_EVENTS` shrinks the run.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use necid_server::audit::{AuditInput, run};
use necid_server::index::{DIM, GalleryIndex, RowMeta};

/// Length of a person's offset from its base photo's descriptor: two people of one base are
/// about 0.7 apart, beyond the 0.565 of the score 7000.
const PERSON_SPREAD: f32 = 0.5;
/// Length of an event's noise around its person: two events of one person are about 0.3 apart.
const EVENT_SPREAD: f32 = 0.2;

/// xorshift with a Box-Muller step: Gaussian components, so offsets point anywhere.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }

    fn offset(&mut self, length: f32) -> [f32; DIM] {
        let mut v = [0f32; DIM];
        for x in &mut v {
            let (u, w) = (self.uniform(), self.uniform());
            *x = (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * w).cos();
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x *= length / norm);
        v
    }
}

fn add(a: &[f32; DIM], b: &[f32; DIM]) -> [f32; DIM] {
    let mut v = [0f32; DIM];
    v.iter_mut()
        .zip(a.iter().zip(b))
        .for_each(|(x, (p, q))| *x = p + q);
    v
}

/// The descriptor of every photo of `testdata/faces` with exactly one face.
fn real_descriptors() -> Vec<[f32; DIM]> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/faces");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.csv")).expect("MANIFEST.csv");
    let engine = super::engine();
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .filter_map(|path| std::fs::read(root.join(path)).ok())
        .filter_map(|bytes| engine.one_face(&bytes).ok())
        .map(|face| face.descriptor)
        .collect()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn figures() {
    let events = super::env_rows("NECID_BENCH_AUDIT_EVENTS", 100_000);
    let t = Instant::now();
    let bases = real_descriptors();
    println!(
        "audit: {} real descriptors of testdata/faces in {:.1} s",
        bases.len(),
        t.elapsed().as_secs_f64()
    );
    let mut rng = Rng(0xA0D1_7000_5EED_0001);
    let mut index = GalleryIndex::with_capacity(events);
    let add_event = |index: &mut GalleryIndex, subject: String, vector: &[f32; DIM]| {
        let row = index.len();
        index.upsert(
            RowMeta {
                row_id: row as i64,
                subject_id: subject.as_str().into(),
                event_id: format!("event-{row}").as_str().into(),
            },
            vector,
            0,
        );
    };
    // Every thousandth person is also enrolled as a second subject (a duplicate to find), and
    // every thousandth, half-way, has a stranger's face as a third event (an outlier to find).
    let (mut planted_duplicates, mut planted_outliers) = (0, 0);
    let mut person = 0;
    while index.len() < events {
        let who = add(&bases[person % bases.len()], &rng.offset(PERSON_SPREAD));
        let subject = format!("person-{person}");
        for _ in 0..2 {
            let event = add(&who, &rng.offset(EVENT_SPREAD));
            add_event(&mut index, subject.clone(), &event);
        }
        if person % 1000 == 0 {
            let event = add(&who, &rng.offset(EVENT_SPREAD));
            add_event(&mut index, format!("again-{person}"), &event);
            planted_duplicates += 1;
        } else if person % 1000 == 500 {
            let stranger = add(
                &bases[(person * 7 + 3) % bases.len()],
                &rng.offset(PERSON_SPREAD),
            );
            add_event(
                &mut index,
                subject,
                &add(&stranger, &rng.offset(EVENT_SPREAD)),
            );
            planted_outliers += 1;
        }
        person += 1;
    }
    let input = AuditInput::from_index(&index);
    drop(index);
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let load_before = load_average();
    let t = Instant::now();
    let findings = run(&input, 7000, threads, &|_| {}, &AtomicBool::new(false)).expect("an audit");
    let took = t.elapsed();
    println!(
        "audit of {} events ({person} people, {} pairs) at 7000 on {threads} threads: {:.1} s; \
         {} duplicate pairs ({planted_duplicates} planted), {} outliers ({planted_outliers} \
         planted); load average before {load_before}, after {}",
        input.len(),
        input.len() * (input.len() - 1) / 2,
        took.as_secs_f64(),
        findings.duplicates.len(),
        findings.outliers.len(),
        load_average()
    );
    let found_again = findings
        .duplicates
        .iter()
        .filter(|d| {
            d.subject_ids
                .iter()
                .any(|s| s.as_str().starts_with("again-"))
        })
        .count();
    assert!(
        found_again >= planted_duplicates,
        "every planted duplicate is found"
    );
}
