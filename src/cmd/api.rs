//! `woolink api`: one authenticated request (or one per page with `--paginate`) to a linked
//! store's wc/v3 API; the JSON answer on stdout.

use std::io::{IsTerminal, Read};
use std::path::Path;

use serde_json::{Map, Value};

use crate::api::{self, ApiError};
use crate::cli::ApiArgs;
use crate::error::Error;
use crate::keys::Credentials;
use crate::output;
use crate::probe::root;

pub async fn run(args: ApiArgs) -> Result<(), Error> {
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
    let method = api::method(
        args.method.as_deref(),
        input.is_some() || !fields.is_empty(),
    )?;
    let mut query = target.query.clone();
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

    let (account, root, credentials) =
        super::chosen_account(args.account.as_deref(), &args.net).await?;
    let http = super::http_client(&args.net)?;
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut url = root.route(&target.route, &pairs);
    if let Some(why) = api::outside_namespace(&root, &url) {
        return Err(ApiError::InvalidPath {
            path: args.path.clone(),
            why,
        }
        .into());
    }
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let request = root::authenticated(
            method.clone(),
            url.clone(),
            &credentials,
            account.auth_method,
        );
        let answer = http
            .send_json(request, body.clone())
            .await
            .map_err(|cause| ApiError::Transport {
                method: method.to_string(),
                url: api::without_credentials(&url).to_string(),
                cause,
            })?;
        if pages == 0
            && let Some(junk) = answer.junk()
        {
            // The JSON printed is clean; the user should still know what the store prints.
            output::status(&format!("Note: {}", junk.note()));
        }
        if let Some(err) = api::judge(&method, &url, &answer) {
            // The store's own error document is data too: scripts may want its `code`.
            if let Some(document) = answer.json() {
                print(&document, &credentials)?;
            }
            return Err(err.redacted(&credentials).into());
        }
        let document = if answer.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(answer.json().ok_or_else(|| ApiError::NotJson {
                method: method.to_string(),
                url: api::without_credentials(&url).to_string(),
                status: answer.status,
            })?)
        };
        match document {
            Some(Value::Array(page)) if args.paginate => items.extend(page),
            Some(document) => return print(&document, &credentials),
            None if args.paginate => {}
            None => return Ok(()),
        }
        pages += 1;
        match api::next_page(&root, &answer, &url)? {
            Some(_) if pages >= api::MAX_PAGES => return Err(ApiError::TooManyPages.into()),
            Some(next) => url = next,
            None => break,
        }
    }
    print(&Value::Array(items), &credentials)
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
        return Err(Error::Usage(format!(
            "the request body in {} is not JSON: {err}",
            path.display()
        )));
    }
    Ok(bytes)
}

/// One JSON document on stdout: pretty for a person, compact for a pipe. A store that echoes
/// the key or secret back never gets either printed.
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
