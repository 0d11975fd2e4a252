use std::collections::BTreeSet;

use super::Scope;

/// The caller a verified access token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    subject: String,
    scopes: BTreeSet<Scope>,
    client_id: Option<String>,
    jti: Option<String>,
}

impl Principal {
    pub fn new(subject: impl Into<String>, scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self {
            subject: subject.into(),
            scopes: scopes.into_iter().collect(),
            client_id: None,
            jti: None,
        }
    }

    /// The same caller, with the token's `client_id` and `jti`.
    #[must_use]
    pub fn with_token_ids(mut self, client_id: Option<String>, jti: Option<String>) -> Self {
        self.client_id = client_id;
        self.jti = jti;
        self
    }

    /// The token's `sub`: who the caller is.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The known scopes the token grants.
    pub fn scopes(&self) -> &BTreeSet<Scope> {
        &self.scopes
    }

    /// The client the token was issued to (`client_id`), if the token names it.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Whether the token stands for a client itself rather than for a user: issued by the
    /// client credentials grant, its `sub` is its `client_id` (RFC 9068, section 2.2).
    pub fn is_client(&self) -> bool {
        self.client_id.as_deref() == Some(self.subject.as_str())
    }

    /// The token's `jti`, if it has one.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// Whether the token grants `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether the token grants at least one of `scopes`.
    pub fn has_any(&self, scopes: &[Scope]) -> bool {
        scopes.iter().any(|s| self.has(*s))
    }
}
