//! Rate limits.
//!
//! For `submitTip`, every check runs after validation, so an invalid submission spends
//! nothing that a valid one needs:
//! - per client (an IPv4 address, or an IPv6 /64 by default; see [`rate_key`]) and per
//!   resident email (folded by [`fold_email`]): sliding windows counted in the database
//!   over the stored tips (`service::tips::windows`), so every replica shares them and a
//!   refused attempt, which stores nothing, spends nothing. `Retry-After` is the time
//!   until that same window frees a slot;
//! - a global ceiling held by each replica ([`TipLimiter::check_global`]), spent only by
//!   a tip that passed every other check;
//! - invalid submissions have their own, larger budget per client
//!   ([`TipLimiter::check_invalid`]): past it the client hears `RATE_LIMITED` instead of
//!   the validation error, but its valid tips, and everyone else's, are unaffected.
//!
//! `tipStatus` has a per-client limit counted per resolved field, so every alias and
//! every operation of a batch counts ([`TipLimiter::check_status`]).
//!
//! Optionally, for every GraphQL request: a per-client limit held by each replica
//! ([`RequestLimiter`], off by default).

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use unicode_normalization::UnicodeNormalization;

use crate::config::Config;

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

/// Every limit on tips and tip lookups, as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipLimits {
    pub per_ip: Limit,
    pub per_email: Limit,
    /// Photos per client, in the per-client window.
    pub photos_per_ip: Limit,
    pub global: Limit,
    /// Invalid submissions per client.
    pub invalid_per_ip: Limit,
    /// `tipStatus` lookups per client.
    pub status_per_ip: Limit,
    /// IPv6 clients are keyed by this many leading bits (IPv4 by the whole address).
    pub ipv6_prefix: u8,
}

impl TipLimits {
    pub fn from_config(config: &Config) -> Self {
        let secs = Duration::from_secs;
        Self {
            per_ip: Limit {
                count: config.tip_limit_per_ip,
                window: secs(config.tip_limit_per_ip_window_secs),
            },
            per_email: Limit {
                count: config.tip_limit_per_email,
                window: secs(config.tip_limit_per_email_window_secs),
            },
            photos_per_ip: Limit {
                count: config.photo_limit_per_ip,
                window: secs(config.tip_limit_per_ip_window_secs),
            },
            global: Limit {
                count: config.tip_limit_global,
                window: secs(config.tip_limit_global_window_secs),
            },
            invalid_per_ip: Limit {
                count: config.tip_invalid_limit_per_ip,
                window: secs(config.tip_invalid_limit_per_ip_window_secs.max(1)),
            },
            status_per_ip: Limit {
                count: config.tip_status_limit_per_ip,
                window: secs(config.tip_status_limit_per_ip_window_secs.max(1)),
            },
            ipv6_prefix: config.rate_limit_ipv6_prefix.min(128),
        }
    }

    /// Every limit at `limit`, IPv6 keyed by /64 (benchmarks, tests).
    pub fn all(limit: Limit) -> Self {
        Self {
            per_ip: limit,
            per_email: limit,
            photos_per_ip: limit,
            global: limit,
            invalid_per_ip: limit,
            status_per_ip: limit,
            ipv6_prefix: 64,
        }
    }
}

/// The key a client is limited by: the canonical address (an IPv4-mapped IPv6 address
/// becomes the IPv4 address), an IPv6 address cut to its first `ipv6_prefix` bits (one
/// subscriber usually holds a whole /64).
pub fn rate_key(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u32::from(ipv6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// An email address folded the way mail systems treat it for abuse purposes, so
/// variants of one mailbox count as one: Unicode NFKC with full case folding on both
/// parts, a `+tag` (subaddress) dropped from the local part, and the domain in its IDNA
/// ASCII form. Only ever used as input to a keyed hash, never stored.
pub fn fold_email(email: &str) -> String {
    let fold = |s: &str| -> String {
        // NFKC(casefold(NFKC(s))): the folded form is itself normalised.
        let nfkc: String = s.nfkc().collect();
        icu_casemap::CaseMapper::new()
            .fold_string(&nfkc)
            .nfkc()
            .collect()
    };
    let folded = fold(email.trim());
    let Some((local, domain)) = folded.rsplit_once('@') else {
        return folded;
    };
    let local = local.split('+').next().unwrap_or(local);
    let domain = domain.trim_end_matches('.');
    let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_owned());
    format!("{local}@{domain}")
}

/// The in-memory limits of `submitTip` and `tipStatus` (the per-client and per-email
/// windows of `submitTip` live in the database).
pub struct TipLimiter {
    limits: TipLimits,
    global: DefaultDirectRateLimiter,
    invalid: DefaultKeyedRateLimiter<IpAddr>,
    status: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl TipLimiter {
    pub fn new(limits: TipLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            global: RateLimiter::direct(limits.global.quota()),
            invalid: RateLimiter::keyed(limits.invalid_per_ip.quota()),
            status: RateLimiter::keyed(limits.status_per_ip.quota()),
            clock: DefaultClock::default(),
        })
    }

    pub fn limits(&self) -> &TipLimits {
        &self.limits
    }

    /// The key `ip` is limited by.
    pub fn key(&self, ip: IpAddr) -> IpAddr {
        rate_key(ip, self.limits.ipv6_prefix)
    }

    fn refused(&self, not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>) -> Refused {
        Refused {
            retry_after: not_until.wait_time_from(self.clock.now()),
        }
    }

    /// Spend one tip from the global ceiling. A refusal spends nothing.
    pub fn check_global(&self) -> Result<(), Refused> {
        self.global.check().map_err(|n| self.refused(n))
    }

    /// Count one invalid submission from `ip`.
    pub fn check_invalid(&self, ip: IpAddr) -> Result<(), Refused> {
        self.invalid
            .check_key(&self.key(ip))
            .map_err(|n| self.refused(n))
    }

    /// Count one `tipStatus` lookup from `ip`.
    pub fn check_status(&self, ip: IpAddr) -> Result<(), Refused> {
        self.status
            .check_key(&self.key(ip))
            .map_err(|n| self.refused(n))
    }

    /// Forget keys whose limits have fully refilled, so memory does not grow with the
    /// number of clients ever seen.
    pub fn prune(&self) {
        self.invalid.retain_recent();
        self.status.retain_recent();
        self.invalid.shrink_to_fit();
        self.status.shrink_to_fit();
    }

    pub fn tracked_keys(&self) -> usize {
        self.invalid.len() + self.status.len()
    }
}

/// A limit on all GraphQL requests per client (keyed like [`rate_key`]), held in this
/// replica's memory (a flood guard in front of the API, not an accounting of shared
/// quotas).
pub struct RequestLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    ipv6_prefix: u8,
    clock: DefaultClock,
}

impl RequestLimiter {
    pub fn new(limit: Limit, ipv6_prefix: u8) -> Arc<Self> {
        Arc::new(Self {
            per_ip: RateLimiter::keyed(limit.quota()),
            ipv6_prefix,
            clock: DefaultClock::default(),
        })
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        self.per_ip
            .check_key(&rate_key(ip, self.ipv6_prefix))
            .map_err(|n| Refused {
                retry_after: n.wait_time_from(self.clock.now()),
            })
    }

    pub fn prune(&self) {
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
    }
}

/// Staff sign-in link requests, per folded address and per client, held in this
/// replica's memory: enough to stop someone flooding a colleague's mailbox or probing
/// many addresses from one place.
pub struct SignInLimiter {
    per_email: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    ipv6_prefix: u8,
    clock: DefaultClock,
}

impl SignInLimiter {
    pub fn new(per_email: Limit, per_ip: Limit, ipv6_prefix: u8) -> Arc<Self> {
        Arc::new(Self {
            per_email: RateLimiter::keyed(per_email.quota()),
            per_ip: RateLimiter::keyed(per_ip.quota()),
            ipv6_prefix,
            clock: DefaultClock::default(),
        })
    }

    pub fn from_config(config: &Config) -> Arc<Self> {
        let hour = Duration::from_secs(3600);
        Self::new(
            Limit {
                count: config.staff_signin_limit_per_email,
                window: hour,
            },
            Limit {
                count: config.staff_signin_limit_per_ip,
                window: hour,
            },
            config.rate_limit_ipv6_prefix,
        )
    }

    /// Spend one request from the client's budget and then the address's; the client is
    /// checked first, so probing many addresses spends nothing of theirs once refused.
    pub fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Refused> {
        let refused = |n: governor::NotUntil<<DefaultClock as Clock>::Instant>| Refused {
            retry_after: n.wait_time_from(self.clock.now()),
        };
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&rate_key(ip, self.ipv6_prefix))
                .map_err(refused)?;
        }
        self.per_email
            .check_key(&fold_email(email))
            .map_err(refused)
    }

    pub fn prune(&self) {
        self.per_email.retain_recent();
        self.per_ip.retain_recent();
        self.per_email.shrink_to_fit();
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

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn status_lookups_allow_exactly_the_burst_per_client() {
        let limiter = TipLimiter::new(TipLimits {
            status_per_ip: Limit {
                count: 3,
                window: Duration::from_secs(600),
            },
            ..TipLimits::all(Limit {
                count: 100,
                window: Duration::from_secs(1),
            })
        });
        for _ in 0..3 {
            assert!(limiter.check_status(ip("192.0.2.1")).is_ok());
        }
        let refused = limiter.check_status(ip("192.0.2.1")).expect_err("refused");
        assert!(
            refused.retry_after > Duration::from_secs(150)
                && refused.retry_after <= Duration::from_secs(200)
        );
        // The same client over an IPv4-mapped address; another client is unaffected.
        assert!(limiter.check_status(ip("::ffff:192.0.2.1")).is_err());
        assert!(limiter.check_status(ip("192.0.2.2")).is_ok());
        assert_eq!(limiter.tracked_keys(), 2);
    }

    #[test]
    fn clients_are_keyed_by_address_or_ipv6_prefix() {
        assert_eq!(rate_key(ip("192.0.2.7"), 64), ip("192.0.2.7"));
        assert_eq!(rate_key(ip("::ffff:127.0.0.1"), 64), ip("127.0.0.1"));
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 64),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa::1"), 64),
            rate_key(ip("2001:db8:1:2:ffff::2"), 64)
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:2::1"), 64),
            rate_key(ip("2001:db8:1:3::1"), 64)
        );
        assert_eq!(rate_key(ip("2001:db8::1"), 128), ip("2001:db8::1"));
        assert_eq!(rate_key(ip("2001:db8::1"), 0), ip("::"));
        assert_eq!(rate_key(ip("2001:db8:1:2::1"), 48), ip("2001:db8:1::"));
        // The loopback and other non-mapped IPv6 forms stay IPv6.
        assert_eq!(rate_key(ip("::1"), 128), ip("::1"));
    }

    #[test]
    fn email_variants_fold_to_one_mailbox() {
        let plain = fold_email("erika@exempel.se");
        assert_eq!(plain, "erika@exempel.se");
        for variant in [
            "Erika+x@Exempel.SE",
            "ERIKA@EXEMPEL.SE",
            "erika+nyhetsbrev+2@exempel.se",
            "ｅｒｉｋａ@ｅｘｅｍｐｅｌ．ｓｅ",
            "Ｅｒｉｋａ＋ｘ＠Ｅｘｅｍｐｅｌ.SE",
            "  erika@exempel.se.",
        ] {
            assert_eq!(fold_email(variant), plain, "{variant}");
        }
        // Full case folding, and the domain in its ASCII (IDNA) form.
        assert_eq!(fold_email("STRAßE@x.se"), fold_email("strasse@x.se"));
        let idn = fold_email("åsa@ålänning.se");
        assert_eq!(fold_email("Åsa@ÅLÄNNING.SE"), idn);
        let (_, domain) = idn.rsplit_once('@').expect("domain");
        assert!(domain.starts_with("xn--") && domain.is_ascii(), "{idn}");
        assert_eq!(fold_email(&format!("ÅSA@{domain}")), idn);
        assert_ne!(
            fold_email("erika@exempel.se"),
            fold_email("erik@exempel.se")
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
