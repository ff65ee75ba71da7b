//! Rate limits. For `submitTip`: keyed governor limiters per client IP and per resident
//! email, and a global ceiling; the per-IP window is also checked in the database (see
//! `service::tips::ip_window`), so replicas share it. Optionally, for every GraphQL
//! request: a per-IP limit held by each replica ([`RequestLimiter`], off by default).

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

/// A limit of `count` per `window`, all of which may be used at once (the burst), then
/// refilled evenly over the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

impl Limit {
    fn quota(self) -> Quota {
        let count = NonZeroU32::new(self.count.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = (self.window / count.get()).max(Duration::from_nanos(1));
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count)
    }
}

/// Which limit refused a request, and when to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
}

pub struct TipLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<String>,
    global: DefaultDirectRateLimiter,
    clock: DefaultClock,
}

impl TipLimiter {
    pub fn new(per_ip: Limit, per_email: Limit, global: Limit) -> Arc<Self> {
        Arc::new(Self {
            per_ip: RateLimiter::keyed(per_ip.quota()),
            per_email: RateLimiter::keyed(per_email.quota()),
            global: RateLimiter::direct(global.quota()),
            clock: DefaultClock::default(),
        })
    }

    fn refused(&self, not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>) -> Refused {
        Refused {
            retry_after: not_until.wait_time_from(self.clock.now()),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        self.per_ip.check_key(&ip).map_err(|n| self.refused(n))
    }

    pub fn check_global(&self) -> Result<(), Refused> {
        self.global.check().map_err(|n| self.refused(n))
    }

    /// Emails are compared case-insensitively.
    pub fn check_email(&self, email: &str) -> Result<(), Refused> {
        self.per_email
            .check_key(&email.to_lowercase())
            .map_err(|n| self.refused(n))
    }

    /// Forget keys whose limits have fully refilled, so memory does not grow with the
    /// number of clients ever seen.
    pub fn prune(&self) {
        self.per_ip.retain_recent();
        self.per_email.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_email.shrink_to_fit();
    }

    pub fn tracked_keys(&self) -> usize {
        self.per_ip.len() + self.per_email.len()
    }
}

/// A limit on all GraphQL requests per client IP, held in this replica's memory (a
/// flood guard in front of the API, not an accounting of shared quotas).
pub struct RequestLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl RequestLimiter {
    pub fn new(limit: Limit) -> Arc<Self> {
        Arc::new(Self {
            per_ip: RateLimiter::keyed(limit.quota()),
            clock: DefaultClock::default(),
        })
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        self.per_ip.check_key(&ip).map_err(|n| Refused {
            retry_after: n.wait_time_from(self.clock.now()),
        })
    }

    pub fn prune(&self) {
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
    }
}

/// Whole seconds to wait, rounded up and at least 1.
pub fn retry_after_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0).max(u64::from(d.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_exactly_the_burst() {
        let limit = Limit {
            count: 3,
            window: Duration::from_secs(600),
        };
        let limiter = TipLimiter::new(
            limit,
            limit,
            Limit {
                count: 100,
                window: Duration::from_secs(1),
            },
        );
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..3 {
            assert!(limiter.check_ip(ip).is_ok());
        }
        let refused = limiter.check_ip(ip).expect_err("fourth refused");
        assert!(
            refused.retry_after > Duration::from_secs(150)
                && refused.retry_after <= Duration::from_secs(200)
        );
        // Another client is unaffected.
        assert!(limiter.check_ip("192.0.2.2".parse().expect("ip")).is_ok());
        assert!(limiter.check_email("A@x.se").is_ok());
        assert!(limiter.check_email("a@X.se").is_ok());
        assert!(limiter.check_email("a@x.se").is_ok());
        assert!(limiter.check_email("A@X.SE").is_err());
        assert_eq!(limiter.tracked_keys(), 3);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
