//! Retry delay for failed deliveries: exponential with "equal jitter" (half fixed, half
//! random), capped, so retries from many rows spread out instead of arriving together.

use std::time::Duration;

use rand::Rng;

/// Delay before attempt `attempts + 1`, given that `attempts` (≥ 1) have failed.
pub fn delay(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let full = base.saturating_mul(1u32 << exp).min(max);
    let half = full / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
    half + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_is_capped() {
        let base = Duration::from_secs(5);
        let max = Duration::from_secs(3600);
        for _ in 0..100 {
            let first = delay(1, base, max);
            assert!(
                first >= Duration::from_millis(2500) && first <= base,
                "{first:?}"
            );
            let fourth = delay(4, base, max);
            assert!(
                fourth >= Duration::from_secs(20) && fourth <= Duration::from_secs(40),
                "{fourth:?}"
            );
            let late = delay(30, base, max);
            assert!(late >= max / 2 && late <= max, "{late:?}");
        }
    }
}
