//! Who may do what with vouchers. The scopes come from the caller's access token; whose
//! voucher it is comes from the token's `sub`, a customer's id.

pub use checkout_auth::{AccessDenied, Listing, Principal, Reach};
use checkout_auth::{Permission, Scope};

use super::CustomerId;

/// Reading one voucher or listing vouchers.
pub const READ: Permission = Permission {
    scopes: &[Scope::VouchersRead, Scope::VouchersAdmin],
    rule: "With `vouchers:read` a customer sees its own vouchers only: another customer's voucher is \
           a 404 like a missing one, a listing holds the caller's own vouchers and naming another \
           `customer_id` is a 403. `vouchers:admin` (support staff) reads any voucher.",
};

/// Redeeming a voucher.
pub const REDEEM: Permission = Permission {
    scopes: &[Scope::VouchersRedeem],
    rule: "A customer redeems its own vouchers only: another customer's voucher is a 404 like a \
           missing one and stays as it was. `vouchers:admin` does not redeem.",
};

/// Whose vouchers `caller` may read.
///
/// # Errors
/// [`AccessDenied::InsufficientScope`] without `vouchers:read` or `vouchers:admin`.
pub fn reach(caller: &Principal) -> Result<Reach, AccessDenied> {
    Reach::of(caller, &READ, Scope::VouchersAdmin)
}

/// Whether `caller` is `owner`, the customer whose voucher it is (its `sub` is the customer
/// id): only the owner redeems a voucher, whatever else its token grants.
pub fn is_owner(caller: &Principal, owner: &CustomerId) -> bool {
    caller.subject() == owner.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    #[test]
    fn support_staff_read_everyones_vouchers_and_a_customer_its_own() {
        let staff = Principal::new("staff-1", [Scope::VouchersAdmin]);
        assert_eq!(reach(&staff), Ok(Reach::Everyone));
        let alice = Principal::new("alice", [Scope::VouchersRead]);
        assert_eq!(reach(&alice), Ok(Reach::Customer(Some(customer("alice")))));
        let redeemer = Principal::new("alice", [Scope::VouchersRedeem, Scope::OrdersAdmin]);
        assert_eq!(reach(&redeemer), Err(AccessDenied::InsufficientScope(READ.scopes)));
    }

    #[test]
    fn only_the_owner_redeems_and_admin_grants_no_redemption() {
        let alice = Principal::new("alice", [Scope::VouchersRedeem]);
        assert_eq!(REDEEM.check(&alice), Ok(()));
        assert!(is_owner(&alice, &customer("alice")));
        assert!(!is_owner(&alice, &customer("bob")));
        let staff = Principal::new("staff-1", [Scope::VouchersAdmin, Scope::VouchersRead]);
        assert_eq!(
            REDEEM.check(&staff),
            Err(AccessDenied::InsufficientScope(REDEEM.scopes))
        );
    }
}
