use std::sync::Arc;

use uuid::Uuid;

use crate::application::{
    domain::{
        CustomerId, MissingFilter, PageLimit, Voucher, VoucherQuery,
        access::{self, AccessDenied, Listing, Principal},
    },
    ports::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum ListVouchersError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error(transparent)]
    MissingFilter(#[from] MissingFilter),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The filters of a listing, as the caller gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherFilters {
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<Uuid>,
    pub limit: PageLimit,
}

/// Lists a customer's or an order's vouchers, newest first.
pub struct ListVouchers {
    vouchers: Arc<dyn VoucherRepository>,
}

impl ListVouchers {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// The vouchers matching `filters` that `caller` may see. A customer's listing is always
    /// of its own vouchers: without `customer_id` it is narrowed to the caller, and an
    /// `order_id` finds the voucher only if it is the caller's.
    ///
    /// # Errors
    /// [`ListVouchersError::Forbidden`] if `caller`'s token may not read vouchers or a customer
    /// names another customer, [`ListVouchersError::MissingFilter`] when support staff give
    /// no filter, or a repository failure.
    pub async fn execute(
        &self,
        caller: &Principal,
        filters: VoucherFilters,
    ) -> Result<Vec<Voucher>, ListVouchersError> {
        let customer_id = match access::reach(caller)?.listing(filters.customer_id)? {
            Listing::Of(customer_id) => customer_id,
            Listing::Nothing => return Ok(Vec::new()),
        };
        let query = VoucherQuery::new(customer_id, filters.order_id, filters.limit)?;
        Ok(self.vouchers.list(&query).await?)
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;
    use crate::application::ports::MockVoucherRepository;

    fn customer(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    fn filters(customer_id: Option<&str>, order_id: Option<Uuid>) -> VoucherFilters {
        VoucherFilters {
            customer_id: customer_id.map(customer),
            order_id,
            limit: PageLimit::DEFAULT,
        }
    }

    /// A repository expecting one listing of exactly `customer_id` and `order_id`.
    fn expecting(customer_id: Option<&'static str>, order_id: Option<Uuid>) -> MockVoucherRepository {
        let mut repo = MockVoucherRepository::new();
        repo.expect_list()
            .withf(move |q| q.customer_id().map(CustomerId::as_str) == customer_id && q.order_id() == order_id)
            .times(1)
            .returning(|_| Ok(Vec::new()));
        repo
    }

    fn refusing() -> MockVoucherRepository {
        let mut repo = MockVoucherRepository::new();
        repo.expect_list().never();
        repo
    }

    async fn list(
        repo: MockVoucherRepository,
        caller: &Principal,
        filters: VoucherFilters,
    ) -> Result<Vec<Voucher>, ListVouchersError> {
        ListVouchers::new(Arc::new(repo)).execute(caller, filters).await
    }

    #[tokio::test]
    async fn a_customers_listing_is_narrowed_to_its_own_vouchers() {
        let alice = Principal::new("alice", [Scope::VouchersRead]);
        let order = Uuid::now_v7();
        list(expecting(Some("alice"), None), &alice, filters(None, None))
            .await
            .unwrap();
        list(expecting(Some("alice"), None), &alice, filters(Some("alice"), None))
            .await
            .unwrap();
        list(
            expecting(Some("alice"), Some(order)),
            &alice,
            filters(None, Some(order)),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_customer_naming_another_customer_is_refused_and_nothing_is_read() {
        let alice = Principal::new("alice", [Scope::VouchersRead]);
        let err = list(refusing(), &alice, filters(Some("bob"), None)).await.unwrap_err();
        assert!(
            matches!(err, ListVouchersError::Forbidden(AccessDenied::OtherCustomer)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_token_without_a_read_scope_is_refused_and_nothing_is_read() {
        let alice = Principal::new("alice", [Scope::OrdersWrite]);
        let err = list(refusing(), &alice, filters(Some("alice"), None))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ListVouchersError::Forbidden(AccessDenied::InsufficientScope(s)) if s == access::READ.scopes),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn support_staff_list_any_customers_vouchers_but_must_filter() {
        let staff = Principal::new("staff-1", [Scope::VouchersAdmin]);
        list(expecting(Some("bob"), None), &staff, filters(Some("bob"), None))
            .await
            .unwrap();
        let order = Uuid::now_v7();
        list(expecting(None, Some(order)), &staff, filters(None, Some(order)))
            .await
            .unwrap();
        let err = list(refusing(), &staff, filters(None, None)).await.unwrap_err();
        assert!(matches!(err, ListVouchersError::MissingFilter(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_subject_that_is_no_customer_id_lists_nothing() {
        let odd = Principal::new("x".repeat(500), [Scope::VouchersRead]);
        let vouchers = list(refusing(), &odd, filters(None, None)).await.unwrap();
        assert!(vouchers.is_empty());
    }
}
