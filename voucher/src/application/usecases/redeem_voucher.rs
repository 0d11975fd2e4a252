use std::sync::Arc;

use chrono::Utc;

use crate::application::{
    domain::{
        AlreadyRedeemed, Voucher, VoucherCode,
        access::{self, AccessDenied, Principal},
    },
    ports::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum RedeemVoucherError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
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

    /// Redeems `caller`'s own voucher with `code`.
    ///
    /// # Errors
    /// [`RedeemVoucherError::Forbidden`] if `caller`'s token may not redeem (nothing is read),
    /// [`RedeemVoucherError::NotFound`] when no voucher has the code or it is another
    /// customer's (then it stays as it was), [`RedeemVoucherError::AlreadyRedeemed`] on every
    /// attempt after the first success, or a repository failure.
    #[tracing::instrument(name = "redeem_voucher", skip_all)]
    pub async fn execute(&self, caller: &Principal, code: &VoucherCode) -> Result<Voucher, RedeemVoucherError> {
        access::REDEEM.check(caller)?;
        let mut voucher = self
            .vouchers
            .find_by_code(code)
            .await?
            .ok_or(RedeemVoucherError::NotFound)?;
        if !access::is_owner(caller, voucher.customer_id()) {
            return Err(RedeemVoucherError::NotFound);
        }
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
    use checkout_auth::Scope;

    use super::*;
    use crate::application::{
        domain::{VoucherStatus, fixtures::voucher},
        ports::MockVoucherRepository,
    };

    /// The owner of `voucher`, allowed to redeem.
    fn owner(voucher: &Voucher) -> Principal {
        Principal::new(voucher.customer_id().as_str(), [Scope::VouchersRedeem])
    }

    #[tokio::test]
    async fn an_active_voucher_is_redeemed_by_its_owner_and_saved() {
        let active = voucher();
        let caller = owner(&active);
        let code = active.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(move |_| Ok(Some(active.clone())));
        repo.expect_save_redemption()
            .withf(|v| v.status() == VoucherStatus::Redeemed && v.redeemed_at().is_some())
            .times(1)
            .returning(|_| Ok(true));
        let redeemed = RedeemVoucher::new(Arc::new(repo))
            .execute(&caller, &code)
            .await
            .unwrap();
        assert_eq!(redeemed.status(), VoucherStatus::Redeemed);
    }

    #[tokio::test]
    async fn another_customers_voucher_is_not_found_and_saves_nothing() {
        let theirs = voucher();
        let code = theirs.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(move |_| Ok(Some(theirs.clone())));
        repo.expect_save_redemption().never();
        let caller = Principal::new("someone-else", [Scope::VouchersRedeem, Scope::VouchersRead]);
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute(&caller, &code)
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::NotFound), "{err:?}");
    }

    #[tokio::test]
    async fn a_token_without_the_redeem_scope_is_refused_before_anything_is_read() {
        let active = voucher();
        let callers = [
            Principal::new(active.customer_id().as_str(), [Scope::VouchersRead]),
            Principal::new(active.customer_id().as_str(), [Scope::VouchersAdmin]),
        ];
        for caller in callers {
            let mut repo = MockVoucherRepository::new();
            repo.expect_find_by_code().never();
            repo.expect_save_redemption().never();
            let err = RedeemVoucher::new(Arc::new(repo))
                .execute(&caller, active.code())
                .await
                .unwrap_err();
            assert!(
                matches!(err, RedeemVoucherError::Forbidden(AccessDenied::InsufficientScope(s)) if s == access::REDEEM.scopes),
                "{caller:?}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_second_redemption_is_refused_and_saves_nothing() {
        let mut redeemed = voucher();
        redeemed.redeem(Utc::now()).unwrap();
        let caller = owner(&redeemed);
        let code = redeemed.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code()
            .returning(move |_| Ok(Some(redeemed.clone())));
        repo.expect_save_redemption().never();
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute(&caller, &code)
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::AlreadyRedeemed(_)));
    }

    #[tokio::test]
    async fn losing_a_race_is_an_already_redeemed() {
        let active = voucher();
        let caller = owner(&active);
        let code = active.code().clone();
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(move |_| Ok(Some(active.clone())));
        repo.expect_save_redemption().times(1).returning(|_| Ok(false));
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute(&caller, &code)
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::AlreadyRedeemed(_)));
    }

    #[tokio::test]
    async fn an_unknown_code_is_not_found() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(|_| Ok(None));
        repo.expect_save_redemption().never();
        let caller = Principal::new("cust-3", [Scope::VouchersRedeem]);
        let err = RedeemVoucher::new(Arc::new(repo))
            .execute(&caller, &VoucherCode::generate())
            .await
            .unwrap_err();
        assert!(matches!(err, RedeemVoucherError::NotFound));
    }
}
