//! The building blocks of the services' access rules: the scopes an operation needs, and why
//! a verified caller was refused. The rules themselves live in each service's domain.

use super::{Principal, Scope};
use checkout_domain::CustomerId;

/// What an operation asks of its caller's token: at least one of `scopes`, and `rule`, the
/// ownership rule on top of them, as a sentence for the API reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub scopes: &'static [Scope],
    pub rule: &'static str,
}

impl Permission {
    /// Whether `caller` holds one of the scopes.
    ///
    /// # Errors
    /// [`AccessDenied::InsufficientScope`] naming the scopes.
    pub fn check(&self, caller: &Principal) -> Result<(), AccessDenied> {
        if caller.has_any(self.scopes) {
            Ok(())
        } else {
            Err(AccessDenied::InsufficientScope(self.scopes))
        }
    }

    /// The scope names, space-separated (as in a `scope` claim).
    pub fn scope_names(&self) -> String {
        names(self.scopes)
    }
}

/// Why a caller with a valid token may not do what it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    /// The token grants none of the scopes the operation needs.
    #[error("the token grants none of the scopes this needs ({})", names(.0))]
    InsufficientScope(&'static [Scope]),
    /// A customer's request named another customer.
    #[error("customer_id must be the token's subject: a customer acts only for itself")]
    OtherCustomer,
}

/// Whose orders or vouchers a caller may read: a customer its own (its `sub` is its
/// customer id), staff with the admin scope anyone's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everyone,
    /// Only this customer's. `None`: the token's `sub` is no valid customer id, so it owns
    /// nothing.
    Customer(Option<CustomerId>),
}

/// Which customer's resources a listing holds, once the caller's reach is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Everyone's, or one customer's: what the caller asked for.
    Of(Option<CustomerId>),
    /// Nobody's: the caller owns nothing.
    Nothing,
}

impl Reach {
    /// The reach `read` grants `caller`: everyone's with `admin` (one of `read`'s scopes),
    /// the caller's own with any other of them.
    ///
    /// # Errors
    /// [`AccessDenied::InsufficientScope`] if the token has none of `read`'s scopes.
    pub fn of(caller: &Principal, read: &Permission, admin: Scope) -> Result<Self, AccessDenied> {
        read.check(caller)?;
        Ok(if caller.has(admin) {
            Self::Everyone
        } else {
            Self::Customer(CustomerId::parse(caller.subject()).ok())
        })
    }

    /// Whether the caller may see a resource of `owner`.
    pub fn covers(&self, owner: &CustomerId) -> bool {
        match self {
            Self::Everyone => true,
            Self::Customer(own) => own.as_ref() == Some(owner),
        }
    }

    /// A listing of `requested` (or, unfiltered, of everything the caller may see).
    ///
    /// # Errors
    /// [`AccessDenied::OtherCustomer`] when a customer asks for another customer's.
    pub fn listing(&self, requested: Option<CustomerId>) -> Result<Listing, AccessDenied> {
        match (self, requested) {
            (Self::Everyone, requested) => Ok(Listing::Of(requested)),
            (Self::Customer(None), None) => Ok(Listing::Nothing),
            (Self::Customer(own), None) => Ok(Listing::Of(own.clone())),
            (own @ Self::Customer(_), Some(requested)) if own.covers(&requested) => Ok(Listing::Of(Some(requested))),
            (Self::Customer(_), Some(_)) => Err(AccessDenied::OtherCustomer),
        }
    }
}

/// Whether `caller` may act for `customer`: a customer for itself only, a service's own
/// token (client credentials) for anyone.
///
/// # Errors
/// [`AccessDenied::OtherCustomer`] for a customer naming another.
pub fn acting_for(caller: &Principal, customer: &CustomerId) -> Result<(), AccessDenied> {
    if caller.is_client() || caller.subject() == customer.as_str() {
        Ok(())
    } else {
        Err(AccessDenied::OtherCustomer)
    }
}

fn names(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: Permission = Permission {
        scopes: &[Scope::OrdersRead, Scope::OrdersAdmin],
        rule: "own orders, or any with orders:admin",
    };

    #[test]
    fn a_permission_needs_one_of_its_scopes() {
        assert_eq!(READ.check(&Principal::new("a", [Scope::OrdersAdmin])), Ok(()));
        assert_eq!(READ.check(&Principal::new("a", [Scope::OrdersRead])), Ok(()));
        let refused = READ.check(&Principal::new("a", [Scope::OrdersWrite, Scope::VouchersAdmin]));
        assert_eq!(refused, Err(AccessDenied::InsufficientScope(READ.scopes)));
        assert_eq!(
            refused.unwrap_err().to_string(),
            "the token grants none of the scopes this needs (orders:read orders:admin)"
        );
        assert_eq!(READ.scope_names(), "orders:read orders:admin");
    }

    fn customer(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    #[test]
    fn a_customer_reaches_its_own_and_an_admin_everyones() {
        let alice = Principal::new("alice", [Scope::OrdersRead]);
        let reach = Reach::of(&alice, &READ, Scope::OrdersAdmin).unwrap();
        assert!(reach.covers(&customer("alice")) && !reach.covers(&customer("bob")));
        assert_eq!(reach.listing(None), Ok(Listing::Of(Some(customer("alice")))));
        assert_eq!(
            reach.listing(Some(customer("alice"))),
            Ok(Listing::Of(Some(customer("alice"))))
        );
        assert_eq!(reach.listing(Some(customer("bob"))), Err(AccessDenied::OtherCustomer));

        let staff = Principal::new("staff-1", [Scope::OrdersAdmin]);
        let reach = Reach::of(&staff, &READ, Scope::OrdersAdmin).unwrap();
        assert!(reach.covers(&customer("bob")));
        assert_eq!(reach.listing(None), Ok(Listing::Of(None)));
        assert_eq!(
            reach.listing(Some(customer("bob"))),
            Ok(Listing::Of(Some(customer("bob"))))
        );

        let writer = Principal::new("alice", [Scope::OrdersWrite]);
        assert_eq!(
            Reach::of(&writer, &READ, Scope::OrdersAdmin),
            Err(AccessDenied::InsufficientScope(READ.scopes))
        );
    }

    #[test]
    fn a_subject_that_is_no_customer_id_owns_nothing() {
        let odd = Principal::new("x".repeat(500), [Scope::OrdersRead]);
        let reach = Reach::of(&odd, &READ, Scope::OrdersAdmin).unwrap();
        assert_eq!(reach, Reach::Customer(None));
        assert_eq!(reach.listing(None), Ok(Listing::Nothing));
        assert_eq!(reach.listing(Some(customer("bob"))), Err(AccessDenied::OtherCustomer));
    }

    #[test]
    fn a_customer_acts_for_itself_and_a_service_for_anyone() {
        let alice = Principal::new("alice", []).with_token_ids(Some("checkout-web".into()), None);
        assert_eq!(acting_for(&alice, &customer("alice")), Ok(()));
        assert_eq!(acting_for(&alice, &customer("bob")), Err(AccessDenied::OtherCustomer));
        let checkout = Principal::new("checkout", []).with_token_ids(Some("checkout".into()), None);
        assert_eq!(acting_for(&checkout, &customer("bob")), Ok(()));
    }

    #[test]
    fn a_client_token_has_its_client_id_as_subject() {
        let customer = Principal::new("alice", []).with_token_ids(Some("checkout-web".into()), None);
        let service = Principal::new("checkout", []).with_token_ids(Some("checkout".into()), None);
        let unnamed = Principal::new("alice", []);
        assert!(!customer.is_client());
        assert!(service.is_client());
        assert!(!unnamed.is_client(), "without client_id a token stands for its subject");
    }
}
