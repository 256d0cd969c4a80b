//! Counts as English: "1 subject", "2 subjects", "10,000 galleries". Every count the panes
//! show goes through [`count`], so none reads "1 subjects" or "event(s)".

/// `n` and its noun, singular for exactly one, with the thousands grouped.
pub fn count(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    let noun = if n == 1 { one } else { many };
    format!("{} {noun}", grouped(n))
}

/// `n` with its thousands grouped by commas (`10,000`).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural_with_grouped_thousands() {
        assert_eq!(count(1usize, "subject", "subjects"), "1 subject");
        assert_eq!(count(0u64, "face", "faces"), "0 faces");
        assert_eq!(count(2u32, "person", "people"), "2 people");
        assert_eq!(
            count(10_000usize, "gallery", "galleries"),
            "10,000 galleries"
        );
        assert_eq!(count(1_234_567u64, "row", "rows"), "1,234,567 rows");
    }
}
