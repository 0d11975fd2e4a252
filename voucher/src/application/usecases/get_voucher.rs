use std::sync::Arc;

use crate::application::{
    dto::{InvalidCode, Voucher, VoucherCode},
    repositories::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum GetVoucherError {
    #[error(transparent)]
    InvalidCode(#[from] InvalidCode),
    #[error("voucher {0} not found")]
    NotFound(VoucherCode),
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
    /// [`GetVoucherError::InvalidCode`] for input that cannot be a code,
    /// [`GetVoucherError::NotFound`] when no voucher has it.
    pub async fn execute(&self, code: &str) -> Result<Voucher, GetVoucherError> {
        let code = VoucherCode::parse(code)?;
        self.vouchers
            .find_by_code(&code)
            .await?
            .ok_or(GetVoucherError::NotFound(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::repositories::MockVoucherRepository;

    #[tokio::test]
    async fn a_malformed_code_is_refused_without_a_lookup() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().never();
        let err = GetVoucher::new(Arc::new(repo)).execute("nope").await.unwrap_err();
        assert!(matches!(err, GetVoucherError::InvalidCode(_)));
    }

    #[tokio::test]
    async fn an_unknown_code_is_not_found() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(|_| Ok(None));
        let err = GetVoucher::new(Arc::new(repo))
            .execute("7K3M-QX9P-2HBD-W4RT")
            .await
            .unwrap_err();
        assert!(matches!(err, GetVoucherError::NotFound(_)));
    }
}
