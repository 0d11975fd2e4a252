use std::sync::Arc;

use crate::application::{
    dto::{Voucher, VoucherQuery},
    repositories::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum ListVouchersError {
    #[error("give customer_id or order_id (or both)")]
    MissingFilter,
    #[error("limit must be between 1 and {}", VoucherQuery::MAX_LIMIT)]
    InvalidLimit,
    #[error("customer_id must be 1 to 64 characters, not blank, without control characters")]
    InvalidCustomerId,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Lists a customer's or an order's vouchers, newest first.
pub struct ListVouchers {
    vouchers: Arc<dyn VoucherRepository>,
}

impl ListVouchers {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// # Errors
    /// [`ListVouchersError::MissingFilter`] without any filter (there is no listing of every
    /// voucher), [`ListVouchersError::InvalidLimit`] for a limit outside 1 to 100.
    pub async fn execute(&self, query: VoucherQuery) -> Result<Vec<Voucher>, ListVouchersError> {
        if query.customer_id.is_none() && query.order_id.is_none() {
            return Err(ListVouchersError::MissingFilter);
        }
        if !(1..=VoucherQuery::MAX_LIMIT).contains(&query.limit) {
            return Err(ListVouchersError::InvalidLimit);
        }
        if query
            .customer_id
            .as_deref()
            .is_some_and(|c| !shared::text::is_clean_text(c, 64))
        {
            return Err(ListVouchersError::InvalidCustomerId);
        }
        Ok(self.vouchers.list(&query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::repositories::MockVoucherRepository;

    #[tokio::test]
    async fn listing_without_a_filter_is_refused() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_list().never();
        let query = VoucherQuery {
            customer_id: None,
            order_id: None,
            limit: 20,
        };
        let err = ListVouchers::new(Arc::new(repo)).execute(query).await.unwrap_err();
        assert!(matches!(err, ListVouchersError::MissingFilter));
    }

    #[tokio::test]
    async fn a_filtered_listing_reaches_the_repository() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_list()
            .withf(|q| q.customer_id.as_deref() == Some("c1"))
            .times(1)
            .returning(|_| Ok(Vec::new()));
        let query = VoucherQuery {
            customer_id: Some("c1".into()),
            order_id: None,
            limit: 20,
        };
        assert!(
            ListVouchers::new(Arc::new(repo))
                .execute(query)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
