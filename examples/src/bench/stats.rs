//! Small statistics and formatting helpers.

use std::time::Duration;

/// Milliseconds as a float.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median (mean of the two middle values for an even count); 0 for no samples.
pub(crate) fn median(samples: &[f64]) -> f64 {
    let s = sorted(samples);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// The nearest-rank percentile `p` (0-100); 0 for no samples.
pub(crate) fn percentile(samples: &[f64], p: f64) -> f64 {
    let s = sorted(samples);
    if s.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// The mean; 0 for no samples.
pub(crate) fn mean(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().sum::<f64>() / samples.len() as f64
}

fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// `a / b`, or 0 when `b` is not a positive number (so the report stays finite).
pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 && a.is_finite() { a / b } else { 0.0 }
}

/// The growth of `t` per 4x items between two sizes: `(t2/t1)^(ln 4 / ln(n2/n1))`.
pub(crate) fn growth_per_4x(n1: usize, t1: f64, n2: usize, t2: f64) -> f64 {
    let items = n2 as f64 / n1 as f64;
    if items <= 1.0 || t1 <= 0.0 || t2 <= 0.0 {
        return 0.0;
    }
    (t2 / t1).powf(4f64.ln() / items.ln())
}

/// A value with its unit, rounded for reading.
pub(crate) fn show(v: f64, unit: &str) -> String {
    match unit {
        "ms" if v < 10.0 => format!("{v:.2} ms"),
        "ms" if v < 1000.0 => format!("{v:.1} ms"),
        "ms" => format!("{v:.0} ms"),
        "B" => format!("{v:.0} B"),
        "x" => format!("{v:.2}"),
        other => format!("{v:.2} {other}"),
    }
}

/// A unitless extra number, rounded for reading.
pub(crate) fn show_plain(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() < 10.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), 50.0);
        assert_eq!(percentile(&hundred, 99.0), 99.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn growth_is_normalised_to_4x() {
        let linear = growth_per_4x(1_000, 1.0, 5_000, 5.0);
        assert!((linear - 4.0).abs() < 1e-9);
        let quadratic = growth_per_4x(1_000, 1.0, 4_000, 16.0);
        assert!((quadratic - 16.0).abs() < 1e-9);
    }
}
