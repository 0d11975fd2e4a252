//! Who may do what with orders. The scopes come from the caller's access token; whose order
//! it is comes from the token's `sub` (a customer's id) or, for a service's own token
//! (client credentials), from the request.

pub use checkout_auth::{AccessDenied, Listing, Principal, Reach, acting_for};
use checkout_auth::{Permission, Scope};

/// Creating an order.
pub const CREATE: Permission = Permission {
    scopes: &[Scope::OrdersWrite],
    rule: "A customer's token creates orders for its own customer id (the token's `sub`) only; \
           naming another customer is a 403. A service's own token (client credentials: `sub` = \
           `client_id`) may name any customer, to check out on a customer's behalf.",
};

/// Reading one order or listing orders.
pub const READ: Permission = Permission {
    scopes: &[Scope::OrdersRead, Scope::OrdersAdmin],
    rule: "With `orders:read` a customer sees its own orders only: another customer's order is a \
           404, a listing holds the caller's own orders and naming another `customer_id` is a 403. \
           `orders:admin` (support staff) reads any order.",
};

/// Changing an order's status.
pub const CHANGE_STATUS: Permission = Permission {
    scopes: &[Scope::OrdersStatus],
    rule: "For the fulfilment service: it may change any order's status.",
};

/// Reading the catalog: the shop's price list, the same for every caller.
pub const READ_CATALOG: Permission = Permission {
    scopes: &[
        Scope::OrdersWrite,
        Scope::OrdersRead,
        Scope::OrdersStatus,
        Scope::OrdersAdmin,
        Scope::CatalogWrite,
    ],
    rule: "Any caller of the order service: every customer and service sees the same catalog.",
};

/// Creating, replacing and deactivating products.
pub const WRITE_CATALOG: Permission = Permission {
    scopes: &[Scope::CatalogWrite],
    rule: "For the shop's staff and its product-information system; customers cannot change prices.",
};

/// Whose orders `caller` may read.
///
/// # Errors
/// [`AccessDenied::InsufficientScope`] without `orders:read` or `orders:admin`.
pub fn reach(caller: &Principal) -> Result<Reach, AccessDenied> {
    Reach::of(caller, &READ, Scope::OrdersAdmin)
}
