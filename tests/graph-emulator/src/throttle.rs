//! Outlook-style throttling, per app per mailbox: a concurrency cap and a sliding request window,
//! plus injected 429s and counters per mailbox.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::EmulatorConfig;

#[derive(Debug, Default)]
struct Slot {
    in_flight: u32,
    window: VecDeque<Instant>,
}

/// Per-mailbox counters (summed over apps).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counters {
    pub requests: u64,
    pub throttled: u64,
    pub max_concurrency_seen: u32,
}

#[derive(Debug, Default, Clone, Copy)]
struct Injected {
    remaining: u32,
    retry_after: u64,
}

/// Outcome of [`Throttle::admit`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Admitted,
    Throttled { retry_after: u64, message: String },
}

/// All throttling state.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    slots: HashMap<(String, String), Slot>,
    counters: HashMap<String, Counters>,
    injected: HashMap<String, Injected>,
}

impl Throttle {
    /// Admits or rejects one request of `app` on `user`'s mailbox. An admitted request must be
    /// [`Self::release`]d.
    pub(crate) fn admit(
        &mut self,
        cfg: &EmulatorConfig,
        app: &str,
        user: &str,
        now: Instant,
    ) -> Admission {
        let counters = self.counters.entry(user.to_owned()).or_default();
        counters.requests += 1;
        if let Some(inj) = self.injected.get_mut(user).filter(|i| i.remaining > 0) {
            inj.remaining -= 1;
            counters.throttled += 1;
            return Admission::Throttled {
                retry_after: inj.retry_after,
                message: "Application is over its MailboxConcurrency limit.".into(),
            };
        }
        let slot = self
            .slots
            .entry((app.to_owned(), user.to_owned()))
            .or_default();
        while slot
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= cfg.rate_window)
        {
            slot.window.pop_front();
        }
        if slot.window.len() >= cfg.rate_limit as usize {
            counters.throttled += 1;
            let frees_at = slot.window.front().map_or(now, |t| *t + cfg.rate_window);
            let wait = frees_at.saturating_duration_since(now);
            return Admission::Throttled {
                retry_after: ceil_secs(wait),
                message: "Application is over its MailboxRequests limit.".into(),
            };
        }
        if slot.in_flight >= cfg.max_concurrency {
            counters.throttled += 1;
            return Admission::Throttled {
                retry_after: cfg.concurrency_retry_after_secs,
                message: "Application is over its MailboxConcurrency limit.".into(),
            };
        }
        slot.in_flight += 1;
        slot.window.push_back(now);
        counters.max_concurrency_seen = counters.max_concurrency_seen.max(slot.in_flight);
        Admission::Admitted
    }

    /// Ends an admitted request.
    pub(crate) fn release(&mut self, app: &str, user: &str) {
        if let Some(slot) = self.slots.get_mut(&(app.to_owned(), user.to_owned())) {
            slot.in_flight = slot.in_flight.saturating_sub(1);
        }
    }

    /// Makes the next `n` requests for `user` answer 429.
    pub(crate) fn inject(&mut self, user: &str, n: u32, retry_after: u64) {
        self.injected.insert(
            user.to_owned(),
            Injected {
                remaining: n,
                retry_after,
            },
        );
    }

    pub(crate) fn counters(&self, user: &str) -> Counters {
        self.counters.get(user).copied().unwrap_or_default()
    }
}

fn ceil_secs(d: Duration) -> u64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_concurrency() {
        let cfg = EmulatorConfig {
            rate_limit: 3,
            rate_window: Duration::from_secs(2),
            max_concurrency: 2,
            ..EmulatorConfig::default()
        };
        let mut t = Throttle::default();
        let now = Instant::now();
        assert_eq!(t.admit(&cfg, "a", "u", now), Admission::Admitted);
        assert_eq!(t.admit(&cfg, "a", "u", now), Admission::Admitted);
        assert!(matches!(
            t.admit(&cfg, "a", "u", now),
            Admission::Throttled { retry_after: 1, .. }
        ));
        // another app has its own budget
        assert_eq!(t.admit(&cfg, "b", "u", now), Admission::Admitted);
        t.release("a", "u");
        t.release("a", "u");
        assert_eq!(t.admit(&cfg, "a", "u", now), Admission::Admitted);
        t.release("a", "u");
        assert!(matches!(
            t.admit(&cfg, "a", "u", now),
            Admission::Throttled { retry_after: 2, .. }
        ));
        let later = now + Duration::from_secs(2);
        assert_eq!(t.admit(&cfg, "a", "u", later), Admission::Admitted);
        let c = t.counters("u");
        assert_eq!((c.requests, c.throttled, c.max_concurrency_seen), (7, 2, 2));
    }
}
