use std::sync::Arc;

use chrono::Utc;

use crate::application::{
    domain::{AlreadyRedeemed, Voucher, VoucherCode},
    ports::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum RedeemVoucherError {
    #[error("no voucher has this code")]
    NotFound,
    #[error(transparent)]
    AlreadyRedeemed(#[from] AlreadyRedeemed),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Redeems a voucher once: the voucher decides, the store's compare-and-set settles races.
pub struct RedeemVoucher {
    vouchers: Arc<dyn VoucherRepository>,
}

impl RedeemVoucher {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// # Errors
    /// [`RedeemVoucherError::AlreadyRedeemed`] on every attempt after the first success,
    /// [`RedeemVoucherError::NotFound`], or a repository failure.
    #[tracing::instrument(name = "redeem_voucher", skip_all)]
    pub async fn execute(&self, code: &VoucherCode) -> Result<Voucher, RedeemVoucherError> {
        let mut voucher = self
            .vouchers
            .find_by_code(code)
            .await?
            .ok_or(RedeemVoucherError::NotFound)?;
        voucher.redeem(Utc::now())?;
        if !self.vouchers.save_redemption(&voucher).await? {
            // Another request redeemed it between the read and the write.
            return Err(AlreadyRedeemed.into());
        }
        tracing::info!(voucher_id = %voucher.id(), order_id = %voucher.order_id(), "voucher redeemed");
        metrics::counter!("vouchers_redeemed_total").increment(1);
        Ok(voucher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{
        domain::{VoucherStatus, fixtures::voucher},
        ports::MockVoucherRepository,
    };

    #[tokio::test]
    async fn an_active_voucher_is_redeemed_and_saved() {
        let active = voucher();
        let code = active.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(move |_| Ok(Some(active.clone())));
        repo.expect_save_redemption()
            .withf(|v| v.status() == VoucherStatus::Redeemed && v.redeemed_at().is_some())
            .times(1)
            .returning(|_| Ok(true));
        let redeemed = RedeemVoucher::new(Arc::new(repo)).execute(&code).await.unwrap();
        assert_eq!(redeemed.status(), VoucherStatus::Redeemed);
    }

    #[tokio::test]
    async fn a_second_redemption_is_refused_and_saves_nothing() {
        let mut redeemed = voucher();
        redeemed.redeem(Utc::now()).unwrap();
        let code = redeemed.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code()
            .returning(move |_| Ok(Some(redeemed.clone())));
        repo.expect_save_redemption().never();
        let err = RedeemVoucher::new(Arc::new(repo)).execute(&code).await.unwrap_err();
        assert!(matches!(err, RedeemVoucherError::AlreadyRedeemed(_)));
    }

    #[tokio::test]
    async fn losing_a_race_is_an_already_redeemed() {
        let active = voucher();
        let code = active.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(move |_| Ok(Some(active.clone())));
        repo.expect_save_redemption().times(1).returning(|_| Ok(false));
        let err = RedeemVoucher::new(Arc::new(repo)).execute(&code).await.unwrap_err();
        assert!(matches!(err, RedeemVoucherError::AlreadyRedeemed(_)));
    }

    #[tokio::test]
    async fn an_unknown_code_is_not_found() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(|_| Ok(None));
        repo.expect_save_redemption().never();
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute(&VoucherCode::generate())
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::NotFound));
    }
}
