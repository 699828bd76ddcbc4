//! Per-mailbox request budget, so the client stays inside Outlook's limits on its own instead of
//! discovering them through 429s (throttled requests still count, and a mailbox that keeps
//! hitting its limit stays throttled longer).
//!
//! Each budget (one per mailbox, plus one app-wide for requests that touch no mailbox) has:
//! - a semaphore of `max_concurrency` permits, held from before the request is sent until its
//!   response has been read;
//! - a sliding window of `requests_per_window` per `window`. A request occupies a window slot from
//!   the moment it is admitted; when it completes, the slot is stamped with the *completion* time
//!   and frees one `window` later. Graph stamps a request somewhere between our send and our
//!   receipt, so stamping with our receipt time is never earlier than Graph's: when our window
//!   has room, Graph's has room too, whatever the network latency;
//! - a "paused until" instant set from `Retry-After` on 429/503, which every request of that
//!   budget waits for before it is admitted.
//!
//! Budgets are kept for the life of the client (one entry per mailbox touched).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::MailboxLimits;
use crate::error::GraphError;

/// How long to wait before looking again when every window slot is held by a request still in
/// flight (its slot frees no earlier than one window after it completes).
const IN_FLIGHT_POLL: Duration = Duration::from_millis(10);

/// Which budget a request is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket<'a> {
    /// Requests on one mailbox (its id or UPN, as used in the path).
    Mailbox(&'a str),
    /// Requests that touch no mailbox.
    App,
}

#[derive(Debug, Default)]
struct Window {
    /// Slots held by admitted requests that have not completed.
    in_flight: u32,
    /// Completion times of finished requests, oldest first.
    done: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

#[derive(Debug)]
struct Budget {
    limits: MailboxLimits,
    semaphore: Arc<Semaphore>,
    window: Mutex<Window>,
}

/// Outcome of trying to take window slots.
enum Reserve {
    Taken,
    /// Paused by `Retry-After`.
    Paused,
    /// Full; a slot frees at that instant at the earliest.
    Full(Instant),
}

impl Budget {
    fn new(limits: MailboxLimits) -> Self {
        let permits = limits.max_concurrency.max(1) as usize;
        Self {
            limits,
            semaphore: Arc::new(Semaphore::new(permits)),
            window: Mutex::new(Window::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.lock().paused_until.filter(|p| *p > now)
    }

    fn try_reserve(&self, weight: u32, now: Instant) -> Reserve {
        let mut w = self.lock();
        if w.paused_until.is_some_and(|p| p > now) {
            return Reserve::Paused;
        }
        let span = self.limits.window;
        while w
            .done
            .front()
            .is_some_and(|t| now.duration_since(*t) >= span)
        {
            w.done.pop_front();
        }
        let used = w.in_flight as usize + w.done.len();
        if used + weight as usize <= self.limits.requests_per_window as usize {
            w.in_flight += weight;
            return Reserve::Taken;
        }
        // The oldest completed slots free first; if too few have completed, poll.
        let needed = used + weight as usize - self.limits.requests_per_window as usize;
        match w.done.get(needed.saturating_sub(1)) {
            Some(t) => Reserve::Full(*t + span),
            None => Reserve::Full(now + IN_FLIGHT_POLL.min(span)),
        }
    }

    fn complete(&self, weight: u32) {
        let now = Instant::now();
        let mut w = self.lock();
        w.in_flight = w.in_flight.saturating_sub(weight);
        for _ in 0..weight {
            w.done.push_back(now);
        }
    }

    fn pause(&self, until: Instant) {
        let mut w = self.lock();
        if w.paused_until.is_none_or(|p| p < until) {
            w.paused_until = Some(until);
        }
    }
}

/// Admission to send one request (or one `$batch` of `weight` requests); dropping it marks the
/// request complete.
#[derive(Debug)]
pub(crate) struct Ticket {
    budget: Arc<Budget>,
    weight: u32,
    _permits: OwnedSemaphorePermit,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.budget.complete(self.weight);
    }
}

/// All budgets of one client.
#[derive(Debug)]
pub(crate) struct Limiter {
    mailbox: MailboxLimits,
    app: Arc<Budget>,
    mailboxes: Mutex<HashMap<String, Arc<Budget>>>,
}

impl Limiter {
    pub(crate) fn new(mailbox: MailboxLimits, app: MailboxLimits) -> Self {
        Self {
            mailbox,
            app: Arc::new(Budget::new(app)),
            mailboxes: Mutex::new(HashMap::new()),
        }
    }

    fn budget(&self, bucket: Bucket<'_>) -> Arc<Budget> {
        match bucket {
            Bucket::App => Arc::clone(&self.app),
            Bucket::Mailbox(m) => {
                // A UPN is case-insensitive; ids are GUIDs, so lower-casing is safe for both.
                let key = m.to_ascii_lowercase();
                let mut map = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
                Arc::clone(
                    map.entry(key)
                        .or_insert_with(|| Arc::new(Budget::new(self.mailbox))),
                )
            }
        }
    }

    /// Waits until a request of `weight` window slots may be sent on `bucket`: no pause in force,
    /// a concurrency permit (`min(weight, max_concurrency)` of them for a batch) and room in the
    /// window.
    pub(crate) async fn acquire(
        &self,
        bucket: Bucket<'_>,
        weight: u32,
    ) -> Result<Ticket, GraphError> {
        let budget = self.budget(bucket);
        // A batch larger than the whole window could never be admitted.
        let weight = weight.clamp(1, budget.limits.requests_per_window.max(1));
        let permits = weight.min(budget.limits.max_concurrency.max(1));
        loop {
            if let Some(until) = budget.paused_until(Instant::now()) {
                sleep_until(until).await;
                continue;
            }
            let held = Arc::clone(&budget.semaphore)
                .acquire_many_owned(permits)
                .await
                .map_err(|_| GraphError::Transport("request limiter closed".into()))?;
            // Holding the permits while waiting for a window slot is fine: every other request
            // of this budget would wait for the same slot.
            loop {
                match budget.try_reserve(weight, Instant::now()) {
                    Reserve::Taken => {
                        return Ok(Ticket {
                            budget,
                            weight,
                            _permits: held,
                        });
                    }
                    Reserve::Full(at) => sleep_until(at).await,
                    Reserve::Paused => break,
                }
            }
            drop(held);
        }
    }

    /// Makes every request of `bucket` wait until `until` (from `Retry-After`).
    pub(crate) fn pause(&self, bucket: Bucket<'_>, until: Instant) {
        self.budget(bucket).pause(until);
    }
}

async fn sleep_until(at: Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(c: u32, n: u32, window_ms: u64) -> MailboxLimits {
        MailboxLimits {
            max_concurrency: c,
            requests_per_window: n,
            window: Duration::from_millis(window_ms),
        }
    }

    #[tokio::test]
    async fn concurrency_is_capped_per_mailbox_and_mailboxes_are_independent() {
        let l = Limiter::new(limits(2, 100, 1000), MailboxLimits::app_wide());
        let a1 = l.acquire(Bucket::Mailbox("a"), 1).await.unwrap();
        let _a2 = l.acquire(Bucket::Mailbox("A"), 1).await.unwrap();
        // a third on the same mailbox waits…
        let third = tokio::time::timeout(
            Duration::from_millis(50),
            l.acquire(Bucket::Mailbox("a"), 1),
        )
        .await;
        assert!(third.is_err());
        // …another mailbox and the app bucket do not
        let _b = l.acquire(Bucket::Mailbox("b"), 1).await.unwrap();
        let _app = l.acquire(Bucket::App, 1).await.unwrap();
        drop(a1);
        let _a3 = l.acquire(Bucket::Mailbox("a"), 1).await.unwrap();
    }

    #[tokio::test]
    async fn a_full_window_waits_until_the_oldest_completion_is_a_window_old() {
        let l = Limiter::new(limits(4, 2, 200), MailboxLimits::app_wide());
        let start = Instant::now();
        drop(l.acquire(Bucket::Mailbox("a"), 1).await.unwrap());
        drop(l.acquire(Bucket::Mailbox("a"), 1).await.unwrap());
        let _t = l.acquire(Bucket::Mailbox("a"), 1).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn pause_delays_every_request_of_the_bucket_and_no_other() {
        let l = Limiter::new(limits(4, 100, 1000), MailboxLimits::app_wide());
        let start = Instant::now();
        l.pause(Bucket::Mailbox("a"), start + Duration::from_millis(150));
        // a shorter pause does not shorten it
        l.pause(Bucket::Mailbox("a"), start + Duration::from_millis(10));
        let _a = l.acquire(Bucket::Mailbox("a"), 1).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(150));

        l.pause(
            Bucket::Mailbox("a"),
            Instant::now() + Duration::from_secs(3600),
        );
        let other =
            tokio::time::timeout(Duration::from_secs(10), l.acquire(Bucket::Mailbox("b"), 1)).await;
        assert!(other.is_ok(), "another mailbox is not paused");
    }

    #[tokio::test]
    async fn a_batch_takes_one_slot_per_request() {
        let l = Limiter::new(limits(4, 20, 60_000), MailboxLimits::app_wide());
        drop(l.acquire(Bucket::Mailbox("a"), 19).await.unwrap());
        drop(l.acquire(Bucket::Mailbox("a"), 1).await.unwrap());
        let next = tokio::time::timeout(
            Duration::from_millis(50),
            l.acquire(Bucket::Mailbox("a"), 1),
        )
        .await;
        assert!(next.is_err(), "the window of 20 is used up");
    }
}
