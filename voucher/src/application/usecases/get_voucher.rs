use std::sync::Arc;

use crate::application::{
    domain::{Voucher, VoucherCode},
    ports::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum GetVoucherError {
    #[error("no voucher has this code")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Reads one voucher by its code.
pub struct GetVoucher {
    vouchers: Arc<dyn VoucherRepository>,
}

impl GetVoucher {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// # Errors
    /// [`GetVoucherError::NotFound`] when no voucher has the code, or a repository failure.
    pub async fn execute(&self, code: &VoucherCode) -> Result<Voucher, GetVoucherError> {
        self.vouchers.find_by_code(code).await?.ok_or(GetVoucherError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::MockVoucherRepository;

    #[tokio::test]
    async fn an_unknown_code_is_not_found() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(|_| Ok(None));
        let err = GetVoucher::new(Arc::new(repo))
            .execute(&VoucherCode::generate())
            .await
            .unwrap_err();
        assert!(matches!(err, GetVoucherError::NotFound));
    }
}
