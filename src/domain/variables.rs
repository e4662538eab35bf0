//! The environment's names: the `WOOLINK_*` variables woolink reads, and the fields of an
//! account that `run` exports (and `--env NAME=FIELD` / `woolink://ACCOUNT/FIELD` name).
//! Each name is written here once. Pure; imports nothing of woolink's but text.

pub const STORE_URL_VAR: &str = "WOOLINK_STORE_URL";
pub const KEY_VAR: &str = "WOOLINK_CONSUMER_KEY";
pub const SECRET_VAR: &str = "WOOLINK_CONSUMER_SECRET";
/// Skips finding the API root: for stores whose REST index is closed, or to save a request.
pub const API_ROOT_VAR: &str = "WOOLINK_API_ROOT";
pub const SITE_USER_VAR: &str = "WOOLINK_SITE_USER";
pub const SITE_PASSWORD_VAR: &str = "WOOLINK_SITE_PASSWORD";

/// The three variables that together stand for a linked account.
pub const CREDENTIAL_VARS: [&str; 3] = [STORE_URL_VAR, KEY_VAR, SECRET_VAR];

/// The certificate file the store's HTTPS certificate is checked against, when it needs one
/// (a private CA, or the store's own self-signed certificate). Only this: `SSL_CERT_FILE` and
/// the like would replace the child's whole trust store (every other host would fail) or
/// make it trust the store's CA for every host.
pub const CA_CERT_VARIABLE: &str = "WOOCOMMERCE_CA_CERT";

/// What of an account `--env NAME=FIELD` and `woolink://ACCOUNT/FIELD` name: each is one of
/// the variables `run` exports, under its own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Url,
    ApiRoot,
    ApiUrl,
    Key,
    Secret,
    AuthMethod,
    Account,
    CaCert,
    SiteUser,
    SitePassword,
}

/// Every field: its name and the variable `run` always exports it as.
pub const FIELDS: [(Field, &str, &str); 10] = [
    (Field::Url, "url", "WOOCOMMERCE_URL"),
    (Field::ApiRoot, "api_root", "WOOCOMMERCE_API_ROOT"),
    (Field::ApiUrl, "api_url", "WOOCOMMERCE_API_URL"),
    (Field::Key, "key", "WOOCOMMERCE_CONSUMER_KEY"),
    (Field::Secret, "secret", "WOOCOMMERCE_CONSUMER_SECRET"),
    (Field::AuthMethod, "auth_method", "WOOCOMMERCE_AUTH_METHOD"),
    (Field::Account, "account", "WOOLINK_ACCOUNT"),
    (Field::CaCert, "ca_cert", CA_CERT_VARIABLE),
    (Field::SiteUser, "site_user", "WOOCOMMERCE_SITE_USER"),
    (
        Field::SitePassword,
        "site_password",
        "WOOCOMMERCE_SITE_PASSWORD",
    ),
];

impl Field {
    pub fn parse(name: &str) -> Option<Field> {
        FIELDS
            .iter()
            .find(|(_, known, _)| *known == name)
            .map(|(field, _, _)| *field)
    }

    /// The variable `run` exports it as.
    pub fn variable(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(f, _, _)| *f == self)
            .expect("every field is listed")
            .2
    }
}

/// The field names, for messages.
pub fn field_names() -> String {
    FIELDS
        .iter()
        .map(|(_, name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn unknown_field(field: &str) -> String {
    format!(
        "\"{}\" is not a field of an account: use one of {}",
        crate::domain::text::visible_line(field),
        field_names()
    )
}

/// Whether `name` can be an environment variable's name as shells set them: letters, digits
/// and underscores, not starting with a digit.
fn variable_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `--env NAME=FIELD`: the account's FIELD, also under NAME.
#[derive(Debug, Clone)]
pub struct EnvMapping {
    pub name: String,
    pub field: Field,
}

/// clap's parser for `--env`: its errors are usage errors (exit 2), before anything runs.
pub fn parse_env_mapping(text: &str) -> Result<EnvMapping, String> {
    let Some((name, field)) = text.split_once('=') else {
        return Err(format!(
            "expected NAME=FIELD, e.g. STORE_URL=url (FIELD is one of {})",
            field_names()
        ));
    };
    if !variable_name_ok(name) {
        return Err(format!(
            "\"{}\" is not a valid variable name: use letters, digits and underscores, not starting with a digit",
            crate::domain::text::visible_line(name)
        ));
    }
    let field = Field::parse(field).ok_or_else(|| unknown_field(field))?;
    Ok(EnvMapping {
        name: name.to_owned(),
        field,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_mappings_name_what_is_wrong() {
        let ok = parse_env_mapping("WOO_URL=url").unwrap();
        assert_eq!((ok.name.as_str(), ok.field), ("WOO_URL", Field::Url));
        assert_eq!(
            parse_env_mapping("_x1=secret").unwrap().field,
            Field::Secret
        );
        for (bad, said) in [
            ("9X=url", "\"9X\" is not a valid variable name"),
            ("A B=url", "\"A B\" is not a valid variable name"),
            ("X=URL", "\"URL\" is not a field"),
            ("X=", "\"\" is not a field"),
            ("X", "expected NAME=FIELD"),
        ] {
            let message = parse_env_mapping(bad).unwrap_err();
            assert!(message.contains(said), "{bad}: {message}");
        }
    }
}
