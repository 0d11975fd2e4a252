use std::sync::Arc;

use crate::application::{
    domain::{Voucher, VoucherQuery},
    ports::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum ListVouchersError {
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
    /// A repository failure.
    pub async fn execute(&self, query: VoucherQuery) -> Result<Vec<Voucher>, ListVouchersError> {
        Ok(self.vouchers.list(&query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{
        domain::{CustomerId, PageLimit},
        ports::MockVoucherRepository,
    };

    #[tokio::test]
    async fn a_filtered_listing_reaches_the_repository() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_list()
            .withf(|q| q.customer_id().map(CustomerId::as_str) == Some("c1"))
            .times(1)
            .returning(|_| Ok(Vec::new()));
        let query = VoucherQuery::new(Some(CustomerId::parse("c1").unwrap()), None, PageLimit::DEFAULT).unwrap();
        let vouchers = ListVouchers::new(Arc::new(repo)).execute(query).await.unwrap();
        assert!(vouchers.is_empty());
    }
}
