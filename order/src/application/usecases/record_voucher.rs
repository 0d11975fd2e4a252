use std::sync::Arc;

use crate::application::{
    domain::Voucher,
    ports::{RepositoryError, VoucherRepository},
};

/// Keeps the order service's copy of a voucher the voucher service announced, so that a
/// customer can spend it at checkout. An announcement heard twice changes nothing.
pub struct RecordVoucher {
    vouchers: Arc<dyn VoucherRepository>,
}

impl RecordVoucher {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// Whether the voucher was new. Runs inside the caller's span, which names the event.
    ///
    /// # Errors
    /// A repository failure (the event should be retried; retrying is safe).
    #[tracing::instrument(name = "record_voucher", skip_all, fields(voucher_id = %voucher.id))]
    pub async fn execute(&self, voucher: &Voucher) -> Result<bool, RepositoryError> {
        let new = self.vouchers.record(voucher).await?;
        if new {
            metrics::counter!("vouchers_known_total").increment(1);
            tracing::info!(customer_id = %voucher.customer_id, expires_at = %voucher.expires_at, "voucher can be spent at checkout");
        } else {
            tracing::info!("voucher already known; duplicate announcement absorbed");
        }
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::application::{domain::voucher_fixtures::digest, ports::MockVoucherRepository};

    fn voucher() -> Voucher {
        let now = Utc::now();
        Voucher::parse(
            Uuid::now_v7(),
            digest(),
            "alice".into(),
            500,
            "EUR",
            now,
            now + chrono::Duration::days(1),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn an_announced_voucher_is_recorded_and_a_second_announcement_is_absorbed() {
        let v = voucher();
        let id = v.id;
        let mut repo = MockVoucherRepository::new();
        let mut seen = false;
        repo.expect_record()
            .withf(move |recorded| recorded.id == id)
            .times(2)
            .returning(move |_| Ok(!std::mem::replace(&mut seen, true)));
        let record = RecordVoucher::new(Arc::new(repo));
        assert!(record.execute(&v).await.unwrap());
        assert!(!record.execute(&v).await.unwrap());
    }

    #[tokio::test]
    async fn a_storage_failure_is_an_error_to_retry() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_record()
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        let err = RecordVoucher::new(Arc::new(repo))
            .execute(&voucher())
            .await
            .unwrap_err();
        assert!(matches!(err, RepositoryError::Unavailable(_)));
    }
}
