//! `woolink api`: one authenticated request (or one per page with `--paginate`) to a linked
//! store's WooCommerce API; the JSON answer on stdout.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value};
use url::Url;

use crate::api::{self, ApiError, StreamRedactor};
use crate::cli::ApiArgs;
use crate::error::Error;
use crate::http::{Answer, HttpClient, Opened, TransportError};
use crate::keys::Credentials;
use crate::output;
use crate::probe::{ApiRoot, root};
use crate::safe_url::DisplaySafeUrl;
use crate::term::{self, Progress};

pub async fn run(args: ApiArgs) -> Result<(), Error> {
    let planned = Planned::from_args(&args)?;
    let (account, root, credentials) =
        super::chosen_account(args.account.as_deref(), &args.net).await?;
    let http = super::chosen_client(&account, &args.net)?;
    let url = planned.url(&root, &args.path)?;
    let sender = Sender {
        http: &http,
        method: &planned.method,
        body: planned.body.as_deref(),
        account: &account,
        credentials: &credentials,
        timeout: Duration::from_secs(args.net.timeout),
    };
    let result = if args.paginate {
        every_page(&sender, &root, url, args.include).await
    } else {
        one_answer(&sender, &url, args.include).await
    };
    result.map_err(|err| match (err, account.name()) {
        (Error::Api(source), Some(name)) if source.key_refused() => Error::KeyRefused {
            source,
            name: name.to_owned(),
        },
        (err, _) => err,
    })
}

/// The request the command line asks for, before any account is chosen: nothing here needs
/// the store, so bad input is refused before the keychain is opened.
struct Planned {
    route: String,
    method: Method,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Planned {
    fn from_args(args: &ApiArgs) -> Result<Self, Error> {
        let target = api::parse_path(&args.path)?;
        let mut fields = Vec::new();
        for field in &args.fields {
            fields.push(api::parse_field(field, true)?);
        }
        for field in &args.raw_fields {
            fields.push(api::parse_field(field, false)?);
        }
        let input = match &args.input {
            Some(path) => Some(read_body(path)?),
            None => None,
        };
        let method = api::method(args.method.as_deref(), input.is_some())?;
        let mut query = target.query;
        // Fields go into a JSON body for writes without --input, into the query otherwise.
        let body = match input {
            Some(body) => {
                query.extend(fields.into_iter().map(query_pair));
                Some(body)
            }
            None if api::fields_in_body(&method) && !fields.is_empty() => {
                let object: Map<String, Value> = fields.into_iter().collect();
                Some(serde_json::to_vec(&object).expect("JSON values serialize"))
            }
            None => {
                query.extend(fields.into_iter().map(query_pair));
                None
            }
        };
        Ok(Self {
            route: target.route,
            method,
            query,
            body,
        })
    }

    /// The request's URL under the account's API root, refused outside WooCommerce's routes.
    fn url(&self, root: &ApiRoot, path: &str) -> Result<Url, Error> {
        let pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let url = root.route(&self.route, &pairs);
        if let Some(why) = api::outside_namespace(root, &url) {
            return Err(ApiError::InvalidPath {
                path: path.to_owned(),
                why,
            }
            .into());
        }
        Ok(url)
    }
}

/// One request, its answer printed. A GET answer going to a pipe or file is streamed.
async fn one_answer(sender: &Sender<'_>, url: &Url, include: bool) -> Result<(), Error> {
    let mut opened = open(sender, url, include).await?;
    let streamable = !include
        && !std::io::stdout().is_terminal()
        && *sender.method == Method::GET
        && (200..300).contains(&opened.status)
        && crate::http::is_json_type(&opened.headers);
    let head = if streamable {
        match stream(&mut opened, sender, url).await? {
            Streamed::Printed => return Ok(()),
            Streamed::NotJson(head) => head,
        }
    } else {
        Vec::new()
    };
    let answer = finish(sender, url, opened, head, true).await?;
    let Some(document) = document_of(sender, url, &answer)? else {
        return Ok(());
    };
    if document.is_array()
        && term::stderr_is_live()
        && let Some(more) = api::more_pages(&answer.headers)
    {
        output::status(&more);
    }
    print(&document, sender.credentials)
}

/// `--paginate`: every page the store links with `rel="next"`, printed as one array, with
/// page N of X-WP-TotalPages on a terminal only (a script's stderr stays quiet).
async fn every_page(
    sender: &Sender<'_>,
    root: &ApiRoot,
    mut url: Url,
    include: bool,
) -> Result<(), Error> {
    let progress = Progress::new(output::is_quiet() || !term::stderr_is_live());
    let mut items = Vec::new();
    let mut pages = 0;
    let mut total_pages: Option<u64> = None;
    loop {
        let of = match pages {
            0 => String::new(),
            _ => total_pages.map(|n| format!(" of {n}")).unwrap_or_default(),
        };
        progress.start(&format!("page {}{of}", pages + 1));
        let opened = open(sender, &url, include).await?;
        let answer = finish(sender, &url, opened, Vec::new(), pages == 0).await?;
        match document_of(sender, &url, &answer)? {
            Some(Value::Array(page)) => items.extend(page),
            // Not a list: there is nothing to page through.
            Some(document) => return print(&document, sender.credentials),
            None => {}
        }
        pages += 1;
        total_pages = answer
            .header("x-wp-totalpages")
            .and_then(|n| n.trim().parse::<u64>().ok());
        match api::next_page(root, &answer, &url)? {
            Some(_) if pages >= api::MAX_PAGES => return Err(ApiError::TooManyPages.into()),
            Some(next) => url = next,
            None => break,
        }
    }
    progress.clear();
    print(&Value::Array(items), sender.credentials)
}

/// Sends the request; with `-i` the status line and headers are printed first.
async fn open(sender: &Sender<'_>, url: &Url, include: bool) -> Result<Opened, Error> {
    let opened = sender.send(url).await?;
    if include {
        let head = api::head_text(
            &format!("{:?}", opened.version),
            opened.status,
            &opened.headers,
            sender.credentials,
        );
        output::stdout(&head)?;
    }
    Ok(opened)
}

/// The rest of the answer (after `head`, what streaming read), judged: a store's error is an
/// error, with its own JSON document printed as data. The first answer's junk before the
/// JSON is noted.
async fn finish(
    sender: &Sender<'_>,
    url: &Url,
    opened: Opened,
    head: Vec<u8>,
    first: bool,
) -> Result<Answer, Error> {
    let answer = read_rest(opened, head, sender, url).await?;
    if first && let Some(junk) = answer.junk() {
        // The JSON printed is clean; the user should still know what the store prints.
        output::status(&format!("Note: {}", junk.note()));
    }
    if let Some(err) = api::judge(sender.method, url, &answer) {
        // The store's own error document is data too: scripts may want its `code`.
        if let Some(document) = answer.json() {
            print(&document, sender.credentials)?;
        }
        return Err(err.redacted(sender.credentials).into());
    }
    Ok(answer)
}

/// The answer's JSON; `None` for an empty body (a 204, say).
fn document_of(sender: &Sender<'_>, url: &Url, answer: &Answer) -> Result<Option<Value>, Error> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let document = answer.json().ok_or_else(|| ApiError::NotJson {
        method: sender.method.to_string(),
        url: DisplaySafeUrl::new(url),
        status: answer.status,
    })?;
    Ok(Some(document))
}

/// What every request of one `woolink api` run shares.
struct Sender<'a> {
    http: &'a HttpClient,
    method: &'a Method,
    body: Option<&'a [u8]>,
    account: &'a super::Chosen,
    credentials: &'a Credentials,
    timeout: Duration,
}

impl Sender<'_> {
    /// Sends the request to `url` (authenticated afresh each time: an OAuth nonce is good
    /// once), asking again while the store is busy and [`api::retry_wait`] allows, and returns
    /// once the status and headers of the answer have come.
    async fn send(&self, url: &Url) -> Result<Opened, ApiError> {
        let mut retries = 0;
        loop {
            let request = root::authenticated(
                self.method.clone(),
                url.clone(),
                self.credentials,
                self.account.auth_method,
            );
            let opened = self
                .http
                .open(request, self.body.map(<[u8]>::to_vec), api::MAX_ANSWER)
                .await
                .map_err(|cause| ApiError::Transport {
                    method: self.method.to_string(),
                    url: DisplaySafeUrl::new(url),
                    cause,
                })?;
            let retry_after = opened
                .headers
                .get("retry-after")
                .and_then(|value| value.to_str().ok());
            let Some(wait) = api::retry_wait(
                self.method,
                opened.status,
                retry_after,
                retries,
                self.timeout,
            ) else {
                return Ok(opened);
            };
            retries += 1;
            output::status(&format!(
                "the store answered {}; retrying in {} s ({retries} of {})",
                api::status_text(opened.status),
                wait.as_secs(),
                api::MAX_RETRIES
            ));
            drop(opened);
            tokio::time::sleep(wait).await;
        }
    }

    /// The store answered `status`, but its body was lost to `cause`.
    fn unprinted(&self, url: &Url, status: u16, cause: TransportError, partly: bool) -> ApiError {
        ApiError::Unprinted {
            method: self.method.to_string(),
            url: DisplaySafeUrl::new(url),
            status,
            cause: Box::new(cause),
            partly_printed: partly,
        }
    }
}

enum Streamed {
    Printed,
    /// The body does not start as JSON does (a PHP notice before it, say): it must be read
    /// whole and cleaned. What was read so far.
    NotJson(Vec<u8>),
}

/// Prints the body as it arrives, without holding it in memory: the store's own compact JSON
/// goes to a pipe or file unchanged, but for the account's key and secret, which
/// [`StreamRedactor`] takes out even when split across pieces. Only for output that is not a
/// terminal: a person gets pretty JSON, and a store's bytes never reach a terminal unparsed.
async fn stream(opened: &mut Opened, sender: &Sender<'_>, url: &Url) -> Result<Streamed, Error> {
    let status = opened.status;
    let lost = |cause, partly| sender.unprinted(url, status, cause, partly);
    let mut head = Vec::new();
    loop {
        match opened.chunk().await {
            Ok(Some(piece)) => head.extend_from_slice(&piece),
            Ok(None) => return Ok(Streamed::NotJson(head)),
            Err(cause) => return Err(lost(cause, false).into()),
        }
        match head.iter().find(|byte| !byte.is_ascii_whitespace()) {
            Some(b'{' | b'[') => break,
            Some(_) => return Ok(Streamed::NotJson(head)),
            None => {}
        }
    }
    let mut redactor = StreamRedactor::new(sender.credentials);
    let mut out = std::io::stdout().lock();
    let mut last = b'\n';
    let mut piece = head;
    loop {
        let printable = redactor.push(&piece);
        if let Some(&byte) = printable.last() {
            last = byte;
        }
        if !write_out(&mut out, &printable)? {
            return Ok(Streamed::Printed);
        }
        piece = match opened.chunk().await {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(cause) => {
                let _ = out.flush();
                return Err(lost(cause, true).into());
            }
        };
    }
    let mut rest = redactor.finish();
    if let Some(&byte) = rest.last() {
        last = byte;
    }
    if last != b'\n' {
        rest.push(b'\n');
    }
    write_out(&mut out, &rest)?;
    Ok(Streamed::Printed)
}

/// Writes to stdout; false when the reader went away (`| head`), which is not an error.
fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<bool, Error> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(err) => Err(Error::Terminal(err)),
    }
}

/// The rest of the body after `head`, whole. When it cannot be had, the store's status is
/// still reported: a write it answered 201 to was carried out.
async fn read_rest(
    opened: Opened,
    head: Vec<u8>,
    sender: &Sender<'_>,
    url: &Url,
) -> Result<Answer, ApiError> {
    let status = opened.status;
    opened
        .read_after(head)
        .await
        .map_err(|cause| sender.unprinted(url, status, cause, false))
}

fn query_pair((name, value): (String, Value)) -> (String, String) {
    let value = match value {
        Value::String(text) => text,
        other => other.to_string(),
    };
    (name, value)
}

/// The request body from a file or `-` (stdin); it must be JSON.
fn read_body(path: &Path) -> Result<Vec<u8>, Error> {
    let read = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    let bytes = read.map_err(|source| Error::ReadInput {
        what: "the request body",
        path: path.to_owned(),
        source,
    })?;
    if let Err(err) = serde_json::from_slice::<Value>(&bytes) {
        // The parser's own text ("EOF while parsing a value") is for programmers: say where.
        let why = if bytes.trim_ascii().is_empty() {
            "is empty, not JSON".to_owned()
        } else if err.is_eof() {
            format!(
                "is not JSON: it ends too early (line {}, column {})",
                err.line(),
                err.column()
            )
        } else {
            format!(
                "is not JSON: it goes wrong at line {}, column {}",
                err.line(),
                err.column()
            )
        };
        return Err(Error::Usage(format!(
            "the request body in {} {why}",
            path.display()
        )));
    }
    Ok(bytes)
}

/// One JSON document on stdout: pretty for a person, compact for a pipe, its objects' keys in
/// the store's order. A store that echoes the key or secret back never gets either printed.
fn print(document: &Value, credentials: &Credentials) -> Result<(), Error> {
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(document)
    } else {
        serde_json::to_string(document)
    }
    .expect("JSON values serialize");
    let mut text = api::redact(&text, credentials);
    text.push('\n');
    output::stdout(&text)
}
