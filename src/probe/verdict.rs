//! What the store's answers mean. Pure functions over status codes, headers and the JSON
//! `code`, never the `message` (stores translate messages). The table they implement is in
//! `docs/woocommerce.md`.

use crate::account::Access;
use crate::http::Answer;

/// A firewall or CDN stood between woolink and WordPress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub status: u16,
    /// Who seems to have answered, when a header says so.
    pub vendor: Option<&'static str>,
}

/// Something in front of WooCommerce answered, or the store as a whole cannot answer now.
/// Such answers say nothing about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTrouble {
    Challenge(Challenge),
    /// The web server asks for its own password (HTTP Basic) before WordPress runs.
    SitePassword {
        realm: Option<String>,
    },
    /// 503 with `Retry-After`: WordPress maintenance mode, or a host's own.
    Unavailable {
        retry_after: Option<String>,
    },
    /// A server error: a PHP fatal error answers 500 `internal_server_error`.
    ServerError {
        status: u16,
    },
    /// A cache answered in WooCommerce's place (the header that says so): the answer was made
    /// for some earlier request, not for this key.
    Cached {
        header: String,
    },
}

/// Recognises an answer that did not come from a working WordPress, whatever was asked.
pub fn store_trouble(answer: &Answer) -> Option<StoreTrouble> {
    if answer.status == 401
        && error_code(answer).is_none()
        && let Some(realm) = basic_realm(answer)
    {
        return Some(StoreTrouble::SitePassword { realm });
    }
    let vendor_challenge = challenge(answer).filter(|found| found.vendor.is_some());
    if let Some(found) = vendor_challenge {
        return Some(StoreTrouble::Challenge(found));
    }
    let retry_after = answer.header("retry-after").map(str::to_owned);
    if answer.status == 503 && retry_after.is_some() {
        return Some(StoreTrouble::Unavailable { retry_after });
    }
    if let Some(found) = challenge(answer) {
        return Some(StoreTrouble::Challenge(found));
    }
    (answer.status >= 500).then_some(StoreTrouble::ServerError {
        status: answer.status,
    })
}

/// Whether a cache served `answer` rather than the store: `Age` above 0, or a cache-status
/// header (`X-Cache`, `CF-Cache-Status`, `X-LiteSpeed-Cache`, ...) saying HIT. Returns the
/// header as it came, for the message.
pub fn cache_hit(answer: &Answer) -> Option<String> {
    answer.headers.iter().find_map(|(name, value)| {
        let value = value.to_str().ok()?.trim();
        let hit = match name.as_str() {
            "age" => value.parse::<u64>().is_ok_and(|age| age > 0),
            "cache-control" => false,
            other => {
                other.contains("cache")
                    && value
                        .get(..3)
                        .is_some_and(|v| v.eq_ignore_ascii_case("hit"))
            }
        };
        hit.then(|| {
            let shown: String = value.chars().take(40).collect();
            format!("{}: {shown}", name.as_str())
        })
    })
}

/// The realm of a `WWW-Authenticate: Basic realm="..."` header: `Some(None)` for Basic
/// without a realm, `None` when the answer does not ask for Basic at all.
fn basic_realm(answer: &Answer) -> Option<Option<String>> {
    answer
        .headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| {
            value
                .trim_start()
                .get(..5)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic"))
        })
        .map(|value| {
            let lower = value.to_ascii_lowercase();
            let start = lower.find("realm=")? + "realm=".len();
            let realm = value[start..].trim_start_matches('"');
            let end = realm.find('"').unwrap_or(realm.len());
            Some(realm[..end].to_owned()).filter(|realm| !realm.is_empty())
        })
}

/// Recognises a firewall/CDN answer: a challenge header, or an HTML error page where a
/// WordPress JSON answer was expected.
pub fn challenge(answer: &Answer) -> Option<Challenge> {
    let vendor = if answer.header("cf-mitigated").is_some() {
        Some("Cloudflare")
    } else if answer.header("sg-captcha").is_some() {
        Some("SiteGround")
    } else {
        None
    };
    let firewall_status = matches!(answer.status, 403 | 406 | 429 | 503);
    (vendor.is_some() || (firewall_status && !answer.is_json())).then_some(Challenge {
        status: answer.status,
        vendor,
    })
}

/// The `code` of a WordPress JSON error answer.
pub fn error_code(answer: &Answer) -> Option<String> {
    answer.json()?.get("code")?.as_str().map(ToOwned::to_owned)
}

/// The `message` of a WordPress JSON error answer: shown to the user, never branched on.
pub fn error_message(answer: &Answer) -> Option<String> {
    answer
        .json()?
        .get("message")?
        .as_str()
        .map(ToOwned::to_owned)
}

const AUTH_ERROR: &str = "woocommerce_rest_authentication_error";
const CANNOT_VIEW: &str = "woocommerce_rest_cannot_view";
const NO_ROUTE: &str = "rest_no_route";

/// What an authenticated read plus a write to a route that does not exist tell together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key authenticated. `write_unclear` holds the status when the write check got an
    /// answer that proves nothing (then only read is claimed).
    Granted {
        access: Access,
        write_unclear: Option<u16>,
    },
    /// The store saw no credentials: unknown or revoked key, or credentials that never
    /// reached WordPress (header stripped, plain permalinks on an old WooCommerce, proxy).
    /// `code` is the error code the store gave.
    Anonymous { code: String },
    /// Anything else: the key was seen and refused, or something other than WooCommerce
    /// answered.
    Refused(Refusal),
}

/// Every verdict that neither grants access nor leaves the key unseen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The key is known and the secret does not match it.
    WrongSecret,
    /// An OAuth 1.0a request was refused (unknown key, wrong secret, clock or nonce).
    OAuthRejected { message: Option<String> },
    /// The key has write but no read permission.
    WriteOnly,
    /// The key authenticated but its WordPress user may not view the shop's data.
    NoCapability,
    /// WooCommerce's REST API is not there.
    NoWooCommerce,
    /// Something in front of WooCommerce answered instead.
    Trouble(StoreTrouble),
    /// The API answered with a redirect; credentials are never sent after one.
    Redirected { location: Option<String> },
    /// Anything else: an answer that is not WooCommerce's.
    Unexpected { status: u16, json: bool },
}

/// Judges the read (`GET wc/v3/products`) and write (`POST` to a route that does not exist)
/// answers. The write answer only counts once the read proved that the key was seen: for an
/// anonymous request it is 404 whatever the key.
pub fn judge(read: &Answer, write: &Answer, oauth: bool) -> Verdict {
    if let Some(trouble) = store_trouble(read) {
        return Verdict::Refused(Refusal::Trouble(trouble));
    }
    // The read is unique to this probe, so a copy from a cache (one that ignores the query
    // string) belongs to someone else's request and proves nothing about this key.
    if let Some(header) = cache_hit(read) {
        return Verdict::Refused(Refusal::Trouble(StoreTrouble::Cached { header }));
    }
    if read.is_redirect() {
        return Verdict::Refused(Refusal::Redirected {
            location: read.header("location").map(ToOwned::to_owned),
        });
    }
    let read_code = error_code(read);
    match (read.status, read_code.as_deref()) {
        (200, _) if read.json().is_some_and(|body| body.is_array()) => granted(write),
        // A write that reached the route check proves the key authenticated (over OAuth too:
        // a refused signature is refused for every route), so the read was refused for lack
        // of read permission.
        (401, Some(AUTH_ERROR)) if is_no_route(write) => Verdict::Refused(Refusal::WriteOnly),
        (401, Some(AUTH_ERROR)) if oauth => Verdict::Refused(Refusal::OAuthRejected {
            message: error_message(read),
        }),
        (401, Some(AUTH_ERROR)) => Verdict::Refused(Refusal::WrongSecret),
        (401, Some(code)) => Verdict::Anonymous {
            code: code.to_owned(),
        },
        (403, Some(CANNOT_VIEW)) => Verdict::Refused(Refusal::NoCapability),
        (404, Some(NO_ROUTE)) => Verdict::Refused(Refusal::NoWooCommerce),
        // Labelled JSON but not parseable counts as not JSON: that is what the user must hear.
        (status, _) => Verdict::Refused(Refusal::Unexpected {
            status,
            json: read.json().is_some(),
        }),
    }
}

impl Verdict {
    /// Whether the answers came from somewhere that may not be the store's API at all (a page,
    /// a redirect, WordPress without WooCommerce at that address): then the store must be
    /// found before anything is concluded.
    pub fn needs_discovery(&self) -> bool {
        matches!(
            self,
            Verdict::Refused(
                Refusal::NoWooCommerce | Refusal::Redirected { .. } | Refusal::Unexpected { .. }
            )
        )
    }
}

fn is_no_route(answer: &Answer) -> bool {
    answer.status == 404 && error_code(answer).as_deref() == Some(NO_ROUTE)
}

fn granted(write: &Answer) -> Verdict {
    let (access, write_unclear) = match (write.status, error_code(write).as_deref()) {
        (404, Some(NO_ROUTE)) => (Access::ReadWrite, None),
        (401, Some(AUTH_ERROR)) => (Access::Read, None),
        (status, _) => (Access::Read, Some(status)),
    };
    Verdict::Granted {
        access,
        write_unclear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

    fn json(status: u16, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        Answer {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn error(status: u16, code: &str) -> Answer {
        json(
            status,
            &format!(r#"{{"code":"{code}","message":"translated","data":{{"status":{status}}}}}"#),
        )
    }

    fn html(status: u16, header: Option<(&'static str, &'static str)>) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        if let Some((name, value)) = header {
            headers.insert(name, HeaderValue::from_static(value));
        }
        Answer {
            status,
            headers,
            body: b"<html>challenge</html>".to_vec(),
        }
    }

    fn with_header(mut answer: Answer, name: &'static str, value: &'static str) -> Answer {
        answer.headers.insert(name, HeaderValue::from_static(value));
        answer
    }

    /// One row per line of the facts table, plus the answers no WooCommerce gives.
    #[test]
    fn judges_every_row_of_the_facts_table() {
        let ok = json(200, r#"[{"id":1}]"#);
        let no_route = error(404, NO_ROUTE);
        let auth = error(401, AUTH_ERROR);
        let cannot_view_401 = error(401, CANNOT_VIEW);
        let cannot_view_403 = error(403, CANNOT_VIEW);
        let granted = |access| Verdict::Granted {
            access,
            write_unclear: None,
        };
        let cases: Vec<(&str, Answer, Answer, bool, Verdict)> = vec![
            (
                "read key",
                ok.clone(),
                auth.clone(),
                false,
                granted(Access::Read),
            ),
            (
                "read_write key",
                ok.clone(),
                no_route.clone(),
                false,
                granted(Access::ReadWrite),
            ),
            (
                "write-only key",
                auth.clone(),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::WriteOnly),
            ),
            (
                "wrong secret",
                auth.clone(),
                auth.clone(),
                false,
                Verdict::Refused(Refusal::WrongSecret),
            ),
            (
                "unknown key: the 404 write answer must not count",
                cannot_view_401.clone(),
                no_route.clone(),
                false,
                Verdict::Anonymous {
                    code: CANNOT_VIEW.into(),
                },
            ),
            (
                "user lacks capability",
                cannot_view_403,
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::NoCapability),
            ),
            (
                "REST closed by a plugin, key not seen",
                error(401, "rest_not_logged_in"),
                no_route.clone(),
                false,
                Verdict::Anonymous {
                    code: "rest_not_logged_in".into(),
                },
            ),
            (
                "WooCommerce inactive",
                no_route.clone(),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::NoWooCommerce),
            ),
            (
                "OAuth refused",
                auth.clone(),
                auth.clone(),
                true,
                Verdict::Refused(Refusal::OAuthRejected {
                    message: Some("translated".into()),
                }),
            ),
            (
                "OAuth read key",
                ok.clone(),
                auth.clone(),
                true,
                granted(Access::Read),
            ),
            (
                "OAuth write-only key",
                auth.clone(),
                no_route.clone(),
                true,
                Verdict::Refused(Refusal::WriteOnly),
            ),
            (
                "Cloudflare challenge",
                html(403, Some(("cf-mitigated", "challenge"))),
                html(403, None),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Challenge(Challenge {
                    status: 403,
                    vendor: Some("Cloudflare"),
                }))),
            ),
            (
                "SiteGround captcha with 202",
                html(202, Some(("sg-captcha", "challenge"))),
                html(202, None),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Challenge(Challenge {
                    status: 202,
                    vendor: Some("SiteGround"),
                }))),
            ),
            (
                "HTML 200 where JSON was expected",
                html(200, None),
                html(200, None),
                false,
                Verdict::Refused(Refusal::Unexpected {
                    status: 200,
                    json: false,
                }),
            ),
            (
                "a JSON object where the product list was expected",
                json(200, "{}"),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::Unexpected {
                    status: 200,
                    json: true,
                }),
            ),
            (
                "PHP fatal error",
                error(500, "internal_server_error"),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::ServerError { status: 500 })),
            ),
            (
                "maintenance mode",
                with_header(html(503, None), "retry-after", "600"),
                html(503, None),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Unavailable {
                    retry_after: Some("600".into()),
                })),
            ),
            (
                "a cached product list (a CDN that ignores the query string)",
                with_header(ok.clone(), "cf-cache-status", "HIT"),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Cached {
                    header: "cf-cache-status: HIT".into(),
                })),
            ),
            (
                "an old copy by its age",
                with_header(cannot_view_401.clone(), "age", "120"),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Cached {
                    header: "age: 120".into(),
                })),
            ),
            (
                "a fresh answer that merely mentions caching",
                with_header(ok.clone(), "cache-control", "no-cache, must-revalidate"),
                no_route.clone(),
                false,
                granted(Access::ReadWrite),
            ),
            (
                "the web server's own password",
                with_header(
                    html(401, None),
                    "www-authenticate",
                    "Basic realm=\"Staging area\"",
                ),
                html(401, None),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::SitePassword {
                    realm: Some("Staging area".into()),
                })),
            ),
            (
                "write blocked by a firewall rule",
                ok.clone(),
                html(405, None),
                false,
                Verdict::Granted {
                    access: Access::Read,
                    write_unclear: Some(405),
                },
            ),
        ];
        for (name, read, write, oauth, expected) in cases {
            assert_eq!(judge(&read, &write, oauth), expected, "{name}");
        }
    }

    #[test]
    fn redirects_are_never_followed_with_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "location",
            HeaderValue::from_static("https://other.example/"),
        );
        let redirect = Answer {
            status: 301,
            headers,
            body: Vec::new(),
        };
        assert_eq!(
            judge(&redirect, &redirect, false),
            Verdict::Refused(Refusal::Redirected {
                location: Some("https://other.example/".into())
            })
        );
    }
}
