use std::sync::Arc;

use chrono::{SubsecRound, Utc};

use crate::application::{
    dto::{InvalidCode, Voucher, VoucherCode},
    repositories::{RedeemOutcome, RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum RedeemVoucherError {
    #[error(transparent)]
    InvalidCode(#[from] InvalidCode),
    #[error("voucher {0} not found")]
    NotFound(VoucherCode),
    #[error("voucher {0} was already redeemed")]
    AlreadyRedeemed(VoucherCode),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Redeems a voucher once.
pub struct RedeemVoucher {
    vouchers: Arc<dyn VoucherRepository>,
}

impl RedeemVoucher {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// # Errors
    /// [`RedeemVoucherError::AlreadyRedeemed`] on every attempt after the first success,
    /// [`RedeemVoucherError::NotFound`] or [`RedeemVoucherError::InvalidCode`].
    #[tracing::instrument(name = "redeem_voucher", skip(self))]
    pub async fn execute(&self, code: &str) -> Result<Voucher, RedeemVoucherError> {
        let code = VoucherCode::parse(code)?;
        match self.vouchers.redeem(&code, Utc::now().trunc_subsecs(6)).await? {
            RedeemOutcome::Redeemed(voucher) => {
                tracing::info!(voucher_id = %voucher.id, order_id = %voucher.order_id, "voucher redeemed");
                metrics::counter!("vouchers_redeemed_total").increment(1);
                Ok(voucher)
            }
            RedeemOutcome::AlreadyRedeemed(_) => Err(RedeemVoucherError::AlreadyRedeemed(code)),
            RedeemOutcome::NotFound => Err(RedeemVoucherError::NotFound(code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::repositories::MockVoucherRepository;

    #[tokio::test]
    async fn a_second_redemption_is_refused() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_redeem().returning(|code, _| {
            Ok(RedeemOutcome::AlreadyRedeemed(crate::application::dto::Voucher {
                id: uuid::Uuid::now_v7(),
                code: code.clone(),
                customer_id: "c".into(),
                order_id: uuid::Uuid::now_v7(),
                amount_cents: 500,
                currency: "EUR".into(),
                status: crate::application::dto::VoucherStatus::Redeemed,
                issued_at: Utc::now(),
                redeemed_at: Some(Utc::now()),
            }))
        });
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute("7K3M-QX9P-2HBD-W4RT")
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::AlreadyRedeemed(_)));
    }

    #[tokio::test]
    async fn an_unknown_code_is_not_found() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_redeem().returning(|_, _| Ok(RedeemOutcome::NotFound));
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute("7K3M-QX9P-2HBD-W4RT")
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::NotFound(_)));
    }
}
