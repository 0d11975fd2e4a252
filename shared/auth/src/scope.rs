use std::{collections::BTreeSet, fmt, str::FromStr};

/// A permission an access token can carry in its `scope` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    OrdersWrite,
    OrdersRead,
    OrdersStatus,
    OrdersAdmin,
    CatalogWrite,
    VouchersRead,
    VouchersAdmin,
}

/// A scope name this service does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope")]
pub struct UnknownScope;

impl Scope {
    /// Every scope, in declaration order.
    pub const ALL: [Self; 7] = [
        Self::OrdersWrite,
        Self::OrdersRead,
        Self::OrdersStatus,
        Self::OrdersAdmin,
        Self::CatalogWrite,
        Self::VouchersRead,
        Self::VouchersAdmin,
    ];

    /// The name in the `scope` claim (`orders:write`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrdersWrite => "orders:write",
            Self::OrdersRead => "orders:read",
            Self::OrdersStatus => "orders:status",
            Self::OrdersAdmin => "orders:admin",
            Self::CatalogWrite => "catalog:write",
            Self::VouchersRead => "vouchers:read",
            Self::VouchersAdmin => "vouchers:admin",
        }
    }

    /// The known scopes of a space-separated `scope` claim (RFC 9068); unknown names are
    /// ignored.
    pub fn parse_claim(claim: &str) -> BTreeSet<Self> {
        claim.split(' ').filter_map(|name| name.parse().ok()).collect()
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        checkout_domain::by_name(&Self::ALL, Self::as_str, name).ok_or(UnknownScope)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_parses_back_from_its_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!("orders:delete".parse::<Scope>(), Err(UnknownScope));
        assert_eq!(
            "ORDERS:READ".parse::<Scope>(),
            Err(UnknownScope),
            "scope names are case-sensitive"
        );
    }

    #[test]
    fn a_claim_gives_its_known_scopes_and_ignores_the_rest() {
        // `vouchers:redeem` was a scope of earlier versions: tokens that still carry it work.
        let scopes = Scope::parse_claim("openid orders:read  vouchers:redeem profile vouchers:read orders:read");
        assert_eq!(scopes, BTreeSet::from([Scope::OrdersRead, Scope::VouchersRead]));
        assert!(Scope::parse_claim("").is_empty());
        assert!(
            Scope::parse_claim("orders:read,orders:write").is_empty(),
            "the separator is a space"
        );
    }
}
