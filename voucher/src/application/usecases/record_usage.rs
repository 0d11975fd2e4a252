use std::sync::Arc;

use crate::application::{
    domain::{CustomerId, Usage, VoucherId},
    ports::{RepositoryError, UsageOutcome, VoucherRepository},
};

/// What the order service said an order did with a voucher, in the domain's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageNews {
    pub voucher_id: VoucherId,
    /// The order's customer: the voucher must be theirs.
    pub customer_id: CustomerId,
    pub usage: Usage,
}

/// Adds what an order did with a voucher (reserved, released, redeemed) to its history. The
/// history is a set and the status is derived from it ([`Voucher::status`]), so news that
/// arrives twice, late or out of order changes nothing.
///
/// [`Voucher::status`]: crate::application::domain::Voucher::status
pub struct RecordUsage {
    vouchers: Arc<dyn VoucherRepository>,
}

impl RecordUsage {
    pub fn new(vouchers: Arc<dyn VoucherRepository>) -> Self {
        Self { vouchers }
    }

    /// Runs inside the caller's span, which names the event and the order.
    ///
    /// # Errors
    /// A repository failure (the event should be retried; retrying is safe).
    #[tracing::instrument(name = "record_usage", skip_all, fields(voucher_id = %news.voucher_id, kind = news.usage.kind.as_str()))]
    pub async fn execute(&self, news: &UsageNews) -> Result<UsageOutcome, RepositoryError> {
        let outcome = self
            .vouchers
            .record_usage(news.voucher_id, &news.customer_id, &news.usage)
            .await?;
        match outcome {
            UsageOutcome::Recorded => {
                tracing::info!("voucher usage recorded");
                metrics::counter!("voucher_usages_recorded_total", "kind" => news.usage.kind.as_str()).increment(1);
            }
            UsageOutcome::AlreadyRecorded => tracing::info!("voucher usage already recorded"),
            UsageOutcome::UnknownVoucher => {
                tracing::warn!(customer_id = %news.customer_id, "no such voucher of this customer");
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::application::{
        domain::{OrderId, UsageKind},
        ports::MockVoucherRepository,
    };

    fn news(kind: UsageKind) -> UsageNews {
        UsageNews {
            voucher_id: VoucherId::generate(),
            customer_id: CustomerId::parse("cust-3").unwrap(),
            usage: Usage {
                kind,
                order_id: Some(OrderId::from_uuid(Uuid::now_v7())),
                at: Utc::now(),
            },
        }
    }

    #[tokio::test]
    async fn each_kind_is_recorded_for_its_voucher_and_customer_and_the_outcome_told() {
        for (kind, outcome) in [
            (UsageKind::Reserved, UsageOutcome::Recorded),
            (UsageKind::Released, UsageOutcome::AlreadyRecorded),
            (UsageKind::Redeemed, UsageOutcome::UnknownVoucher),
        ] {
            let news = news(kind);
            let expected = news.clone();
            let mut vouchers = MockVoucherRepository::new();
            vouchers
                .expect_record_usage()
                .withf(move |voucher, customer, usage| {
                    *voucher == expected.voucher_id && *customer == expected.customer_id && *usage == expected.usage
                })
                .times(1)
                .returning(move |_, _, _| Ok(outcome));
            let recorded = RecordUsage::new(Arc::new(vouchers)).execute(&news).await;
            assert_eq!(recorded.unwrap(), outcome, "{kind:?}");
        }
    }

    #[tokio::test]
    async fn a_storage_failure_is_reported_for_a_retry() {
        let mut vouchers = MockVoucherRepository::new();
        vouchers
            .expect_record_usage()
            .times(1)
            .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
        let err = RecordUsage::new(Arc::new(vouchers))
            .execute(&news(UsageKind::Reserved))
            .await
            .unwrap_err();
        assert!(matches!(err, RepositoryError::Unavailable(_)));
    }
}
