use std::collections::BTreeSet;

use super::Scope;

/// The caller a verified access token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    subject: String,
    scopes: BTreeSet<Scope>,
    jti: Option<String>,
}

impl Principal {
    pub fn new(subject: impl Into<String>, scopes: impl IntoIterator<Item = Scope>, jti: Option<String>) -> Self {
        Self {
            subject: subject.into(),
            scopes: scopes.into_iter().collect(),
            jti,
        }
    }

    /// The token's `sub`: who the caller is.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The known scopes the token grants.
    pub fn scopes(&self) -> &BTreeSet<Scope> {
        &self.scopes
    }

    /// The token's `jti`, if it has one.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// Whether the token grants `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}
