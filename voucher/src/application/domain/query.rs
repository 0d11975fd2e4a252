//! Listing vouchers: by customer, by order, or both.

use uuid::Uuid;

use super::{CustomerId, PageLimit};

/// Which vouchers to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherQuery {
    customer_id: Option<CustomerId>,
    order_id: Option<Uuid>,
    limit: PageLimit,
}

/// A listing without any filter: there is no listing of every voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("give customer_id or order_id (or both)")]
pub struct MissingFilter;

impl VoucherQuery {
    /// # Errors
    /// [`MissingFilter`] unless a customer or an order is given.
    pub fn new(
        customer_id: Option<CustomerId>,
        order_id: Option<Uuid>,
        limit: PageLimit,
    ) -> Result<Self, MissingFilter> {
        if customer_id.is_none() && order_id.is_none() {
            return Err(MissingFilter);
        }
        Ok(Self {
            customer_id,
            order_id,
            limit,
        })
    }

    pub fn customer_id(&self) -> Option<&CustomerId> {
        self.customer_id.as_ref()
    }

    pub fn order_id(&self) -> Option<Uuid> {
        self.order_id
    }

    pub fn limit(&self) -> PageLimit {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_needs_a_customer_or_an_order() {
        assert_eq!(VoucherQuery::new(None, None, PageLimit::DEFAULT), Err(MissingFilter));
        let customer = CustomerId::parse("c1").unwrap();
        assert!(VoucherQuery::new(Some(customer), None, PageLimit::DEFAULT).is_ok());
        assert!(VoucherQuery::new(None, Some(Uuid::now_v7()), PageLimit::DEFAULT).is_ok());
    }
}
