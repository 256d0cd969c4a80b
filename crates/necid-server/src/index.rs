//! The exact 1:N search index of one gallery, held in memory.
//!
//! The engine's score is a decreasing function of the Euclidean distance between descriptors
//! (which are not unit-length), so the index ranks rows by the smallest `|q - r|²`. Since
//! `|q - r|² = |q|² + |r|² - 2 q·r` and `|q|²` is the same for every row, that is the largest
//! `q·r - |r|²/2`: one dot product and one subtraction per row, with `|r|²/2` kept per row.
//!
//! Every active descriptor of the gallery sits in one contiguous `Vec<f32>` (row-major, 128 per
//! row), beside parallel `Vec`s of half squared norms and tag masks, so a probe is one linear
//! pass over memory. The
//! dot products use eight independent 8-lane accumulators (AVX2 + FMA when the CPU has them,
//! chosen once at run time), and a gallery of more than [`PARALLEL_ROWS`] rows is split across
//! the rayon pool so both cores stream their half. Each part keeps its own top-`k`, merged at the
//! end. Nothing is approximated: every active row is scored at full f32 precision.
//!
//! Removal swaps the last row into the hole, so rows stay contiguous; a map from the store's row
//! id to the position keeps updates O(1).

use std::collections::HashMap;

use necid_wire::{EventId, SubjectId};
use rayon::prelude::*;

/// Descriptor length of the face engine.
pub const DIM: usize = 128;
/// Galleries larger than this are scanned by both cores.
pub const PARALLEL_ROWS: usize = 32 * 1024;
/// Rows per parallel task.
const CHUNK_ROWS: usize = 16 * 1024;

/// What the index keeps about a row besides its vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMeta {
    /// The store's row id of the event (never reused).
    pub row_id: i64,
    pub subject_id: CompactId,
    pub event_id: CompactId,
}

/// A subject or event id as the index holds it: the 16 bytes of a UUID (every id this service
/// makes), else the text. Two ids a row, held for every row of every gallery, are most of the
/// index's memory besides the vectors when kept as `String`s.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CompactId {
    Uuid([u8; 16]),
    Text(Box<str>),
}

impl CompactId {
    pub fn new(id: &str) -> Self {
        match uuid::Uuid::try_parse(id) {
            // Only the canonical spelling is packed, so that the text comes back unchanged.
            Ok(u)
                if u.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    == id =>
            {
                Self::Uuid(u.into_bytes())
            }
            _ => Self::Text(id.into()),
        }
    }
}

impl std::fmt::Display for CompactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Uuid(b) => uuid::Uuid::from_bytes(*b).hyphenated().fmt(f),
            Self::Text(t) => f.write_str(t),
        }
    }
}

impl std::fmt::Debug for CompactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl From<&str> for CompactId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<&SubjectId> for CompactId {
    fn from(id: &SubjectId) -> Self {
        Self::new(id.as_str())
    }
}

impl From<&EventId> for CompactId {
    fn from(id: &EventId) -> Self {
        Self::new(id.as_str())
    }
}

/// One hit: the row and its ranking key `q·r - |r|²/2` (larger is closer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub position: usize,
    pub similarity: f32,
}

/// The index of one gallery.
#[derive(Debug, Default, Clone)]
pub struct GalleryIndex {
    vectors: Vec<f32>,
    half_norms: Vec<f32>,
    tags: Vec<u64>,
    meta: Vec<RowMeta>,
    positions: HashMap<i64, usize>,
}

impl GalleryIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(rows: usize) -> Self {
        Self {
            vectors: Vec::with_capacity(rows * DIM),
            half_norms: Vec::with_capacity(rows),
            tags: Vec::with_capacity(rows),
            meta: Vec::with_capacity(rows),
            positions: HashMap::with_capacity(rows),
        }
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    pub fn meta(&self, position: usize) -> &RowMeta {
        &self.meta[position]
    }

    pub fn vector(&self, position: usize) -> &[f32] {
        &self.vectors[position * DIM..(position + 1) * DIM]
    }

    /// Adds a row, or replaces the row with the same `row_id`.
    pub fn upsert(&mut self, meta: RowMeta, vector: &[f32; DIM], tags: u64) {
        let half_norm = 0.5 * dot_plain(vector, vector);
        if let Some(&pos) = self.positions.get(&meta.row_id) {
            self.vectors[pos * DIM..(pos + 1) * DIM].copy_from_slice(vector);
            self.half_norms[pos] = half_norm;
            self.tags[pos] = tags;
            self.meta[pos] = meta;
            return;
        }
        self.positions.insert(meta.row_id, self.meta.len());
        self.vectors.extend_from_slice(vector);
        self.half_norms.push(half_norm);
        self.tags.push(tags);
        self.meta.push(meta);
    }

    /// Removes a row; returns whether it was there.
    pub fn remove(&mut self, row_id: i64) -> bool {
        let Some(pos) = self.positions.remove(&row_id) else {
            return false;
        };
        let last = self.meta.len() - 1;
        if pos != last {
            let (head, tail) = self.vectors.split_at_mut(last * DIM);
            head[pos * DIM..(pos + 1) * DIM].copy_from_slice(&tail[..DIM]);
            self.tags[pos] = self.tags[last];
            self.half_norms[pos] = self.half_norms[last];
            self.meta.swap(pos, last);
            self.positions.insert(self.meta[pos].row_id, pos);
        }
        self.vectors.truncate(last * DIM);
        self.tags.truncate(last);
        self.half_norms.truncate(last);
        self.meta.truncate(last);
        true
    }

    /// Removes every row of a subject; returns their row ids.
    pub fn remove_subject(&mut self, subject_id: &SubjectId) -> Vec<i64> {
        let subject_id = CompactId::from(subject_id);
        let ids: Vec<i64> = self
            .meta
            .iter()
            .filter(|m| m.subject_id == subject_id)
            .map(|m| m.row_id)
            .collect();
        for id in &ids {
            self.remove(*id);
        }
        ids
    }

    /// Clears one tag bit from every row (a deleted tag stops matching).
    pub fn clear_tag_bit(&mut self, bit: u32) {
        let mask = !(1u64 << bit);
        for t in &mut self.tags {
            *t &= mask;
        }
    }

    /// Every row with its tag mask and vector, ordered by row id: two indexes hold the same
    /// rows exactly when their `rows()` are equal (positions depend on the order of changes).
    pub fn rows(&self) -> Vec<(RowMeta, u64, Vec<f32>)> {
        let mut rows: Vec<_> = (0..self.len())
            .map(|p| (self.meta[p].clone(), self.tags[p], self.vector(p).to_vec()))
            .collect();
        rows.sort_by_key(|r| r.0.row_id);
        rows
    }

    /// The positions of a subject's rows.
    pub fn subject_positions(&self, subject_id: &SubjectId) -> Vec<usize> {
        // Packed once, so each row costs a 16-byte comparison, not a formatting of its id.
        let subject_id = CompactId::from(subject_id);
        self.meta
            .iter()
            .enumerate()
            .filter(|(_, m)| m.subject_id == subject_id)
            .map(|(i, _)| i)
            .collect()
    }

    /// The `k` closest rows (Euclidean) whose tags intersect `tag_filter` (0 = no filter), best first.
    /// Ties are broken by position so the answer is deterministic.
    pub fn search(&self, probe: &[f32; DIM], k: usize, tag_filter: u64) -> Vec<Hit> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let n = self.len();
        let mut hits = if n > PARALLEL_ROWS {
            let parts: Vec<TopK> = (0..n.div_ceil(CHUNK_ROWS))
                .into_par_iter()
                .map(|c| {
                    let start = c * CHUNK_ROWS;
                    let end = (start + CHUNK_ROWS).min(n);
                    self.scan(probe, start, end, k, tag_filter)
                })
                .collect();
            let mut all = TopK::new(k);
            for p in parts {
                for h in p.hits {
                    all.push(h);
                }
            }
            all.hits
        } else {
            self.scan(probe, 0, n, k, tag_filter).hits
        };
        hits.sort_by(hit_order);
        hits
    }

    fn scan(
        &self,
        probe: &[f32; DIM],
        start: usize,
        end: usize,
        k: usize,
        tag_filter: u64,
    ) -> TopK {
        let part = Part {
            rows: &self.vectors[start * DIM..end * DIM],
            half_norms: &self.half_norms[start..end],
            tags: &self.tags[start..end],
            start,
        };
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA (checked just above).
                return unsafe { scan_avx2(&part, probe, k, tag_filter) };
            }
        }
        scan_rows::<false>(&part, probe, k, tag_filter)
    }
}

/// A contiguous run of rows of an index.
struct Part<'a> {
    rows: &'a [f32],
    half_norms: &'a [f32],
    tags: &'a [u64],
    start: usize,
}

#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// The scan loop compiled for AVX2 + FMA, so the dot product inlines into it as FMA chains.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn scan_avx2(part: &Part<'_>, probe: &[f32; DIM], k: usize, tag_filter: u64) -> TopK {
    scan_rows::<true>(part, probe, k, tag_filter)
}

#[inline(always)]
fn scan_rows<const FMA: bool>(
    part: &Part<'_>,
    probe: &[f32; DIM],
    k: usize,
    tag_filter: u64,
) -> TopK {
    let mut top = TopK::new(k);
    for (i, row) in part.rows.chunks_exact(DIM).enumerate() {
        if tag_filter != 0 && part.tags[i] & tag_filter == 0 {
            continue;
        }
        let Ok(row) = <&[f32; DIM]>::try_from(row) else {
            continue;
        };
        let s = dot_lanes::<FMA>(probe, row) - part.half_norms[i];
        if top.would_take(s) {
            top.push(Hit {
                position: part.start + i,
                similarity: s,
            });
        }
    }
    top
}

fn hit_order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.similarity
        .total_cmp(&a.similarity)
        .then(a.position.cmp(&b.position))
}

/// A bounded best-`k` list; small `k` (≤ 50) makes a sorted vector cheaper than a heap.
#[derive(Debug)]
struct TopK {
    k: usize,
    hits: Vec<Hit>,
    worst: f32,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self {
            k,
            hits: Vec::with_capacity(k + 1),
            worst: f32::NEG_INFINITY,
        }
    }

    #[inline]
    fn would_take(&self, s: f32) -> bool {
        self.hits.len() < self.k || s >= self.worst
    }

    fn push(&mut self, h: Hit) {
        let at = self
            .hits
            .partition_point(|x| hit_order(x, &h) == std::cmp::Ordering::Less);
        if at >= self.k {
            return;
        }
        self.hits.insert(at, h);
        self.hits.truncate(self.k);
        if self.hits.len() == self.k {
            self.worst = self.hits[self.k - 1].similarity;
        }
    }
}

type DotFn = fn(&[f32; DIM], &[f32; DIM]) -> f32;

/// The fastest dot product this CPU runs, chosen once.
pub fn dot_fn() -> DotFn {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2_fma() {
            return dot_avx2_entry;
        }
    }
    dot_portable
}

#[cfg(target_arch = "x86_64")]
fn dot_avx2_entry(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    // SAFETY: `dot_fn` hands this function out only after detecting AVX2 and FMA.
    unsafe { dot_avx2(a, b) }
}

/// Same loop as [`dot_portable`], compiled with AVX2 + FMA so LLVM turns the 64 accumulators
/// into eight 8-lane FMA chains.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_avx2(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    dot_lanes::<true>(a, b)
}

/// Portable version (SSE2 on x86-64).
pub fn dot_portable(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    dot_plain(a, b)
}

fn dot_plain(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    dot_lanes::<false>(a, b)
}

/// 64 independent accumulators (eight 8-lane vectors), summed pairwise at the end. With `FMA`
/// the multiply-add is fused (only where the CPU has it: otherwise `mul_add` is a slow libm call).
#[inline(always)]
fn dot_lanes<const FMA: bool>(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    const LANES: usize = 64;
    let mut acc = [0f32; LANES];
    for (ca, cb) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for j in 0..LANES {
            acc[j] = if FMA {
                ca[j].mul_add(cb[j], acc[j])
            } else {
                acc[j] + ca[j] * cb[j]
            };
        }
    }
    let mut width = LANES / 2;
    while width > 0 {
        for j in 0..width {
            acc[j] += acc[j + width];
        }
        width /= 2;
    }
    acc[0]
}

/// Plain sequential f64 squared Euclidean distance: the reference for the ranking.
pub fn squared_distance_reference(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum()
}

/// Plain sequential f64 dot product: the reference the fast path is tested against.
pub fn dot_reference(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) so the tests need no RNG crate.
    fn random_vectors(n: usize, seed: u64) -> Vec<[f32; DIM]> {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..n)
            .map(|_| {
                let mut v = [0f32; DIM];
                v.iter_mut().for_each(|x| *x = next());
                // Norms between 0.8 and 1.2, like the engine's unnormalised descriptors.
                let norm =
                    v.iter().map(|x| x * x).sum::<f32>().sqrt() / (0.8 + 0.4 * (next() + 0.5));
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect()
    }

    fn build(vectors: &[[f32; DIM]], tag_of: impl Fn(usize) -> u64) -> GalleryIndex {
        let mut idx = GalleryIndex::new();
        for (i, v) in vectors.iter().enumerate() {
            idx.upsert(
                RowMeta {
                    row_id: i as i64,
                    subject_id: CompactId::new(&format!("s{}", i / 2)),
                    event_id: CompactId::new(&format!("e{i}")),
                },
                v,
                tag_of(i),
            );
        }
        idx
    }

    #[test]
    fn the_fast_dot_product_agrees_with_a_sequential_f64_sum() {
        let v = random_vectors(200, 7);
        let fast = dot_fn();
        for w in v.windows(2) {
            let r = dot_reference(&w[0], &w[1]);
            assert!((f64::from(fast(&w[0], &w[1])) - r).abs() < 1e-6);
            assert!((f64::from(dot_portable(&w[0], &w[1])) - r).abs() < 1e-6);
        }
    }

    #[test]
    fn a_parallel_search_returns_exactly_the_brute_force_top_k() {
        let vectors = random_vectors(PARALLEL_ROWS + 5000, 11);
        let idx = build(&vectors, |i| 1 << (i % 3));
        for (q, probe) in random_vectors(5, 99).iter().enumerate() {
            let filter = if q % 2 == 0 { 0 } else { 0b101 };
            let got = idx.search(probe, 10, filter);
            let mut expected: Vec<(f64, usize)> = vectors
                .iter()
                .enumerate()
                .filter(|(i, _)| filter == 0 || (1u64 << (i % 3)) & filter != 0)
                .map(|(i, v)| (-squared_distance_reference(probe, v), i))
                .collect();
            expected.sort_by(|a, b| b.0.total_cmp(&a.0));
            let got_rows: Vec<i64> = got.iter().map(|h| idx.meta(h.position).row_id).collect();
            let want_rows: Vec<i64> = expected.iter().take(10).map(|e| e.1 as i64).collect();
            assert_eq!(got_rows, want_rows, "probe {q}");
        }
    }

    #[test]
    fn removing_a_row_keeps_the_others_searchable() {
        let vectors = random_vectors(50, 3);
        let mut idx = build(&vectors, |_| 0);
        assert!(idx.remove(0));
        assert!(!idx.remove(0));
        assert_eq!(idx.len(), 49);
        for (i, v) in vectors.iter().enumerate().skip(1) {
            let top = idx.search(v, 1, 0);
            assert_eq!(idx.meta(top[0].position).row_id, i as i64);
        }
        assert_eq!(idx.remove_subject(&SubjectId::from("s1")), vec![2, 3]);
        assert_eq!(idx.len(), 47);
    }

    #[test]
    fn a_tag_filter_only_returns_rows_carrying_one_of_the_tags() {
        let vectors = random_vectors(100, 5);
        let mut idx = build(&vectors, |i| if i % 10 == 0 { 0b10 } else { 0b01 });
        let hits = idx.search(&vectors[3], 50, 0b10);
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|h| idx.meta(h.position).row_id % 10 == 0));
        idx.clear_tag_bit(1);
        assert!(idx.search(&vectors[3], 50, 0b10).is_empty());
    }
}
