//! Pacing: once a store has turned a request away for being one too many (429, or a 503 from
//! the server in front), every later request to that origin waits its turn, a second apart,
//! and no earlier than the store asked. Per-second limits (nginx `limit_req`, CDNs) then let
//! the next requests through instead of refusing them again; stores that never complain are
//! never slowed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use url::Url;

/// How far apart requests to a store that limits them are sent.
pub const SPACING: Duration = Duration::from_secs(1);
/// The longest `Retry-After` woolink waits for before asking again; a store asking for more
/// is reported as limiting requests.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct Pacer {
    /// The earliest time the next request to each origin may go.
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// Waits until a request to `url` may go, when its origin is paced.
    pub async fn wait_turn(&self, url: &Url) {
        let at = {
            let mut next = self.next.lock().expect("pacer lock");
            next.get_mut(&origin(url)).map(|slot| {
                let at = (*slot).max(Instant::now());
                *slot = at + SPACING;
                at
            })
        };
        if let Some(at) = at {
            tokio::time::sleep_until(at).await;
        }
    }

    /// The store at `url` turned a request away: pace its origin from now on, the next request
    /// going no earlier than `wait` from now.
    pub fn slow_down(&self, url: &Url, wait: Duration) {
        let mut next = self.next.lock().expect("pacer lock");
        let earliest = Instant::now() + wait;
        let slot = next.entry(origin(url)).or_insert(earliest);
        *slot = (*slot).max(earliest);
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// How long a store that turned a request away asks to be left alone: its `Retry-After` in
/// seconds or as an HTTP date, else [`SPACING`].
pub fn wait_asked(retry_after: Option<&str>) -> Option<Duration> {
    match retry_after {
        None => Some(SPACING),
        Some(value) => retry_after_wait(value, SystemTime::now()),
    }
}

/// `Retry-After` as a wait from `now`: seconds, or an HTTP date (one already past, as a store
/// with a wrong clock may send, is no wait at all). `None` for anything else.
pub fn retry_after_wait(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_paced_origin_gets_one_request_a_second_and_others_none() {
        let pacer = Pacer::default();
        let shop: Url = "https://shop.example/wp-json/wc/v3/products"
            .parse()
            .unwrap();
        let other: Url = "https://other.example/".parse().unwrap();
        let start = Instant::now();
        pacer.wait_turn(&shop).await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "never limited, never slowed"
        );
        pacer.slow_down(&shop, Duration::from_secs(2));
        pacer.wait_turn(&shop).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        pacer.wait_turn(&shop).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        pacer.wait_turn(&other).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after_wait(" 3 ", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after_wait(&later, now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after_wait(&earlier, now), Some(Duration::ZERO));
        assert_eq!(retry_after_wait("soon", now), None);
        assert_eq!(wait_asked(None), Some(SPACING));
    }
}
