//! How numbers travel on the wire.
//!
//! The reference sends face-attribute numbers as JSON strings (`"left": "161"`,
//! `"faceScore": "0.999591"`) and a few counters as strings (`"attempts": "1"`). Servers differ, so
//! these helpers accept a string or a number when reading, and always write what the reference
//! writes: strings, with decimals in the six-significant-digit style of its examples.

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use std::fmt;

/// Formats like C's `%g`: six significant digits, trailing zeros removed (`0.999591`, `-0`,
/// `4.93922`).
pub fn format_decimal(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let scientific = format!("{value:.5e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return scientific;
    };
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim_zeros(mantissa), exponent.abs());
    }
    let decimals = usize::try_from(5 - exponent).unwrap_or(0);
    trim_zeros(&format!("{value:.decimals$}")).to_owned()
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding a number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

fn read_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(NumberVisitor)
}

/// A decimal written as a string (`"0.999591"`), read from a string or a number.
pub mod decimal {
    use super::*;

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_decimal(*value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        read_number(deserializer)
    }
}

/// A pixel coordinate written as an integer string (`"161"`), read from a string or a number
/// (a fractional value is rounded).
pub mod pixel {
    use super::*;

    pub fn serialize<S: Serializer>(value: &i32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
        let value = read_number(deserializer)?.round();
        if value.abs() > f64::from(i32::MAX) {
            return Err(de::Error::custom("pixel coordinate out of range"));
        }
        Ok(value as i32)
    }
}

/// A count written as an integer string (`"attempts": "1"`), read from a string or a number.
pub mod count_string {
    use super::*;

    pub fn serialize<S: Serializer>(value: &u32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
        let value = read_number(deserializer)?;
        if !(0.0..=f64::from(u32::MAX)).contains(&value) || value.fract() != 0.0 {
            return Err(de::Error::custom("count must be a whole number"));
        }
        Ok(value as u32)
    }
}

/// An integer written as a JSON number, read from a number or a string holding one.
pub mod lenient_u64 {
    use super::*;

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(*value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let value = read_number(deserializer)?;
        if !(0.0..=9.0e15).contains(&value) || value.fract() != 0.0 {
            return Err(de::Error::custom("expected a whole non-negative number"));
        }
        Ok(value as u64)
    }
}

/// A decimal written as a JSON number, read from a number or a string holding one.
pub mod lenient_f64 {
    use super::*;

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(*value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        read_number(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::format_decimal;

    #[test]
    fn decimals_are_written_like_the_reference_examples() {
        assert_eq!(format_decimal(0.999591), "0.999591");
        assert_eq!(format_decimal(4.93922), "4.93922");
        assert_eq!(format_decimal(-9.34863), "-9.34863");
        assert_eq!(format_decimal(-0.0), "-0");
        assert_eq!(format_decimal(7.613), "7.613");
        assert_eq!(format_decimal(0.5698239803314209), "0.569824");
        assert_eq!(format_decimal(123456.7), "123457");
        assert_eq!(format_decimal(0.00001234), "1.234e-05");
    }
}
