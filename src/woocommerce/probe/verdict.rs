//! What the store's answers mean. Pure functions over status codes, headers and the JSON
//! `code`, never the `message` (stores translate messages). The table they implement is in
//! `docs/woocommerce.md`.

use super::retry_when;
use crate::domain::account::Access;
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
    /// 429: the host, a CDN or a plugin limits how many requests it takes.
    Limited {
        retry_after: Option<String>,
    },
    /// 503 that is not WordPress's JSON: WordPress maintenance mode, or the server in front
    /// while PHP is overwhelmed.
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
    if let Some(wait) = busy(answer) {
        return Some(wait);
    }
    if let Some(found) = challenge(answer) {
        return Some(StoreTrouble::Challenge(found));
    }
    (answer.status >= 500).then_some(StoreTrouble::ServerError {
        status: answer.status,
    })
}

/// A store that turns requests away for now rather than answering them: 429 whoever sends
/// it, or a 503 that is not WordPress's own JSON. Asked again after a wait, such an answer may
/// well be different; it never says anything about a key.
pub fn busy(answer: &Answer) -> Option<StoreTrouble> {
    let retry_after = answer.header("retry-after").map(str::to_owned);
    match answer.status {
        429 => Some(StoreTrouble::Limited { retry_after }),
        503 if error_code(answer).is_none() => Some(StoreTrouble::Unavailable { retry_after }),
        _ => None,
    }
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
    error_field(answer.json().as_ref(), "code")
}

/// The `message` of a WordPress JSON error answer: shown to the user, never branched on.
pub fn error_message(answer: &Answer) -> Option<String> {
    error_field(answer.json().as_ref(), "message")
}

/// A text field (`code`, `message`) of a WordPress JSON error document.
pub fn error_field(document: Option<&serde_json::Value>, field: &str) -> Option<String> {
    document?.get(field)?.as_str().map(ToOwned::to_owned)
}

const AUTH_ERROR: &str = "woocommerce_rest_authentication_error";
const CANNOT_VIEW: &str = "woocommerce_rest_cannot_view";
const NO_ROUTE: &str = "rest_no_route";
/// WooCommerce's answer to an update of a product id that cannot exist, given only after the
/// key's write permission was checked (the fallback write check).
const INVALID_ID: &str = "woocommerce_rest_product_invalid_id";

/// What an authenticated read plus a write check tell together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key authenticated and may read; `write` is what WooCommerce said of writing.
    Granted { write: WriteVerdict },
    /// WooCommerce never judged the key: an unknown or revoked key (WooCommerce ignores it),
    /// or credentials that something on the way hid or refused (a stripped header, plain
    /// permalinks on an old WooCommerce, a proxy hiding https, a plugin that refuses
    /// Authorization headers it does not know). `status` and `code` are what came back.
    NotSeen { status: u16, code: String },
    /// Anything else: the key was seen and refused, or something other than WooCommerce
    /// answered.
    Refused(Refusal),
}

/// What the write check proved, once the read proved the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteVerdict {
    /// WooCommerce passed the key's write permission (and then found no such route or id).
    Allowed,
    /// WooCommerce refused the key's write permission.
    Refused,
    /// Something in front of WooCommerce answered the write check: nothing is known. What
    /// answered, in words.
    Unchecked(String),
}

impl WriteVerdict {
    pub fn access(&self) -> Access {
        match self {
            WriteVerdict::Allowed => Access::ReadWrite,
            WriteVerdict::Refused => Access::Read,
            WriteVerdict::Unchecked(_) => Access::ReadProven,
        }
    }
}

/// What answered the write check instead of WooCommerce, in words: evidence about the path
/// between woolink and WooCommerce, never about a key. Whatever the store said is quoted as
/// one line of visible text.
fn blocked_write(write: &Answer) -> String {
    let visible = |text: &str| crate::domain::text::visible_line(text).into_owned();
    let status = write.status;
    if busy(write).is_some() {
        let when = write
            .header("retry-after")
            .map(|value| format!(", asking to be asked again {}", retry_when(value)))
            .unwrap_or_default();
        return format!(
            "the store is limiting requests: it answered the write check with HTTP {status}{when}"
        );
    }
    let who = match (error_code(write), write.header("server")) {
        (Some(code), _) => format!(
            "with an error of its own (\"{}\"), not WooCommerce's",
            visible(&code)
        ),
        (None, Some(server)) => format!(
            "with a page from the server in front ({}), not WooCommerce's JSON",
            visible(&server.chars().take(40).collect::<String>())
        ),
        (None, None) => "with a page, not WooCommerce's JSON".to_owned(),
    };
    format!(
        "the store answered the write check with HTTP {status} {who} (a firewall or security rule on write requests)"
    )
}

/// Every verdict that neither grants access nor leaves the key unseen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The key is known and the secret does not match it.
    WrongSecret,
    /// The read was refused by WooCommerce's key check (a wrong secret or a key without read
    /// permission: the same code), and no write check reached WooCommerce to tell which.
    ReadRefused,
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

/// Whether `write` is WooCommerce's own word on whether the key may write: its key check
/// refused writing, or passed it and then found no such route (the write check) or no such
/// product (the fallback write check). Anything else came from something in front of it.
pub fn write_is_conclusive(write: &Answer) -> bool {
    woocommerce_write(write).is_some()
}

/// What WooCommerce said of writing, when `write` is its own word (see
/// [`write_is_conclusive`]).
fn woocommerce_write(write: &Answer) -> Option<WriteVerdict> {
    match (write.status, error_code(write).as_deref()) {
        (404, Some(NO_ROUTE)) | (400, Some(INVALID_ID)) => Some(WriteVerdict::Allowed),
        (401, Some(AUTH_ERROR)) => Some(WriteVerdict::Refused),
        _ => None,
    }
}

/// Whether the read answer proved that WooCommerce judged the key (accepted it, or refused
/// it by its key check), so that a write answer can say more.
pub fn key_was_judged(read: &Answer) -> bool {
    is_product_list(read) || (read.status == 401 && error_code(read).as_deref() == Some(AUTH_ERROR))
}

fn is_product_list(read: &Answer) -> bool {
    read.status == 200 && read.json().is_some_and(|body| body.is_array())
}

/// Judges the read (`GET wc/v3/products`) and a write check (`POST` to a route that does not
/// exist, or to a product id that cannot exist). Only WooCommerce's own JSON error codes
/// decide anything about the key: the write answer counts only once the read proved that
/// WooCommerce saw the key (for an anonymous request it is 404 whatever the key), and an
/// answer from something in front (a page, a 406/429/503, another JSON shape) is evidence about
/// the path.
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
    if is_product_list(read) {
        let judged = woocommerce_write(write);
        return Verdict::Granted {
            write: judged.unwrap_or_else(|| WriteVerdict::Unchecked(blocked_write(write))),
        };
    }
    let read_code = error_code(read);
    match (read.status, read_code.as_deref()) {
        (401, Some(AUTH_ERROR)) => Verdict::Refused(match (woocommerce_write(write), oauth) {
            // A write that passed the key check proves the key authenticated (over OAuth too:
            // a refused signature is refused for every route), so the read was refused for
            // lack of read permission.
            (Some(WriteVerdict::Allowed), _) => Refusal::WriteOnly,
            (_, true) => Refusal::OAuthRejected {
                message: error_message(read),
            },
            (Some(WriteVerdict::Refused), _) => Refusal::WrongSecret,
            _ => Refusal::ReadRefused,
        }),
        (403, Some(CANNOT_VIEW)) => Verdict::Refused(Refusal::NoCapability),
        (404, Some(NO_ROUTE)) => Verdict::Refused(Refusal::NoWooCommerce),
        // WooCommerce ignores a key it does not know (401 as if none was sent); any refusal
        // that is not WooCommerce's own came before WooCommerce looked at the key.
        (401, Some(code)) => Verdict::NotSeen {
            status: 401,
            code: code.to_owned(),
        },
        (403, Some(code)) if !code.starts_with("woocommerce_") => Verdict::NotSeen {
            status: 403,
            code: code.to_owned(),
        },
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
            write: match access {
                Access::ReadWrite => WriteVerdict::Allowed,
                _ => WriteVerdict::Refused,
            },
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
                Verdict::NotSeen {
                    status: 401,
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
                Verdict::NotSeen {
                    status: 401,
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
                "write blocked by a firewall rule: nothing known of writing",
                ok.clone(),
                with_header(html(406, None), "server", "Apache"),
                false,
                Verdict::Granted {
                    write: WriteVerdict::Unchecked(
                        "the store answered the write check with HTTP 406 with a page from the server in front (Apache), not WooCommerce's JSON (a firewall or security rule on write requests)".into(),
                    ),
                },
            ),
            (
                "write check rate-limited",
                ok.clone(),
                html(429, None),
                false,
                Verdict::Granted {
                    write: WriteVerdict::Unchecked(
                        "the store is limiting requests: it answered the write check with HTTP 429"
                            .into(),
                    ),
                },
            ),
            (
                "a plugin's own 401 to the write check is not WooCommerce's refusal",
                ok.clone(),
                error(401, "jwt_auth_no_auth_header"),
                false,
                Verdict::Granted {
                    write: WriteVerdict::Unchecked(
                        "the store answered the write check with HTTP 401 with an error of its own (\"jwt_auth_no_auth_header\"), not WooCommerce's (a firewall or security rule on write requests)".into(),
                    ),
                },
            ),
            (
                "fallback write check: an invalid product id for a read/write key",
                ok.clone(),
                error(400, INVALID_ID),
                false,
                granted(Access::ReadWrite),
            ),
            (
                "fallback write check shows a write-only key",
                auth.clone(),
                error(400, INVALID_ID),
                false,
                Verdict::Refused(Refusal::WriteOnly),
            ),
            (
                "a refused read with the write check blocked: wrong secret or no read permission",
                auth.clone(),
                html(406, None),
                false,
                Verdict::Refused(Refusal::ReadRefused),
            ),
            (
                "rate limited read: the path, not the key",
                html(429, None),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Limited {
                    retry_after: None,
                })),
            ),
            (
                "a 503 page from the server in front",
                html(503, None),
                no_route.clone(),
                false,
                Verdict::Refused(Refusal::Trouble(StoreTrouble::Unavailable {
                    retry_after: None,
                })),
            ),
            (
                "a plugin refusing the Authorization header: the key was not seen",
                error(403, "jwt_auth_bad_auth_header"),
                error(403, "jwt_auth_bad_auth_header"),
                false,
                Verdict::NotSeen {
                    status: 403,
                    code: "jwt_auth_bad_auth_header".into(),
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
