//! The probe: proves against the live store that a key authenticates and what it may do.
//!
//! It costs one round of two requests on a well-configured store: an authenticated read and a
//! write to a route that does not exist, sent at once to where the API usually is, at the
//! address the user named. PHP workers are few on real hosting, so nothing else is asked when
//! these answers are conclusive. Only when they are not (the API is elsewhere, a redirect,
//! a page where JSON was expected) is the store found without credentials (REST index first,
//! front page headers last), and the pair sent to the API found, on the same site only.
//! Where the key was not seen at all, other ways of sending it are tried, and the evidence
//! decides between an unknown key and a store that hides the key from WooCommerce.
//! The probe prints nothing and prompts for nothing.

mod discover;
mod error;
pub mod root;
mod unseen;
pub mod verdict;

use reqwest::Method;

use discover::discover;
pub use discover::{IndexState, Site};
pub use error::{ProbeError, retry_when};
pub use root::ApiRoot;
use verdict::{Refusal, Verdict, WriteVerdict, judge};

use crate::domain::account::{Access, AuthMethod};
use crate::domain::keys::{Credentials, SiteLogin};
use crate::domain::redact::DisplaySafeUrl;
use crate::domain::store_url::StoreUrl;
use crate::http::{Answer, HttpClient, MAX_BODY, Request, TransportError, pace};

/// The read check: the cheapest request that needs read permission and shop capability.
const READ_ROUTE: &str = "wc/v3/products";
/// The write check: a write method to a route that does not exist changes nothing on the
/// store; the key's write permission is judged before WordPress looks for the route.
const WRITE_ROUTE: &str = "wc/v3/woolink-write-check";
/// The fallback write check, for stores whose firewall refuses writes to routes it does not
/// know: an update of a product id that cannot exist on a collection every firewall lets
/// through. WooCommerce checks the key's write permission first, then refuses the id (400
/// `woocommerce_rest_product_invalid_id`) before anything is written.
const FALLBACK_WRITE_ROUTE: &str = "wc/v3/products/0";
/// A store limiting requests is asked again this often at most, and for no more than
/// [`PATIENCE`] of waiting in all.
const TRIES: usize = 4;
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(6);

/// The read check's query: one product, its id only, and a value no other request has, so that
/// no cache in front can answer it with a copy made for someone else (WordPress ignores
/// parameters a route does not know).
fn read_query(unique: &str) -> [(&'static str, &str); 3] {
    [("per_page", "1"), ("_fields", "id"), ("woolink", unique)]
}

/// 64 random bits in hex.
fn unique() -> String {
    crate::domain::account::random_hex::<8>()
}

/// Whether plain http may carry a linked account's key (verify, rotate): an account that signs
/// with OAuth 1.0a over http was linked that way on purpose.
pub fn http_allowed_for(account: &crate::domain::account::Account) -> bool {
    account.auth_method == AuthMethod::OAuth1
}

/// What the probe proved, and the site it proved it at (the store's canonical address, which
/// may differ from what was typed, and its API root).
#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub site: Site,
    /// What the write check proved, and so what the key may do.
    pub write: WriteVerdict,
    pub auth_method: AuthMethod,
    /// Things the user should know although the key works.
    pub notes: Vec<String>,
}

impl ProbeReport {
    pub fn access(&self) -> Access {
        self.write.access()
    }
}

/// The WooCommerce REST API keys page of a store.
pub fn keys_admin_url(store: impl std::fmt::Display) -> String {
    format!("{store}/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys")
}

/// The page that opens WooCommerce's "Add key" form directly.
pub fn new_key_admin_url(store: impl std::fmt::Display) -> String {
    format!("{}&create-key=1", keys_admin_url(store))
}

/// A step the probe has passed, for showing progress as it happens. The probe itself prints
/// nothing; [`probe`] hands each step to its caller.
#[derive(Debug, Clone, Copy)]
pub enum ProbeStep<'a> {
    /// The store answered and is WordPress, at this site (its canonical address).
    Reached(&'a Site),
    /// WooCommerce's `wc/v3` REST API is there.
    WooCommerceFound,
    /// The store accepted the key, sent this way.
    KeyAccepted { auth_method: AuthMethod },
    /// What the key may do.
    AccessDecided { access: Access },
}

/// Finds the store at `typed` without sending any credential: where its API is, its home and
/// name. For a person at a terminal, before the key is typed. The site found may be at
/// another address ([`crate::domain::same_site::store`] tells); nothing is sent there until the person agrees.
pub async fn look_up(
    http: &HttpClient,
    typed: &StoreUrl,
    site_login: Option<&SiteLogin>,
) -> Result<Site, ProbeError> {
    let finding = async { discover(http, typed, site_login).await?.with_woocommerce() };
    within(http, typed, finding).await
}

/// Proves `credentials` against the store at `typed`, calling `observe` at each step boundary
/// as it is passed. `allow_http`: plain http to a host that is not loopback (OAuth 1.0a
/// signatures only). `found` is where the store's API is already known to be: as [`look_up`] found it (at an address the person
/// agreed to) or as an account keeps it. Should it no longer answer there, the store is found
/// again.
pub async fn probe(
    http: &HttpClient,
    typed: &StoreUrl,
    credentials: &Credentials,
    allow_http: bool,
    found: Option<&Site>,
    observe: &impl Fn(ProbeStep),
) -> Result<ProbeReport, ProbeError> {
    let probing = async {
        // Round one: the key goes straight to where the API is known to be (looked up, or kept
        // with the account) or usually is, at the address the user named.
        let start = found.cloned().unwrap_or_else(|| Site::guessed(typed));
        let mut first = None;
        if let Ok(auth) = auth_method(&start.store, allow_http, credentials) {
            let answers = check(http, &start, credentials, auth).await?;
            if conclusive(&answers, auth) {
                return conclude(http, &start, credentials, auth, answers, observe).await;
            }
            // The first answer often names where the API is (WordPress's Link header on its own
            // 404 page, a redirect to the canonical address): round two goes straight there.
            if let Some(named) = named_site(typed, &start, &answers.0)
                && let Ok(auth) = auth_method(&named.store, allow_http, credentials)
            {
                let answers = check(http, &named, credentials, auth).await?;
                if conclusive(&answers, auth) {
                    return conclude(http, &named, credentials, auth, answers, observe).await;
                }
            }
            first = Some((auth, answers));
        }

        // The API is not where it usually is: find the store, without credentials.
        let site = discover(http, typed, credentials.site.as_ref()).await?;
        site.named_by(typed)?;
        let site = site.with_woocommerce()?;
        let auth = auth_method(&site.store, allow_http, credentials)?;
        let answers = match first {
            // Discovery found the API where the key already went: its answers stand.
            Some((first_auth, answers)) if site.root == start.root && first_auth == auth => answers,
            _ => check(http, &site, credentials, auth).await?,
        };
        conclude(http, &site, credentials, auth, answers, observe).await
    };
    within(http, typed, probing).await
}

/// `work`, or [`ProbeError::Timeout`] once the time one request may take has passed: one
/// limit for every request it makes.
async fn within<T>(
    http: &HttpClient,
    typed: &StoreUrl,
    work: impl Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    tokio::time::timeout(http.time_limit(), work)
        .await
        .unwrap_or_else(|_| {
            Err(ProbeError::Timeout {
                store: typed.shown(),
            })
        })
}

/// Whether the answers are WooCommerce's at this address, so no discovery is needed.
fn conclusive((read, write): &(Answer, Answer), auth: AuthMethod) -> bool {
    !judge(read, write, auth == AuthMethod::OAuth1).needs_discovery()
}

/// Where the answer to the read check says the API is, when that is somewhere else on the
/// site the user named: the REST root in WordPress's `Link` header, or the root a redirect
/// of the read check moves to.
fn named_site(typed: &StoreUrl, start: &Site, read: &Answer) -> Option<Site> {
    let root = match root::api_root_from_links(&read.headers, start.root.url()) {
        Some(root) => root,
        None => {
            let location = read.header("location").filter(|_| read.is_redirect())?;
            let mut moved = start.root.url().join(location).ok()?;
            let path = moved.path().trim_end_matches('/');
            let root_path = path.strip_suffix(READ_ROUTE)?.to_owned();
            moved.set_path(&root_path);
            moved.set_query(None);
            ApiRoot::new(moved)?
        }
    };
    let store = StoreUrl::from_url(&root.store_base()).ok()?;
    (root != start.root && crate::domain::same_site::store(typed.as_url(), store.as_url()))
        .then(|| Site::known(store, root))
}

/// Basic over https (the query string when Basic carries the web server's own password);
/// OAuth 1.0a over http, where it is allowed at all. Also how credentials from the environment
/// are sent, which are never probed.
pub fn auth_method(
    store: &StoreUrl,
    allow_http: bool,
    credentials: &Credentials,
) -> Result<AuthMethod, ProbeError> {
    if store.is_https() && credentials.site.is_some() {
        Ok(AuthMethod::QueryString)
    } else if store.is_https() {
        Ok(AuthMethod::Basic)
    } else if store.is_loopback() || allow_http {
        Ok(AuthMethod::OAuth1)
    } else {
        Err(ProbeError::PlainHttpRefused {
            store: store.shown(),
        })
    }
}

/// The authenticated read and the write check, sent together. When the key was judged and
/// something in front of WooCommerce answered the write check, the fallback write check
/// follows: its answer stands when it is WooCommerce's, else the first one does.
async fn check(
    http: &HttpClient,
    site: &Site,
    credentials: &Credentials,
    auth: AuthMethod,
) -> Result<(Answer, Answer), ProbeError> {
    let failed = |cause| ProbeError::transport(site.store.shown(), cause);
    let send = |method: Method, route: &str, query: &[(&str, &str)], body| {
        let url = site.root.route(route, query);
        patiently(http, body, move || {
            root::authenticated(method.clone(), url.clone(), credentials, auth)
        })
    };
    let (read, write) = tokio::join!(
        send(Method::GET, READ_ROUTE, &read_query(&unique()), None),
        send(Method::POST, WRITE_ROUTE, &[], None),
    );
    let (read, write) = (read.map_err(failed)?, write.map_err(failed)?);
    if !verdict::key_was_judged(&read) || verdict::write_is_conclusive(&write) {
        return Ok((read, write));
    }
    let fallback = send(Method::POST, FALLBACK_WRITE_ROUTE, &[], Some(b"{}"))
        .await
        .map_err(failed)?;
    Ok(if verdict::write_is_conclusive(&fallback) {
        (read, fallback)
    } else {
        (read, write)
    })
}

/// Sends one check, and again while the store turns it away for being one request too many
/// (429, or a 503 from the server in front), as long as the wait it asks for is short: the
/// HTTP client spaces the requests from then on. The last answer stands.
async fn patiently<'a>(
    http: &HttpClient,
    body: Option<&[u8]>,
    request: impl Fn() -> Request<'a>,
) -> Result<Answer, TransportError> {
    let mut waited = std::time::Duration::ZERO;
    for _ in 1..TRIES {
        let answer = http
            .send(request(), body.map(<[u8]>::to_vec), MAX_BODY)
            .await?;
        let wait = verdict::busy(&answer)
            .and_then(|_| pace::wait_asked(answer.header("retry-after")))
            .filter(|wait| *wait <= pace::MAX_WAIT)
            .map(|wait| wait.max(pace::SPACING));
        match wait {
            Some(wait) if waited + wait <= PATIENCE => waited += wait,
            _ => return Ok(answer),
        }
    }
    http.send(request(), body.map(<[u8]>::to_vec), MAX_BODY)
        .await
}

/// Turns the two answers into a report or the error that explains them.
async fn conclude(
    http: &HttpClient,
    site: &Site,
    credentials: &Credentials,
    mut auth: AuthMethod,
    (read, write): (Answer, Answer),
    observe: &impl Fn(ProbeStep),
) -> Result<ProbeReport, ProbeError> {
    let mut notes: Vec<String> = read
        .junk()
        .or_else(|| write.junk())
        .map(|junk| junk.note(credentials))
        .into_iter()
        .collect();
    let mut verdict = judge(&read, &write, auth == AuthMethod::OAuth1);
    if let Verdict::NotSeen { status, code } = &verdict
        && auth == AuthMethod::Basic
    {
        // Some servers drop the Authorization header before PHP sees it, and some plugins
        // refuse every header they do not know: the same credentials in the query string
        // then work. Only then are they sent that way.
        let why = if *status == 403 {
            plugin_owns_header(code)
        } else {
            HEADER_STRIPPED.to_owned()
        };
        let answers = check(http, site, credentials, AuthMethod::QueryString).await?;
        let refused_on_the_way = *status == 403;
        let retried = judge(&answers.0, &answers.1, false);
        // Any answer but "not seen" proves the key reached WooCommerce this way, so it is the
        // one to judge: a wrong secret or a write-only key is named as such. Where a plugin
        // refused the header, what the query string met says more than that refusal.
        let seen = !matches!(retried, Verdict::NotSeen { .. });
        if seen || refused_on_the_way {
            if seen {
                auth = AuthMethod::QueryString;
            }
            if matches!(retried, Verdict::Granted { .. }) {
                notes.push(why);
            }
            verdict = retried;
        }
    }

    // A cache or an odd answer to the key check still means the store was reached: what
    // failed is the key check, and the person must see that step fail, not "Reaching".
    if woocommerce_answered(&verdict) || answered_key_check_oddly(&verdict) {
        observe(ProbeStep::Reached(site));
    }
    if woocommerce_answered(&verdict) && verdict != Verdict::Refused(Refusal::NoWooCommerce) {
        observe(ProbeStep::WooCommerceFound);
    }
    // What to do next is done in the store's admin: where it is, the index says.
    let indexed = || site.clone().with_index(http, credentials.site.as_ref());
    let write = match verdict {
        Verdict::Granted { write } => write,
        Verdict::NotSeen { status, code } => {
            let site = indexed().await;
            return Err(unseen::key_not_seen(http, &site, credentials, status, &code).await);
        }
        Verdict::Refused(refused) => return Err(refusal(&indexed().await, credentials, refused)),
    };
    if let WriteVerdict::Unchecked(blocked) = &write {
        notes.push(format!(
            "Write access was not checked: {blocked}. The key reads; whether it may also write is not known. To check it, let POST requests to {} through (for example a firewall rule that allows /wp-json/wc/), then run `woolink accounts verify`.",
            site.root.route(FALLBACK_WRITE_ROUTE, &[]).path()
        ));
    }
    observe(ProbeStep::KeyAccepted { auth_method: auth });
    let access = write.access();
    observe(ProbeStep::AccessDecided { access });
    // Known only when the store was looked up: a conclusive first round never asks the index,
    // and the fast path gets no extra request just for this note.
    if let IndexState::Closed { code } = &site.index {
        notes.push(format!(
            "The store's REST index is closed to anonymous requests ({}), probably by a security plugin; the key works all the same.",
            crate::domain::text::visible_line(code)
        ));
    }
    Ok(ProbeReport {
        site: site.clone(),
        write,
        auth_method: auth,
        notes,
    })
}

/// The note when the key only reached WooCommerce in the query string.
const HEADER_STRIPPED: &str = "The web server removes the Authorization header before WordPress sees it, so woolink sends the key in the query string; it then appears in the store's access logs. To fix the server: on Apache add `CGIPassAuth On` (or a rewrite rule passing HTTP_AUTHORIZATION) to .htaccess.";

/// The note when a plugin refused the key in the Authorization header and it worked in the
/// query string.
fn plugin_owns_header(code: &str) -> String {
    format!(
        "A plugin on the store refuses requests whose Authorization header it does not understand (it answered HTTP 403 \"{}\", not WooCommerce), so woolink sends the key in the query string; it then appears in the store's access logs. A JWT or security plugin's settings may let HTTP Basic through to WooCommerce.",
        crate::domain::text::visible_line(code)
    )
}

/// Whether WooCommerce itself answered (the store was reached, whatever it says of the key),
/// not something in front of it.
fn woocommerce_answered(verdict: &Verdict) -> bool {
    !matches!(
        verdict,
        Verdict::Refused(
            Refusal::Trouble(_) | Refusal::Redirected { .. } | Refusal::Unexpected { .. }
        )
    )
}

/// Whether the key check was answered, but not as WooCommerce answers: from a cache, or with
/// an answer WooCommerce never gives.
fn answered_key_check_oddly(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::Refused(
            Refusal::Trouble(verdict::StoreTrouble::Cached { .. }) | Refusal::Unexpected { .. }
        )
    )
}

/// What a refusal tells the user. Pure; whatever the store said is quoted as one line of
/// visible text.
fn refusal(site: &Site, credentials: &Credentials, refused: Refusal) -> ProbeError {
    let store = site.store.shown();
    let key = credentials.key.clone();
    let admin = keys_admin_url(site.admin());
    match refused {
        Refusal::WrongSecret => ProbeError::WrongSecret { store, key, admin },
        Refusal::ReadRefused => ProbeError::ReadRefused { store, key, admin },
        Refusal::OAuthRejected { message } => ProbeError::OauthRejected {
            store,
            key,
            admin,
            message: crate::domain::text::visible_line(&message.unwrap_or_default()).into_owned(),
        },
        Refusal::WriteOnly => ProbeError::WriteOnlyKey { key, admin },
        Refusal::NoCapability => ProbeError::UserLacksCapability { key, admin },
        Refusal::NoWooCommerce => ProbeError::NoWoocommerce { store },
        Refusal::Trouble(trouble) => {
            ProbeError::from_trouble(store, trouble, credentials.site.is_some())
        }
        Refusal::Redirected { location } => ProbeError::ApiRedirected {
            store,
            location: location
                .map(|location| {
                    crate::domain::text::visible_line(&DisplaySafeUrl::shown(&location).to_string())
                        .into_owned()
                })
                .unwrap_or_else(|| "another address".to_owned()),
        },
        Refusal::Unexpected { status, json } => ProbeError::UnexpectedAnswer {
            store,
            status,
            json,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    fn credentials() -> Credentials {
        Credentials {
            key: crate::domain::keys::ConsumerKey::parse(
                "ck_0123456789abcdef0123456789abcdef01234567",
            )
            .unwrap(),
            secret: crate::domain::keys::ConsumerSecret::parse(
                "cs_89abcdef0123456789abcdef0123456789abcdef",
            )
            .unwrap(),
            site: None,
        }
    }

    /// An answer a hostile store could send: a status, some of the headers the probe reads,
    /// and a body that is often JSON with text full of control characters.
    fn answer() -> impl Strategy<Value = Answer> {
        let names = prop::sample::select(vec![
            "content-type",
            "location",
            "retry-after",
            "www-authenticate",
            "cf-mitigated",
            "x-cache",
            "age",
            "link",
        ]);
        let header = (names, "[ -~\t]{0,40}");
        let text = "\\PC{0,20}|[\x00-\x1f\x7f\u{80}-\u{9f}a-z]{0,20}";
        let body = prop_oneof![
            (text, text).prop_map(|(code, message)| {
                serde_json::json!({ "code": code, "message": message, "data": { "status": 401 } })
                    .to_string()
                    .into_bytes()
            }),
            proptest::collection::vec(any::<u8>(), 0..200),
            (text).prop_map(|junk| format!("{junk}[{{\"id\":1}}]").into_bytes()),
        ];
        (
            prop::sample::select(vec![
                200u16, 201, 202, 301, 302, 401, 403, 404, 405, 429, 500, 502, 503,
            ]),
            proptest::collection::vec(header, 0..4),
            body,
        )
            .prop_map(|(status, headers, body)| {
                let mut map = HeaderMap::new();
                map.insert("content-type", HeaderValue::from_static("application/json"));
                for (name, value) in headers {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        map.append(HeaderName::from_static(name), value);
                    }
                }
                Answer {
                    status,
                    headers: map,
                    body,
                }
            })
    }

    proptest! {
        /// Whatever the store answers, what woolink says of it names no control character
        /// that could drive the terminal, and any note about junk is one clean line.
        #[test]
        fn no_answer_puts_a_control_character_in_a_message(read in answer(), write in answer(), oauth in any::<bool>()) {
            let site = Site::guessed(&"https://shop.example".parse().unwrap());
            let verdict = judge(&read, &write, oauth);
            let message = match verdict {
                Verdict::Granted { .. } => String::new(),
                Verdict::NotSeen { code, .. } => crate::domain::text::visible_line(&code).into_owned(),
                Verdict::Refused(refused) => refusal(&site, &credentials(), refused).to_string(),
            };
            prop_assert!(!message.chars().any(char::is_control), "{message:?}");
            if let Some(junk) = read.junk() {
                let note = junk.note(&credentials());
                prop_assert!(!note.chars().any(char::is_control), "{note:?}");
            }
        }
    }
}
