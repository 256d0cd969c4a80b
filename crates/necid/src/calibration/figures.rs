//! The figures of a calibration: the genuine and impostor score distributions, false-accept and
//! false-reject rates against the threshold, the threshold for a target false-accept rate with
//! its confidence bound, and their CSV.
//!
//! A pair's score is exact when a search returned it. A search returns at most 50 events, so a
//! pair that neither of its two searches returned is only known to score at most the lower of
//! the two searches' 50th scores: its [`PairScore`] is then that bound, marked inexact. Rates are
//! exact at every threshold above every bound ([`Figures::exact_from`]); below it an inexact
//! pair counts as not accepted.

use std::fmt::Write as _;

/// The score of one pair of images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairScore {
    /// The score, or an upper bound of it when `exact` is false.
    pub score: u16,
    pub exact: bool,
}

/// How a threshold sorts the pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    pub threshold: u16,
    /// Impostor pairs at or above the threshold.
    pub false_accepts: usize,
    pub impostor_pairs: usize,
    /// Genuine pairs below the threshold.
    pub false_rejects: usize,
    pub genuine_pairs: usize,
}

impl Rates {
    /// False-accept rate, 0..=1 (0 without impostor pairs).
    pub fn far(&self) -> f64 {
        ratio(self.false_accepts, self.impostor_pairs)
    }

    /// False-reject rate, 0..=1 (0 without genuine pairs).
    pub fn frr(&self) -> f64 {
        ratio(self.false_rejects, self.genuine_pairs)
    }

    /// The one-sided 95 % Clopper–Pearson upper bound of the false-accept rate: the true rate
    /// is below it with 95 % confidence, were the pairs independent (they are not quite: each
    /// image is in many pairs, so read it as a guide).
    pub fn far_upper_95(&self) -> f64 {
        clopper_pearson_upper(self.false_accepts, self.impostor_pairs, 0.95)
    }
}

fn ratio(k: usize, n: usize) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// A threshold chosen for a target false-accept rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThresholdChoice {
    pub threshold: u16,
    pub rates: Rates,
    /// [`Rates::far_upper_95`] at `threshold`: at most the target.
    pub far_upper_95: f64,
}

/// One bar of the score histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bin {
    /// Lowest score of the bin.
    pub from: u16,
    pub genuine: usize,
    pub impostor: usize,
}

/// The score distributions of a labelled set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub genuine: Vec<PairScore>,
    pub impostor: Vec<PairScore>,
}

impl Figures {
    /// Rates at one threshold.
    pub fn rates_at(&self, threshold: u16) -> Rates {
        let accepted = |p: &&PairScore| p.exact && p.score >= threshold;
        let genuine_accepted = self.genuine.iter().filter(accepted).count();
        Rates {
            threshold,
            false_accepts: self.impostor.iter().filter(accepted).count(),
            impostor_pairs: self.impostor.len(),
            false_rejects: self.genuine.len() - genuine_accepted,
            genuine_pairs: self.genuine.len(),
        }
    }

    /// The lowest threshold from which every rate is exact (0 when every score is).
    pub fn exact_from(&self) -> u16 {
        self.genuine
            .iter()
            .chain(&self.impostor)
            .filter(|p| !p.exact)
            .map(|p| p.score.saturating_add(1))
            .max()
            .unwrap_or(0)
    }

    /// Rates at 0, `step`, 2·`step`, … up to 9999 (which is always included).
    pub fn curve(&self, step: u16) -> Vec<Rates> {
        let step = usize::from(step.max(1));
        let mut thresholds: Vec<u16> = (0..=9999u16).step_by(step).collect();
        if thresholds.last() != Some(&9999) {
            thresholds.push(9999);
        }
        thresholds.into_iter().map(|t| self.rates_at(t)).collect()
    }

    /// The lowest threshold at which the one-sided 95 % Clopper–Pearson upper bound of the
    /// false-accept rate is at most `target_far`, searched where the rates are exact. `None`
    /// when even 9999 is not enough (too few impostor pairs to show so low a rate).
    pub fn threshold_for_far(&self, target_far: f64) -> Option<ThresholdChoice> {
        let bound = |t: u16| self.rates_at(t).far_upper_95();
        let (mut low, mut high) = (self.exact_from().min(9999), 9999u16);
        if bound(high) > target_far {
            return None;
        }
        // The bound falls as the threshold rises: the first threshold that meets the target.
        while low < high {
            let mid = low + (high - low) / 2;
            if bound(mid) <= target_far {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        let rates = self.rates_at(high);
        Some(ThresholdChoice {
            threshold: high,
            rates,
            far_upper_95: rates.far_upper_95(),
        })
    }

    /// Exact scores in bins of `width` (inexact pairs, which are all low, are left out).
    pub fn histogram(&self, width: u16) -> Vec<Bin> {
        let width = width.max(1);
        let mut bins: Vec<Bin> = (0..=9999u16)
            .step_by(usize::from(width))
            .map(|from| Bin {
                from,
                genuine: 0,
                impostor: 0,
            })
            .collect();
        let slot = |score: u16| usize::from(score / width);
        for p in self.genuine.iter().filter(|p| p.exact) {
            bins[slot(p.score)].genuine += 1;
        }
        for p in self.impostor.iter().filter(|p| p.exact) {
            bins[slot(p.score)].impostor += 1;
        }
        bins
    }

    /// The rates every `step` as CSV (`threshold,far,frr,…`), rates as fractions.
    pub fn rates_csv(&self, step: u16) -> String {
        let mut csv = String::from(
            "threshold,far,frr,false_accepts,impostor_pairs,false_rejects,genuine_pairs,far_upper_95,exact\n",
        );
        let exact_from = self.exact_from();
        for r in self.curve(step) {
            let _ = writeln!(
                csv,
                "{},{:.6},{:.6},{},{},{},{},{:.6},{}",
                r.threshold,
                r.far(),
                r.frr(),
                r.false_accepts,
                r.impostor_pairs,
                r.false_rejects,
                r.genuine_pairs,
                r.far_upper_95(),
                r.threshold >= exact_from
            );
        }
        csv
    }

    /// The histograms as CSV (`from,genuine,impostor`).
    pub fn histogram_csv(&self, width: u16) -> String {
        let mut csv = String::from("from,genuine,impostor\n");
        for b in self.histogram(width) {
            let _ = writeln!(csv, "{},{},{}", b.from, b.genuine, b.impostor);
        }
        csv
    }
}

/// The one-sided Clopper–Pearson upper bound at `confidence` of a rate seen `k` times in `n`:
/// the `p` at which seeing at most `k` has probability `1 − confidence`.
pub fn clopper_pearson_upper(k: usize, n: usize, confidence: f64) -> f64 {
    if n == 0 || k >= n {
        return 1.0;
    }
    let alpha = 1.0 - confidence;
    let (mut low, mut high) = (k as f64 / n as f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (low + high);
        if binomial_cdf(k, n, mid) > alpha {
            low = mid;
        } else {
            high = mid;
        }
    }
    high
}

/// P(X ≤ k) for X ~ Binomial(n, p), summed in log space so large `n` neither under- nor
/// overflows.
fn binomial_cdf(k: usize, n: usize, p: f64) -> f64 {
    if p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return if k >= n { 1.0 } else { 0.0 };
    }
    let (ln_p, ln_q) = (p.ln(), (1.0 - p).ln());
    let mut term = n as f64 * ln_q;
    let mut terms = Vec::with_capacity(k + 1);
    terms.push(term);
    for i in 0..k.min(n) {
        term += ((n - i) as f64 / (i + 1) as f64).ln() + ln_p - ln_q;
        terms.push(term);
    }
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (max.exp() * terms.iter().map(|t| (t - max).exp()).sum::<f64>()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(scores: &[u16]) -> Vec<PairScore> {
        scores
            .iter()
            .map(|&score| PairScore { score, exact: true })
            .collect()
    }

    #[test]
    fn the_clopper_pearson_bound_matches_known_values() {
        // No event in n: 1 − 0.05^(1/n) (about the rule of three, 3/n).
        let n = 3000;
        let expected = 1.0 - 0.05f64.powf(1.0 / n as f64);
        assert!((clopper_pearson_upper(0, n, 0.95) - expected).abs() < 1e-9);
        // 10 in 14,526 (the engine's false accepts at 7000): 0.0688 % seen, bound 0.1167 %, the
        // 95 % quantile of Beta(11, 14516) (computed apart, with lgamma terms).
        let bound = clopper_pearson_upper(10, 14_526, 0.95);
        assert!((bound - 0.001_167_43).abs() < 1e-7, "{bound}");
        assert_eq!(clopper_pearson_upper(5, 5, 0.95), 1.0);
    }

    #[test]
    fn rates_count_the_pairs_on_each_side_of_the_threshold() {
        let figures = Figures {
            genuine: exact(&[9500, 8000, 6999, 7000]),
            impostor: exact(&[100, 7000, 200, 300, 6999]),
        };
        let r = figures.rates_at(7000);
        assert_eq!((r.false_accepts, r.false_rejects), (1, 1));
        assert_eq!(r.far(), 0.2);
        assert_eq!(r.frr(), 0.25);
        assert_eq!(figures.exact_from(), 0);
        let bins = figures.histogram(1000);
        assert_eq!(bins.len(), 10);
        assert_eq!((bins[6].genuine, bins[6].impostor), (1, 1));
        assert_eq!((bins[7].genuine, bins[7].impostor), (1, 1));
        let csv = figures.rates_csv(5000);
        assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
        assert!(
            csv.lines()
                .nth(2)
                .is_some_and(|l| l.starts_with("5000,0.400000,0.000000,2,5,0,4,"))
        );
    }

    #[test]
    fn an_inexact_pair_makes_the_rates_exact_only_above_its_bound() {
        let mut figures = Figures {
            genuine: exact(&[9000]),
            impostor: exact(&[500; 4000]),
        };
        figures.impostor.push(PairScore {
            score: 2500,
            exact: false,
        });
        assert_eq!(figures.exact_from(), 2501);
        let choice = figures.threshold_for_far(0.001).expect("a threshold");
        // Nothing above 500 is accepted, but below 2501 the bounded pair might be.
        assert_eq!(choice.threshold, 2501);
        assert_eq!(choice.rates.false_accepts, 0);
        assert!(choice.far_upper_95 <= 0.001);
        assert!(figures.threshold_for_far(0.0001).is_none());
    }
}
