use std::sync::Arc;

use crate::application::{
    domain::{
        Voucher, VoucherCode,
        access::{self, AccessDenied, Principal},
    },
    ports::{RepositoryError, VoucherRepository},
};

#[derive(Debug, thiserror::Error)]
pub enum GetVoucherError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
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

    /// The voucher with `code`, if `caller` may see it.
    ///
    /// # Errors
    /// [`GetVoucherError::Forbidden`] if `caller`'s token may not read vouchers,
    /// [`GetVoucherError::NotFound`] when no voucher has the code or it is another customer's
    /// (the same answer, so that codes cannot be probed), or a repository failure.
    pub async fn execute(&self, caller: &Principal, code: &VoucherCode) -> Result<Voucher, GetVoucherError> {
        let reach = access::reach(caller)?;
        self.vouchers
            .find_by_code(code)
            .await?
            .filter(|voucher| reach.covers(voucher.customer_id()))
            .ok_or(GetVoucherError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;
    use crate::application::{domain::fixtures::voucher, ports::MockVoucherRepository};

    /// A repository holding `voucher` only.
    fn holding(voucher: Voucher) -> MockVoucherRepository {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code()
            .returning(move |code| Ok(Some(voucher.clone()).filter(|v| v.code() == code)));
        repo
    }

    async fn get(
        repo: MockVoucherRepository,
        caller: &Principal,
        code: &VoucherCode,
    ) -> Result<Voucher, GetVoucherError> {
        GetVoucher::new(Arc::new(repo)).execute(caller, code).await
    }

    #[tokio::test]
    async fn a_customer_reads_its_own_voucher() {
        let own = voucher();
        let caller = Principal::new(own.customer_id().as_str(), [Scope::VouchersRead]);
        let found = get(holding(own.clone()), &caller, own.code()).await.unwrap();
        assert_eq!(found, own);
    }

    #[tokio::test]
    async fn another_customers_voucher_is_not_found_like_an_unknown_code() {
        let theirs = voucher();
        let caller = Principal::new("someone-else", [Scope::VouchersRead]);
        let err = get(holding(theirs.clone()), &caller, theirs.code()).await.unwrap_err();
        assert!(matches!(err, GetVoucherError::NotFound), "{err:?}");
        let unknown = get(holding(theirs), &caller, &VoucherCode::generate())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), unknown.to_string());
    }

    #[tokio::test]
    async fn support_staff_read_any_voucher() {
        let theirs = voucher();
        let staff = Principal::new("staff-1", [Scope::VouchersAdmin]);
        assert_eq!(
            get(holding(theirs.clone()), &staff, theirs.code()).await.unwrap(),
            theirs
        );
    }

    #[tokio::test]
    async fn a_token_without_a_read_scope_is_refused_before_anything_is_read() {
        let own = voucher();
        let caller = Principal::new(own.customer_id().as_str(), [Scope::OrdersWrite, Scope::OrdersAdmin]);
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().never();
        let err = get(repo, &caller, own.code()).await.unwrap_err();
        assert!(
            matches!(err, GetVoucherError::Forbidden(AccessDenied::InsufficientScope(s)) if s == access::READ.scopes),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_code_is_not_found() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_find_by_code().returning(|_| Ok(None));
        let staff = Principal::new("staff-1", [Scope::VouchersAdmin]);
        let err = get(repo, &staff, &VoucherCode::generate()).await.unwrap_err();
        assert!(matches!(err, GetVoucherError::NotFound));
    }
}
