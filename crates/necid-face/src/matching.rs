//! Descriptor comparison: the NEC 0..9999 match score as a calibrated, strictly decreasing
//! function of the Euclidean distance between two descriptors.

use serde::{Deserialize, Serialize};

/// A 128-D face descriptor (unnormalised, as the recognition net outputs it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Descriptor(#[serde(with = "serde_arr")] pub [f32; 128]);

mod serde_arr {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(v: &[f32; 128], s: S) -> Result<S::Ok, S::Error> {
        v.as_slice().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f32; 128], D::Error> {
        let v = Vec::<f32>::deserialize(d)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("a descriptor has 128 values"))
    }
}

impl Descriptor {
    /// Euclidean distance to `other` (the package's `euclideanDistance`).
    pub fn distance(&self, other: &Descriptor) -> f32 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f32>()
            .sqrt()
    }
}

/// A match score, 0..=9999; higher means more alike. 7000 is the NEC API's default threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MatchScore(pub u16);

/// The distance that maps to the score 7000 (calibrated on every pair of `testdata/faces`,
/// docs/face-engine.md).
pub const DISTANCE_AT_7000: f32 = 0.565;
/// Slope of the logistic mapping, in distance units.
const TAU: f32 = 0.08;

/// `9999 · σ((c − d)/τ)` with `c` chosen so that `d = DISTANCE_AT_7000` gives exactly 7000:
/// strictly decreasing in the distance `d`, 9999 only for identical descriptors' neighbourhood.
pub fn score_for_distance(d: f32) -> MatchScore {
    // logit(7000/9999) puts 7000 at DISTANCE_AT_7000.
    let p7000: f32 = 7000.0 / 9999.0;
    let c = DISTANCE_AT_7000 + TAU * (p7000 / (1.0 - p7000)).ln();
    let s = 9999.0 / (1.0 + ((d - c) / TAU).exp());
    if s.is_nan() {
        return MatchScore(0);
    }
    MatchScore(s.round().clamp(0.0, 9999.0) as u16)
}

/// The match score of two descriptors.
pub fn compare(a: &Descriptor, b: &Descriptor) -> MatchScore {
    score_for_distance(a.distance(b))
}
