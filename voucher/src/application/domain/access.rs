//! Who may do what with vouchers. The scopes come from the caller's access token; whose
//! voucher it is comes from the token's `sub`, a customer's id.

pub use checkout_auth::{AccessDenied, Listing, Principal, Reach};
use checkout_auth::{Permission, Scope};

/// Reading one voucher or listing vouchers.
pub const READ: Permission = Permission {
    scopes: &[Scope::VouchersRead, Scope::VouchersAdmin],
    rule: "With `vouchers:read` a customer sees its own vouchers only: another customer's voucher is \
           a 404 like a missing one, a listing holds the caller's own vouchers and naming another \
           `customer_id` is a 403. `vouchers:admin` (support staff) reads any voucher.",
};

/// Whose vouchers `caller` may read.
///
/// # Errors
/// [`AccessDenied::InsufficientScope`] without `vouchers:read` or `vouchers:admin`.
pub fn reach(caller: &Principal) -> Result<Reach, AccessDenied> {
    Reach::of(caller, &READ, Scope::VouchersAdmin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::domain::CustomerId;

    fn customer(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    #[test]
    fn support_staff_read_everyones_vouchers_and_a_customer_its_own() {
        let staff = Principal::new("staff-1", [Scope::VouchersAdmin]);
        assert_eq!(reach(&staff), Ok(Reach::Everyone));
        let alice = Principal::new("alice", [Scope::VouchersRead]);
        assert_eq!(reach(&alice), Ok(Reach::Customer(Some(customer("alice")))));
        let orders_only = Principal::new("alice", [Scope::OrdersWrite, Scope::OrdersAdmin]);
        assert_eq!(reach(&orders_only), Err(AccessDenied::InsufficientScope(READ.scopes)));
    }
}
