//! The gallery audit (a local extension, `routes/audit.rs`): every pair of a gallery's active
//! events compared, to find subjects that are one person enrolled twice and events filed under
//! the wrong person.
//!
//! Why a matrix product: a gallery of 100,000 events has 5·10⁹ pairs, too many for one search per
//! event in reasonable time, but their dot products are one `X·Xᵀ`, which the `gemm` crate (the
//! kernel the face engine runs on) computes near the cores' peak. The product is cut into
//! [`TILE`]×[`TILE`] tiles of the upper triangle, taken in turn by one thread per core at a lower
//! priority than requests. Each tile is a filter only: `|a − b|² = |a|² + |b|² − 2a·b` finds the
//! pairs within a margin of the threshold's distance, and each of those is then scored by
//! [`necid_face::compare`] exactly as a search scores it. Nothing is approximated: a pair the
//! filter lets pass is scored exactly, and the margin is far wider than the product's rounding.
//!
//! The audit works on a copy of the index taken when it starts ([`AuditInput`]), so enrolments
//! and searches never wait for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use necid_face::{Descriptor, compare, score_for_distance};

use necid_wire::{EventId, SubjectId};

use crate::index::{CompactId, DIM, GalleryIndex};

/// Rows of a tile: a 512×512 tile of f32 scores (1 MiB) stays in a core's L2 while it is scanned.
pub const TILE: usize = 512;
/// Most duplicate pairs reported, the best first: a low threshold must not fill the memory.
pub const MAX_DUPLICATES: usize = 10_000;
/// Added to the threshold's squared distance before the filter, far above the few 1e-6 by which
/// the product's rounding can differ from [`necid_face::compare`]'s.
const FILTER_MARGIN: f32 = 2e-3;

/// A copy of a gallery's active events, as the audit reads them.
#[derive(Debug, Clone, Default)]
pub struct AuditInput {
    /// Row-major, [`DIM`] values a row.
    vectors: Vec<f32>,
    /// `|v|²` of each row.
    squared_norms: Vec<f32>,
    /// Each row's subject, as an index into `subject_ids`.
    subject_of: Vec<u32>,
    subject_ids: Vec<CompactId>,
    event_ids: Vec<CompactId>,
}

impl AuditInput {
    /// Copies every row of an index (taken under its read lock: a copy of memory, no scoring).
    pub fn from_index(index: &GalleryIndex) -> Self {
        let mut input = Self::default();
        let mut subjects: HashMap<CompactId, u32> = HashMap::new();
        for position in 0..index.len() {
            let meta = index.meta(position);
            let next = input.subject_ids.len() as u32;
            let subject = *subjects.entry(meta.subject_id.clone()).or_insert_with(|| {
                input.subject_ids.push(meta.subject_id.clone());
                next
            });
            let vector = index.vector(position);
            input.vectors.extend_from_slice(vector);
            input.squared_norms.push(vector.iter().map(|x| x * x).sum());
            input.subject_of.push(subject);
            input.event_ids.push(meta.event_id.clone());
        }
        input
    }

    /// Active events.
    pub fn len(&self) -> usize {
        self.subject_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subject_of.is_empty()
    }

    fn row(&self, i: usize) -> Descriptor {
        let mut v = [0f32; DIM];
        v.copy_from_slice(&self.vectors[i * DIM..(i + 1) * DIM]);
        Descriptor(v)
    }

    /// The score of two rows, exactly as a search scores an event against its probe.
    fn score(&self, i: usize, j: usize) -> u16 {
        compare(&self.row(i), &self.row(j)).0
    }
}

/// Two subjects (ids in ascending order) and their best score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub subject_ids: [SubjectId; 2],
    pub score: u16,
}

/// An event that matches none of its subject's other events while those match each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlier {
    pub subject_id: SubjectId,
    pub event_id: EventId,
    pub score: u16,
}

/// What an audit found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Best score first (then by ids); at most [`MAX_DUPLICATES`].
    pub duplicates: Vec<Duplicate>,
    /// Ordered by subject id, then event id.
    pub outliers: Vec<Outlier>,
}

/// The largest squared distance a pair may have and still score `threshold` (plus the filter's
/// margin); `None` when no pair can (a threshold above the score of identical descriptors).
fn squared_distance_limit(threshold: u16) -> Option<f32> {
    let reaches = |d: f32| score_for_distance(d).0 >= threshold;
    if !reaches(0.0) {
        return None;
    }
    // Scores fall strictly with the distance; beyond 1e3 every descriptor pair is closer.
    let (mut near, mut far) = (0f32, 1e3f32);
    if reaches(far) {
        return Some(f32::INFINITY);
    }
    for _ in 0..64 {
        let mid = 0.5 * (near + far);
        if reaches(mid) { near = mid } else { far = mid }
    }
    Some(far * far + FILTER_MARGIN)
}

/// What one thread found in the tiles it took.
#[derive(Default)]
struct Partial {
    /// Best score of each pair of distinct subjects (lower subject index first).
    pairs: HashMap<(u32, u32), u16>,
    /// Lowest score still worth keeping in `pairs` (raised when it is pruned).
    floor: u16,
    /// Pairs of rows of one subject at or above the threshold.
    own_matches: Vec<(u32, u32)>,
}

impl Partial {
    fn add_pair(&mut self, a: u32, b: u32, score: u16) {
        if score < self.floor {
            return;
        }
        let key = if a < b { (a, b) } else { (b, a) };
        let best = self.pairs.entry(key).or_insert(score);
        *best = (*best).max(score);
        if self.pairs.len() >= 4 * MAX_DUPLICATES {
            self.prune();
        }
    }

    /// Keeps the [`MAX_DUPLICATES`] best pairs. A pair dropped here scores below every kept
    /// one, so it cannot be among the best [`MAX_DUPLICATES`] at the end; the floor only rises.
    fn prune(&mut self) {
        let mut scores: Vec<u16> = self.pairs.values().copied().collect();
        scores.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(&kth) = scores.get(MAX_DUPLICATES - 1) {
            self.floor = self.floor.max(kth);
            let floor = self.floor;
            self.pairs.retain(|_, s| *s >= floor);
        }
    }
}

/// Why an audit stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the audit was cancelled")]
pub struct Cancelled;

/// Runs the audit on `threads` threads (each at a lower priority than requests), calling
/// `progress` with the fraction of tiles done, and stopping early once `cancelled` is set.
pub fn run(
    input: &AuditInput,
    threshold: u16,
    threads: usize,
    progress: &(dyn Fn(f64) + Sync),
    cancelled: &AtomicBool,
) -> Result<Findings, Cancelled> {
    let n = input.len();
    let blocks = n.div_ceil(TILE);
    let tiles: Vec<(usize, usize)> = (0..blocks)
        .flat_map(|i| (i..blocks).map(move |j| (i, j)))
        .collect();
    let Some(limit) = squared_distance_limit(threshold) else {
        progress(1.0);
        return Ok(Findings::default());
    };
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = || {
        crate::bulk::lower_this_threads_priority();
        let mut partial = Partial::default();
        let mut dots = vec![0f32; TILE * TILE];
        let mut near = Vec::new();
        loop {
            if cancelled.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            let Some(&(bi, bj)) = tiles.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return Ok(partial);
            };
            near.clear();
            near_pairs(input, bi, bj, limit, &mut dots, &mut near);
            for &(i, j) in &near {
                let score = input.score(i as usize, j as usize);
                if score < threshold {
                    continue;
                }
                let (si, sj) = (input.subject_of[i as usize], input.subject_of[j as usize]);
                if si == sj {
                    partial.own_matches.push((i, j));
                } else {
                    partial.add_pair(si, sj, score);
                }
            }
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(finished as f64 / tiles.len() as f64);
        }
    };
    let partials: Vec<Result<Partial, Cancelled>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Cancelled)))
            .collect()
    });
    let mut pairs: HashMap<(u32, u32), u16> = HashMap::new();
    let mut matched = vec![false; n];
    for partial in partials {
        let partial = partial?;
        for (key, score) in partial.pairs {
            let best = pairs.entry(key).or_insert(score);
            *best = (*best).max(score);
        }
        for (i, j) in partial.own_matches {
            matched[i as usize] = true;
            matched[j as usize] = true;
        }
    }
    progress(1.0);
    Ok(Findings {
        duplicates: duplicates(input, pairs),
        outliers: outliers(input, &matched),
    })
}

/// The pairs `(i, j)`, `i < j`, of tile `(bi, bj)` whose squared distance is at most `limit`.
fn near_pairs(
    input: &AuditInput,
    bi: usize,
    bj: usize,
    limit: f32,
    dots: &mut [f32],
    near: &mut Vec<(u32, u32)>,
) {
    let n = input.len();
    let (i0, j0) = (bi * TILE, bj * TILE);
    let (m, w) = (TILE.min(n - i0), TILE.min(n - j0));
    // SAFETY: `lhs` is rows i0..i0 + m of the row-major [n, DIM] `vectors` (column stride 1, row
    // stride DIM) and `rhs` is rows j0..j0 + w read as the [DIM, w] matrix Xᵀ (column stride DIM,
    // row stride 1): both lie inside `vectors` since i0 + m and j0 + w are at most n. `dst` is
    // [m, w] with row stride w inside `dots` (m·w ≤ TILE², a buffer of this thread alone), and
    // with `read_dst = false` gemm only writes it (dst = 1·lhs·rhs).
    unsafe {
        gemm::gemm(
            m,
            w,
            DIM,
            dots.as_mut_ptr(),
            1,
            w as isize,
            false,
            input.vectors.as_ptr().add(i0 * DIM),
            1,
            DIM as isize,
            input.vectors.as_ptr().add(j0 * DIM),
            DIM as isize,
            1,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    let norms_j = &input.squared_norms[j0..j0 + w];
    for (r, row) in dots[..m * w].chunks_exact(w).enumerate() {
        let i = i0 + r;
        let norm_i = input.squared_norms[i];
        // On a diagonal tile only the pairs right of the diagonal count.
        let first = if bi == bj { r + 1 } else { 0 };
        for (c, (&dot, &norm_j)) in row.iter().zip(norms_j).enumerate().skip(first) {
            if norm_i + norm_j - 2.0 * dot <= limit {
                near.push((i as u32, (j0 + c) as u32));
            }
        }
    }
}

/// The best [`MAX_DUPLICATES`] pairs, best first, then by ids.
fn duplicates(input: &AuditInput, pairs: HashMap<(u32, u32), u16>) -> Vec<Duplicate> {
    let mut found: Vec<Duplicate> = pairs
        .into_iter()
        .map(|((a, b), score)| {
            let mut ids = [
                SubjectId::new(input.subject_ids[a as usize].to_string()),
                SubjectId::new(input.subject_ids[b as usize].to_string()),
            ];
            ids.sort();
            Duplicate {
                subject_ids: ids,
                score,
            }
        })
        .collect();
    found.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.subject_ids.cmp(&b.subject_ids))
    });
    found.truncate(MAX_DUPLICATES);
    found
}

/// The outlier rule (docs/api.md): in a subject of at least three events, exactly one event
/// matches none of the others, and each of the others matches at least one other. Its score is
/// its best against the others, scored exactly.
fn outliers(input: &AuditInput, matched: &[bool]) -> Vec<Outlier> {
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); input.subject_ids.len()];
    for (row, &subject) in input.subject_of.iter().enumerate() {
        rows_of[subject as usize].push(row);
    }
    let mut found: Vec<Outlier> = rows_of
        .iter()
        .filter(|rows| rows.len() >= 3)
        .filter_map(|rows| {
            let mut unmatched = rows.iter().filter(|&&r| !matched[r]);
            let (Some(&odd), None) = (unmatched.next(), unmatched.next()) else {
                return None;
            };
            let score = rows
                .iter()
                .filter(|&&r| r != odd)
                .map(|&r| input.score(odd, r))
                .max()?;
            Some(Outlier {
                subject_id: SubjectId::new(
                    input.subject_ids[input.subject_of[odd] as usize].to_string(),
                ),
                event_id: EventId::new(input.event_ids[odd].to_string()),
                score,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        (a.subject_id.as_str(), a.event_id.as_str())
            .cmp(&(b.subject_id.as_str(), b.event_id.as_str()))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::RowMeta;

    /// xorshift, so the tests need no RNG crate; uniform in [-0.5, 0.5).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        }

        fn vector(&mut self, length: f32) -> [f32; DIM] {
            let mut v = [0f32; DIM];
            v.iter_mut().for_each(|x| *x = self.next());
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x *= length / norm);
            v
        }
    }

    /// Subjects of 1 to 4 events scattered around a few people, so that some events of one
    /// subject match and some do not, and some subjects match others: every case of the rules,
    /// over more rows than three tiles (the last one partial).
    fn gallery(rows: usize) -> GalleryIndex {
        let mut rng = Rng(0x5eed);
        let people: Vec<[f32; DIM]> = (0..rows / 6).map(|_| rng.vector(1.0)).collect();
        let mut index = GalleryIndex::new();
        let (mut row, mut subject) = (0, 0);
        while row < rows {
            let events = 1 + subject % 4;
            for _ in 0..events.min(rows - row) {
                // Mostly the subject's own person, every fifth row someone else.
                let who = if row % 5 == 0 { row * 7 } else { subject };
                let person = &people[who % people.len()];
                let spread = 0.2 + 0.15 * (rng.next() + 0.5);
                let noise = rng.vector(spread);
                let mut v = [0f32; DIM];
                v.iter_mut()
                    .zip(person.iter().zip(&noise))
                    .for_each(|(x, (p, e))| *x = p + e);
                index.upsert(
                    RowMeta {
                        row_id: row as i64,
                        subject_id: CompactId::new(&format!("s{subject:05}")),
                        event_id: CompactId::new(&format!("e{row:05}")),
                    },
                    &v,
                    0,
                );
                row += 1;
            }
            subject += 1;
        }
        index
    }

    /// Every pair scored one by one: what the audit must find.
    fn brute_force(input: &AuditInput, threshold: u16) -> Findings {
        let n = input.len();
        let mut pairs: HashMap<(u32, u32), u16> = HashMap::new();
        let mut matched = vec![false; n];
        for i in 0..n {
            for j in i + 1..n {
                let score = input.score(i, j);
                if score < threshold {
                    continue;
                }
                let (a, b) = (input.subject_of[i], input.subject_of[j]);
                if a == b {
                    matched[i] = true;
                    matched[j] = true;
                } else {
                    let best = pairs.entry((a.min(b), a.max(b))).or_insert(score);
                    *best = (*best).max(score);
                }
            }
        }
        Findings {
            duplicates: duplicates(input, pairs),
            outliers: outliers(input, &matched),
        }
    }

    #[test]
    fn the_blocked_audit_finds_exactly_what_scoring_every_pair_finds() {
        let input = AuditInput::from_index(&gallery(3 * TILE + 137));
        for threshold in [5000, 7000] {
            let last = std::sync::Mutex::new(0.0);
            let found = run(
                &input,
                threshold,
                2,
                &|p| *last.lock().expect("progress") = p,
                &AtomicBool::new(false),
            )
            .expect("not cancelled");
            let expected = brute_force(&input, threshold);
            assert!(!expected.duplicates.is_empty() && !expected.outliers.is_empty());
            assert_eq!(found, expected, "threshold {threshold}");
            assert_eq!(*last.lock().expect("progress"), 1.0);
        }
    }

    #[test]
    fn a_flood_of_duplicates_is_cut_to_the_best_ones_exactly() {
        // 320 subjects of one person: 51,040 pairs over the threshold, so the pairs are pruned
        // on the way; what is left must be the best of all, as scoring every pair finds them.
        let mut rng = Rng(0xD0D0);
        let person = rng.vector(1.0);
        let mut index = GalleryIndex::new();
        for row in 0..320 {
            let noise = rng.vector(0.15);
            let mut v = person;
            v.iter_mut().zip(&noise).for_each(|(x, e)| *x += e);
            index.upsert(
                RowMeta {
                    row_id: row,
                    subject_id: CompactId::new(&format!("s{row:03}")),
                    event_id: CompactId::new(&format!("e{row:03}")),
                },
                &v,
                0,
            );
        }
        let input = AuditInput::from_index(&index);
        let found = run(&input, 7000, 1, &|_| {}, &AtomicBool::new(false)).expect("an audit");
        assert_eq!(found.duplicates.len(), MAX_DUPLICATES);
        assert_eq!(found, brute_force(&input, 7000));
    }

    #[test]
    fn a_cancelled_audit_stops_without_findings() {
        let input = AuditInput::from_index(&gallery(2 * TILE));
        let found = run(&input, 7000, 2, &|_| {}, &AtomicBool::new(true));
        assert_eq!(found, Err(Cancelled));
    }

    #[test]
    fn the_filter_lets_through_every_distance_that_reaches_the_threshold() {
        for threshold in [1, 3000, 7000, 9000] {
            let limit = squared_distance_limit(threshold).expect("reachable");
            let d = limit.sqrt();
            assert!(score_for_distance(d).0 < threshold || d > 10.0);
            assert!(score_for_distance((limit - FILTER_MARGIN).sqrt() * 0.999).0 >= threshold);
        }
        assert_eq!(squared_distance_limit(0), Some(f32::INFINITY));
    }
}
