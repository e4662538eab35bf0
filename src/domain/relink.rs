//! The advice to link an account again, worded once for every message that gives it. Pure:
//! it names a command; it imports nothing of woolink's.

/// The advice to link an account again, as every message gives it: "link the store again with
/// `woolink connect --name NAME`". `connect --name` takes the store's address from the account
/// and keeps the same store with the same key without `--force` (the key and secret are asked
/// for, or given as usual); only another address or another key replaces the account, which
/// needs `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relink<'a> {
    name: &'a str,
    /// The store's new address, when it moved.
    url: Option<&'a str>,
    /// The CA certificate has to be given again.
    ca_cert: bool,
    /// Another address or another key: connect replaces an account with it only when told.
    force: bool,
}

impl<'a> Relink<'a> {
    /// The same store and key again: the secret went missing, or the index was damaged.
    pub fn same_key(name: &'a str) -> Self {
        Self {
            name,
            url: None,
            ca_cert: false,
            force: false,
        }
    }

    /// A new key for the same store, replacing the one the store no longer knows.
    pub fn new_key(name: &'a str) -> Self {
        Self {
            force: true,
            ..Self::same_key(name)
        }
    }

    /// The store at another address (`url` may be a placeholder such as `URL`).
    pub fn at(name: &'a str, url: &'a str) -> Self {
        Self {
            url: Some(url),
            force: true,
            ..Self::same_key(name)
        }
    }

    /// Giving the CA certificate again, as `--ca-cert PATH`.
    pub fn with_ca_cert(self) -> Self {
        Self {
            ca_cert: true,
            ..self
        }
    }
}

impl std::fmt::Display for Relink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("link the store again with `woolink connect")?;
        if let Some(url) = self.url {
            write!(f, " --url {url}")?;
        }
        write!(f, " --name {}", self.name)?;
        if self.ca_cert {
            f.write_str(" --ca-cert PATH")?;
        }
        if self.force {
            f.write_str(" --force")?;
        }
        f.write_str("`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--force` only where connect would otherwise refuse: another address or another key.
    #[test]
    fn relink_advice_asks_for_force_only_for_another_address_or_key() {
        let cases = [
            (Relink::same_key("shop"), "`woolink connect --name shop`"),
            (
                Relink::same_key("shop").with_ca_cert(),
                "`woolink connect --name shop --ca-cert PATH`",
            ),
            (
                Relink::new_key("shop"),
                "`woolink connect --name shop --force`",
            ),
            (
                Relink::at("shop", "https://new.example"),
                "`woolink connect --url https://new.example --name shop --force`",
            ),
        ];
        for (relink, command) in cases {
            assert_eq!(
                relink.to_string(),
                format!("link the store again with {command}")
            );
        }
    }
}
