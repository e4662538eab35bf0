//! `woolink api`: one authenticated request (or one per page with `--paginate`) to a linked
//! store's WooCommerce API; the JSON answer on stdout.

use crate::face::term::Ui;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value};
use url::Url;

use crate::cmd::error::Error;
use crate::domain::keys::Credentials;
use crate::domain::redact::{self, DisplaySafeUrl, Redactor};
use crate::face::cli::ApiArgs;
use crate::face::output;
use crate::face::term::{self, Progress};
use crate::http::{Answer, HttpClient, Opened};
use crate::woocommerce::api::{self, ApiError, RequestLine};
use crate::woocommerce::jq::Jq;
use crate::woocommerce::json_check::{Checker, FaultKind};
use crate::woocommerce::probe::{ApiRoot, root};

pub async fn run(args: ApiArgs, ui: Ui) -> Result<(), Error> {
    let planned = Planned::from_args(&args)?;
    let (account, root, credentials) =
        super::chosen_account(args.account.as_deref(), &args.net, ui, &mut None).await?;
    let http = super::client_trusting(&args.net, account.ca_cert.clone(), ui)?;
    let url = planned.url(&root, &args.path)?;
    let sender = Sender {
        http: &http,
        plan: &planned,
        account: &account,
        credentials: &credentials,
        timeout: Duration::from_secs(args.net.timeout),
        include: args.include,
        ui,
    };
    let result = if args.paginate {
        every_page(&sender, &root, url).await
    } else {
        one_answer(&sender, &url).await
    };
    // What the store said is shown without the account's credentials, whichever error quotes it.
    result.map_err(|err| {
        let Error::Api(source) = err else {
            return err;
        };
        let source = source.redacted(&credentials);
        match account.name {
            Some(name) if source.key_refused() => Error::KeyRefused {
                source: Box::new(source),
                name,
            },
            _ => Error::Api(source),
        }
    })
}

/// The request the command line asks for, before any account is chosen: nothing here needs
/// the store, so bad input is refused before the keychain is opened.
struct Planned {
    route: String,
    method: Method,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// `--jq`: what is printed is the filter's results.
    jq: Option<Jq>,
}

impl Planned {
    fn from_args(args: &ApiArgs) -> Result<Self, Error> {
        let (route, mut query) = api::parse_path(&args.path)?;
        let jq = args.jq.as_deref().map(Jq::compile).transpose();
        let jq = jq.map_err(ApiError::InvalidJq)?;
        let typed = args.fields.iter().map(|field| (field, true));
        let raw = args.raw_fields.iter().map(|field| (field, false));
        let fields = typed
            .chain(raw)
            .map(|(field, typed)| api::parse_field(field, typed));
        let fields = fields.collect::<Result<Vec<_>, _>>()?;
        let input = args.input.as_deref().map(read_body).transpose()?;
        let method = api::method(args.method.as_deref(), input.is_some())?;
        // Fields go into a JSON body for writes without --input, into the query otherwise.
        let body = if input.is_none() && api::fields_in_body(&method) && !fields.is_empty() {
            let object: Map<String, Value> = fields.into_iter().collect();
            Some(serde_json::to_vec(&object).expect("JSON values serialize"))
        } else {
            query.extend(fields.into_iter().map(|(name, value)| match value {
                Value::String(text) => (name, text),
                other => (name, other.to_string()),
            }));
            input
        };
        Ok(Self {
            route,
            method,
            query,
            body,
            jq,
        })
    }

    /// The request's URL under the account's API root, refused outside WooCommerce's routes.
    fn url(&self, root: &ApiRoot, path: &str) -> Result<Url, Error> {
        let pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let invalid = |why| ApiError::InvalidPath {
            path: path.to_owned(),
            why,
        };
        let url = root.try_route(&self.route, &pairs);
        let url = url.ok_or_else(|| invalid("it cannot be joined to the account's API root"))?;
        match api::outside_namespace(root, &url) {
            Some(why) => Err(invalid(why).into()),
            None => Ok(url),
        }
    }
}

/// One request, its answer printed. A GET answer going to a pipe or file is streamed, checked
/// to be one whole JSON document as it goes.
async fn one_answer(sender: &Sender<'_>, url: &Url) -> Result<(), Error> {
    let mut opened = sender.open(url).await?;
    let Some(head) = stream(&mut opened, sender, url).await? else {
        return Ok(());
    };
    let (answer, Some(document)) = finish(sender, url, opened, head, true).await? else {
        return Ok(());
    };
    if document.is_array()
        && term::stderr_is_live()
        && let Some(more) = api::more_pages(&answer)
    {
        sender.ui.status(&more);
    }
    emit(sender, url, &document).map(drop)
}

/// `--paginate`: every page the store links with `rel="next"`, printed as one array as the
/// pages come (each page checked whole before any of it is printed, so a first page that fails
/// leaves stdout empty), with page N of X-WP-TotalPages on a terminal only (a script's stderr
/// stays quiet). A `next` link back to a page already fetched is a loop, and stops it.
async fn every_page(sender: &Sender<'_>, root: &ApiRoot, mut url: Url) -> Result<(), Error> {
    let progress = Progress::new(sender.ui.quiet || !term::stderr_is_live());
    let mut list = ListOut::new(sender);
    // Ok(false) when the first answer was not a list and was printed as it is.
    let result = async {
        let mut pages = 0;
        let mut total_pages = None;
        let mut fetched = std::collections::HashSet::from([api::page_key(&url)]);
        loop {
            let of = match pages {
                0 => String::new(),
                _ => total_pages.map(|n| format!(" of {n}")).unwrap_or_default(),
            };
            progress.start(&format!("page {}{of}", pages + 1));
            let opened = sender.open(&url).await?;
            let (answer, document) = finish(sender, &url, opened, Vec::new(), pages == 0).await?;
            match document {
                Some(Value::Array(page)) => list.page(&url, page)?,
                // Not a list: there is nothing to page through.
                Some(document) if pages == 0 => {
                    progress.clear();
                    emit(sender, &url, &document)?;
                    return Ok(false);
                }
                Some(_) => {
                    let request = sender.request(&url);
                    let page = pages + 1;
                    return Err(ApiError::PageNotAList { request, page }.into());
                }
                None => {}
            }
            pages += 1;
            total_pages = api::list_count(&answer, "x-wp-totalpages");
            match api::next_page(root, &answer, &url)? {
                Some(next) if !fetched.insert(api::page_key(&next)) => {
                    let next = DisplaySafeUrl::new(&next);
                    return Err(ApiError::PageLoop { next, pages }.into());
                }
                Some(_) if pages >= api::MAX_PAGES => return Err(ApiError::TooManyPages.into()),
                Some(next) => url = next,
                None => return Ok(true),
            }
        }
    }
    .await;
    progress.clear();
    match result {
        Ok(true) => list.finish(),
        Ok(false) => Ok(()),
        Err(err) => {
            if list.printed_any {
                term::warning(match sender.plan.jq {
                    Some(_) => {
                        "the output printed is incomplete: it holds the filter's results on the pages before the one that failed, and none of the pages after"
                    }
                    None => {
                        "the output printed is incomplete: the pages before the one that failed were printed, and the list was left open (not valid JSON)"
                    }
                });
            }
            Err(err)
        }
    }
}

/// `--paginate`'s output, written page by page: one JSON array of every page's items (pretty
/// for a person, compact for a pipe), or with `--jq` the filter's results on each page.
struct ListOut<'a> {
    sender: &'a Sender<'a>,
    pretty: bool,
    items: usize,
    printed_any: bool,
}

impl<'a> ListOut<'a> {
    fn new(sender: &'a Sender<'a>) -> Self {
        Self {
            sender,
            pretty: std::io::stdout().is_terminal(),
            items: 0,
            printed_any: false,
        }
    }

    fn page(&mut self, url: &Url, page: Vec<Value>) -> Result<(), Error> {
        if self.sender.plan.jq.is_some() {
            // A filter may print nothing for a page: only what it printed counts.
            self.printed_any |= emit(self.sender, url, &Value::Array(page))?;
            return Ok(());
        }
        let mut text = String::new();
        for item in &page {
            text.push(if self.items == 0 { '[' } else { ',' });
            if self.pretty {
                text.push_str("\n  ");
            }
            // Pretty JSON indented one level; no JSON text holds a line break inside a string.
            text.push_str(&output::json_text(item, self.pretty).replace('\n', "\n  "));
            self.items += 1;
        }
        if text.is_empty() {
            return Ok(());
        }
        self.printed_any = true;
        Ok(output::document(&redact::in_answer(
            &text,
            self.sender.credentials,
        ))?)
    }

    /// The end of the array.
    fn finish(self) -> Result<(), Error> {
        if self.sender.plan.jq.is_some() {
            return Ok(());
        }
        Ok(output::document(match (self.items, self.pretty) {
            (0, _) => "[]\n",
            (_, true) => "\n]\n",
            (_, false) => "]\n",
        })?)
    }
}

/// The rest of the answer (after `head`, what streaming read), judged: a store's error is an
/// error, with its own JSON document printed as data. The first answer's junk before the
/// JSON is noted. A body that cannot be had whole still has its status reported: a write the
/// store answered 201 to was carried out. With the answer, its JSON.
async fn finish(
    sender: &Sender<'_>,
    url: &Url,
    opened: Opened,
    head: Vec<u8>,
    first: bool,
) -> Result<(Answer, Option<Value>), Error> {
    let status = opened.status();
    let answer = opened
        .read_after(head)
        .await
        .map_err(|cause| sender.unprinted(url, status, api::lost_words(&cause, false), false))?;
    let (document, junk) = answer.json_with_junk().unzip();
    if first && let Some(junk) = junk.flatten() {
        // The JSON printed is clean; the user should still know what the store prints.
        sender
            .ui
            .status(&format!("Note: {}", junk.note(sender.credentials)));
    }
    match api::judge(&sender.plan.method, url, &answer, document.as_ref()) {
        Ok(()) => Ok((answer, document)),
        Err(err) => {
            // The store's own error document goes with the error, on stderr: stdout stays
            // empty, so `woolink api orders > orders.json` never writes an error into the file.
            if let Some(document) = &document {
                let text = output::json_text(document, false);
                term::stderr_line(&redact::in_answer(&text, sender.credentials));
            }
            Err(err.into())
        }
    }
}

/// What every request of one `woolink api` run shares.
struct Sender<'a> {
    http: &'a HttpClient,
    plan: &'a Planned,
    account: &'a super::Chosen,
    credentials: &'a Credentials,
    timeout: Duration,
    /// `-i`: each answer's status line and headers are printed before its body.
    include: bool,
    ui: Ui,
}

impl Sender<'_> {
    /// Sends the request to `url` (authenticated afresh each time: an OAuth nonce is good
    /// once), asking again while the store is busy and [`api::retry_wait`] allows, and returns
    /// once the status and headers of the answer have come. With `-i` the status line and
    /// headers are printed first.
    async fn open(&self, url: &Url) -> Result<Opened, Error> {
        let mut retries = 0;
        let opened = loop {
            let request = root::authenticated(
                self.plan.method.clone(),
                url.clone(),
                self.credentials,
                self.account.auth_method,
            );
            let opened = self
                .http
                .open(request, self.plan.body.clone(), api::MAX_ANSWER)
                .await
                .map_err(|cause| ApiError::Transport {
                    request: self.request(url),
                    cause,
                })?;
            let retry_after = crate::http::header_text(opened.headers(), "retry-after");
            let Some(wait) = api::retry_wait(
                &self.plan.method,
                opened.status(),
                retry_after,
                retries,
                self.timeout,
            ) else {
                break opened;
            };
            let allowed = api::retries_allowed(retry_after);
            retries += 1;
            self.ui.status(&format!(
                "the store answered {}; retrying in {} s ({retries} of {allowed})",
                api::status_text(opened.status()),
                wait.as_secs(),
            ));
            drop(opened);
            tokio::time::sleep(wait).await;
        };
        if self.include {
            let head = api::head_text(
                &format!("{:?}", opened.version()),
                opened.status(),
                opened.headers(),
                self.credentials,
            );
            output::stdout(&head)?;
        }
        Ok(opened)
    }

    fn request(&self, url: &Url) -> RequestLine {
        RequestLine::new(&self.plan.method, url)
    }

    /// The store answered `status`, but its body was not printed whole ([`ApiError::Unprinted`]).
    fn unprinted(&self, url: &Url, status: u16, why: String, broken_json: bool) -> ApiError {
        ApiError::Unprinted {
            request: self.request(url),
            status,
            why,
            broken_json,
        }
    }
}

/// Prints the body as it arrives, without holding it in memory: the store's own compact JSON
/// goes to a pipe or file unchanged, but for the account's key and secret, which
/// [`Redactor`] takes out even when split across pieces. Each piece is checked before it
/// is printed ([`Checker`]): where the answer stops being JSON (cut short, a notice after the
/// JSON, bytes that are not UTF-8) nothing more is printed and the exit is not 0. Only for
/// a 2xx JSON answer to a GET, printed as it is, to output that is not a terminal: a person gets
/// pretty JSON, and a store's bytes never reach a terminal unparsed. `None` once printed; else
/// what was read so far (nothing when not streamed; the start when the body does not start as
/// JSON does, a PHP notice before it, say), for the body to be read whole and cleaned.
async fn stream(
    opened: &mut Opened,
    sender: &Sender<'_>,
    url: &Url,
) -> Result<Option<Vec<u8>>, Error> {
    let status = opened.status();
    let mut head = Vec::new();
    let streamable = !sender.include
        && sender.plan.jq.is_none()
        && !std::io::stdout().is_terminal()
        && sender.plan.method == Method::GET
        && (200..300).contains(&status)
        && crate::http::is_json_type(opened.headers());
    if !streamable {
        return Ok(Some(head));
    }
    let lost =
        |cause, partly| sender.unprinted(url, status, api::lost_words(&cause, partly), false);
    loop {
        match opened.chunk().await {
            Ok(Some(piece)) => head.extend_from_slice(&piece),
            Ok(None) => return Ok(Some(head)),
            Err(cause) => return Err(lost(cause, false).into()),
        }
        match head.iter().find(|byte| !byte.is_ascii_whitespace()) {
            Some(b'{' | b'[') => break,
            Some(_) => return Ok(Some(head)),
            None => {}
        }
    }
    let mut checker = Checker::default();
    let mut checked = 0;
    let mut redactor = Redactor::new(sender.credentials);
    let mut out = std::io::stdout().lock();
    // The last byte printed, if any.
    let mut last = None;
    let mut piece = head;
    let fault = loop {
        let fault = checker.push(&piece).err();
        let good = fault.map_or(piece.len(), |fault| fault.at - checked);
        let printable = redactor.push(&piece[..good]);
        last = printable.last().copied().or(last);
        if !write_out(&mut out, &printable)? {
            return Ok(None);
        }
        if let Some(fault) = fault {
            break Some((fault, piece[good..].to_vec()));
        }
        checked += piece.len();
        piece = match opened.chunk().await {
            Ok(Some(next)) => next,
            Ok(None) => break checker.finish().err().map(|fault| (fault, Vec::new())),
            // What was printed is out already: write_out flushes each piece.
            Err(cause) => return Err(lost(cause, last.is_some()).into()),
        };
    };
    let mut rest = redactor.finish();
    let last = rest.last().copied().or(last);
    let whole = fault
        .as_ref()
        .is_none_or(|(fault, _)| fault.kind == FaultKind::Trailing);
    if whole && last.is_some_and(|byte| byte != b'\n') {
        rest.push(b'\n');
    }
    write_out(&mut out, &rest)?;
    match fault {
        None => Ok(None),
        Some((fault, after)) => {
            let mut why = api::fault_words(fault, &after);
            if last.is_some() && fault.kind != FaultKind::Trailing {
                why.push_str(api::OUTPUT_INCOMPLETE);
            }
            Err(sender.unprinted(url, status, why, true).into())
        }
    }
}

/// Writes to stdout; false when the reader went away (`| head`), which is not an error.
fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<bool, Error> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(err) => Err(output::OutputError(err).into()),
    }
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

/// Prints `document`, or with `--jq` the filter's results on it; whether anything was printed.
/// The document is pretty for a person, compact for a pipe, its objects' keys in the store's
/// order; JSON's own escaping is all it gets (see [`output::json_text`]). A store that echoes
/// the key or secret back never gets either printed.
fn emit(sender: &Sender<'_>, url: &Url, document: &Value) -> Result<bool, Error> {
    let terminal = std::io::stdout().is_terminal();
    let Some(jq) = &sender.plan.jq else {
        let text = output::json_text(document, terminal);
        output::document(&format!(
            "{}\n",
            redact::in_answer(&text, sender.credentials)
        ))?;
        return Ok(true);
    };
    let results = jq.run(document).map_err(|message| ApiError::JqFailed {
        request: sender.request(url),
        message,
    })?;
    let mut text = String::new();
    for result in &results {
        match result {
            // A string as its text, as `gh api --jq` and `jq -r` print it.
            Value::String(string) => text.push_str(string),
            other => text.push_str(&output::json_text(other, false)),
        }
        text.push('\n');
    }
    let text = redact::in_answer(&text, sender.credentials);
    if text.is_empty() {
        return Ok(false);
    }
    if terminal {
        // Text from the store that is no longer JSON: shown, never obeyed.
        output::stdout(&text)?;
    } else {
        output::document(&text)?;
    }
    Ok(true)
}
