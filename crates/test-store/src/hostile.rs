//! Hostile stores: answers that start like WordPress's and then go wrong in delivery (endless,
//! dripping, huge headers, cut off) or in content (invalid JSON, JSON of the wrong shape).
//! Each mode rewrites the answer `wp` would have given, so everything else stays realistic.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Bytes;
use tokio::sync::mpsc;

use super::{Answer, Req, StoreBody};

/// How the store misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// The real answer, then spaces forever (64 KiB chunks) until the client hangs up.
    EndlessBody,
    /// The real answer, then spaces forever, one byte per `every`.
    SlowDrip { every: Duration },
    /// The real answer with an extra header of this many bytes.
    HugeHeaders { bytes: usize },
    /// JSON answers cut in half, still labelled JSON.
    InvalidJson,
    /// JSON answers of the wrong shape: an array becomes `{"data": [...]}`, an object `[{...}]`.
    WrongShapeJson,
    /// The headers promise the whole body; half of it comes, then the connection closes.
    CloseMidResponse,
    /// JSON answers followed by a PHP notice printed after WordPress sent its JSON (the classic
    /// `ob_end_flush()` one at shutdown), Content-Length counting it.
    NoticeAfterJson,
    /// JSON answers whose Content-Length counts only half the body: a client reads half.
    ShortContentLength,
    /// JSON answers with a byte that is not UTF-8 (0xFF) in the first product's name.
    InvalidUtf8,
    /// JSON answers whose product names hold DEL and C1 control characters (U+007F raw,
    /// U+0085 as `\u0085`, as PHP's `json_encode` writes them): "Hoodie" is sent as
    /// "Hoo\u{7f}die\u{85}".
    ControlCharacters,
    /// Product lists whose last page links back to the first with `rel="next"`.
    NextLinkLoops,
}

/// Which answers misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostileScope {
    /// Every answer, the home page included.
    Everything,
    /// The REST index only (`/wp-json/` or `rest_route=/`).
    RestIndex,
    /// The product list only (the probe's authenticated read).
    Products,
    /// The product list's pages after the first (`page=2` and on).
    LaterPages,
}

fn in_scope(scope: HostileScope, r: &Req) -> bool {
    let route = r.query_param("rest_route").or_else(|| {
        r.path
            .split_once("/wp-json")
            .map(|(_, route)| route.to_owned())
    });
    match scope {
        HostileScope::Everything => true,
        HostileScope::RestIndex => route.is_some_and(|route| matches!(route.as_str(), "" | "/")),
        HostileScope::Products => route.is_some_and(|route| route.starts_with("/wc/v3/products")),
        HostileScope::LaterPages => {
            in_scope(HostileScope::Products, r)
                && r.query_param("page")
                    .and_then(|page| page.parse::<usize>().ok())
                    .is_some_and(|page| page >= 2)
        }
    }
}

/// The answer as a hostile store sends it.
pub(super) async fn apply(
    mode: Option<(Hostile, HostileScope)>,
    r: &Req,
    answer: Answer,
) -> Response<StoreBody> {
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Some((mode, _)) = mode.filter(|(_, scope)| in_scope(*scope, r)) else {
        return Response::from_parts(parts, StoreBody::full(body));
    };
    let mut parts = parts;
    let is_json = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let body = match mode {
        Hostile::EndlessBody => {
            parts.headers.remove("content-length");
            StoreBody::stream(endless(body, Duration::ZERO, 64 * 1024))
        }
        Hostile::SlowDrip { every } => {
            parts.headers.remove("content-length");
            StoreBody::stream(endless(body, every, 1))
        }
        Hostile::HugeHeaders { bytes } => {
            let filler = "a".repeat(bytes);
            parts
                .headers
                .insert("x-filler", filler.parse().expect("ASCII header value"));
            StoreBody::full(body)
        }
        Hostile::InvalidJson if is_json => {
            parts.headers.remove("content-length");
            StoreBody::full(body.slice(..body.len() / 2))
        }
        Hostile::WrongShapeJson if is_json => {
            parts.headers.remove("content-length");
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let reshaped = if value.is_array() {
                serde_json::json!({ "data": value })
            } else {
                serde_json::json!([value])
            };
            StoreBody::full(Bytes::from(serde_json::to_vec(&reshaped).unwrap()))
        }
        Hostile::NoticeAfterJson if is_json => {
            parts.headers.remove("content-length");
            let mut bytes = body.to_vec();
            bytes.extend_from_slice(b"<br />\n<b>Notice</b>:  ob_end_flush(): Failed to send buffer of zlib output compression (0) in <b>/var/www/html/wp-includes/functions.php</b> on line <b>5427</b><br />\n");
            StoreBody::full(Bytes::from(bytes))
        }
        Hostile::ShortContentLength if is_json => {
            parts.headers.insert(
                "content-length",
                (body.len() / 2).to_string().parse().unwrap(),
            );
            StoreBody::full(body.slice(..body.len() / 2))
        }
        Hostile::InvalidUtf8 if is_json => {
            parts.headers.remove("content-length");
            StoreBody::full(replaced(&body, b"\"Hoodie\"", b"\"Hoo\xFFdie\""))
        }
        Hostile::ControlCharacters if is_json => {
            parts.headers.remove("content-length");
            StoreBody::full(replaced(&body, b"\"Hoodie\"", b"\"Hoo\x7Fdie\\u0085\""))
        }
        Hostile::NextLinkLoops => {
            // The last page has a `prev` link and no `next`: point `next` at page 1.
            let links: Vec<String> = parts
                .headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            let has_next = links.iter().any(|l| l.contains("rel=\"next\""));
            let prev = links
                .iter()
                .find(|l| l.contains("rel=\"prev\""))
                .and_then(|l| l.split_once('<').and_then(|(_, rest)| rest.split_once('>')))
                .map(|(target, _)| target.to_owned());
            if let (false, Some(prev)) = (has_next, prev) {
                let first = prev
                    .split('&')
                    .map(|pair| {
                        if pair.starts_with("page=") {
                            "page=1"
                        } else {
                            pair
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("&");
                let link = format!("<{first}>; rel=\"next\"");
                parts.headers.append("link", link.parse().unwrap());
            }
            StoreBody::full(body)
        }
        Hostile::InvalidJson
        | Hostile::WrongShapeJson
        | Hostile::NoticeAfterJson
        | Hostile::ShortContentLength
        | Hostile::InvalidUtf8
        | Hostile::ControlCharacters => StoreBody::full(body),
        Hostile::CloseMidResponse => {
            parts.headers.insert(
                "content-length",
                (body.len().max(2) * 2).to_string().parse().unwrap(),
            );
            let (tx, rx) = mpsc::channel(2);
            tokio::spawn(async move {
                let _ = tx.send(Ok(body)).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tx
                    .send(Err(std::io::Error::other("the store hangs up")))
                    .await;
            });
            StoreBody::stream(rx)
        }
    };
    Response::from_parts(parts, body)
}

/// `body` with the first `from` replaced by `to`.
fn replaced(body: &Bytes, from: &[u8], to: &[u8]) -> Bytes {
    let Some(at) = body.windows(from.len()).position(|w| w == from) else {
        return body.clone();
    };
    let mut bytes = body[..at].to_vec();
    bytes.extend_from_slice(to);
    bytes.extend_from_slice(&body[at + from.len()..]);
    Bytes::from(bytes)
}

/// `first`, then spaces in `chunk`-byte pieces every `every`, until the client goes away.
fn endless(first: Bytes, every: Duration, chunk: usize) -> mpsc::Receiver<std::io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        if tx.send(Ok(first)).await.is_err() {
            return;
        }
        let filler = Bytes::from(vec![b' '; chunk]);
        loop {
            if !every.is_zero() {
                tokio::time::sleep(every).await;
            }
            if tx.send(Ok(filler.clone())).await.is_err() {
                return;
            }
        }
    });
    rx
}
