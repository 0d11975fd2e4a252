use std::sync::Arc;

use checkout_domain::InvalidText;
use chrono::Utc;

use checkout_contract::trace::TraceContext;

use crate::application::{
    domain::{Decision, InvalidSentOrder, NotEligible, SentOrder, Validity, Voucher, VoucherCode, VoucherPolicy},
    events::voucher_issued,
    ports::{InsertOutcome, RelaySignal, RepositoryError, VoucherRepository},
};

/// Fresh codes to try when one collides. With 80-bit codes a single collision is already
/// astronomically unlikely; several in a row mean something is wrong with the generator.
const MAX_CODE_ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum IssueVoucherError {
    /// The event names a customer id that breaks the domain's rule for an order that would
    /// earn a voucher: it can never be processed.
    #[error("the event's customer_id {0}")]
    InvalidCustomer(#[source] InvalidText),
    #[error("{MAX_CODE_ATTEMPTS} generated voucher codes in a row were already taken")]
    CodesExhausted,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// What an `order.sent` event led to. Every outcome is a success: a redelivered event
/// finds the voucher already there and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued(Voucher),
    AlreadyIssued,
    NotEligible(NotEligible),
}

/// Issues one voucher per sent order that the policy finds eligible, valid for `validity`,
/// and announces it (`voucher.issued`, through the outbox).
pub struct IssueVoucher {
    vouchers: Arc<dyn VoucherRepository>,
    policy: VoucherPolicy,
    validity: Validity,
    relay: Arc<dyn RelaySignal>,
}

impl IssueVoucher {
    /// `relay` hears of every voucher stored, so that its event leaves at once.
    pub fn new(
        vouchers: Arc<dyn VoucherRepository>,
        policy: VoucherPolicy,
        validity: Validity,
        relay: Arc<dyn RelaySignal>,
    ) -> Self {
        Self {
            vouchers,
            policy,
            validity,
            relay,
        }
    }

    /// Runs inside the caller's span, which names the event and the order; `trace` is the
    /// correlation of that event, carried on by the voucher's.
    ///
    /// # Errors
    /// A repository failure (the event should be retried; retrying is safe), or
    /// [`IssueVoucherError::CodesExhausted`].
    #[tracing::instrument(name = "issue_voucher", skip_all, fields(total_cents = order.total.amount.get()))]
    pub async fn execute(&self, order: &SentOrder, trace: &TraceContext) -> Result<IssueOutcome, IssueVoucherError> {
        let value = match self.policy.decide(order.total) {
            Decision::Issue(value) => value,
            Decision::NotEligible(reason) => return Ok(not_eligible(reason)),
        };
        for _ in 0..MAX_CODE_ATTEMPTS {
            let voucher = Voucher::issue(
                VoucherCode::generate(),
                order.customer_id.clone(),
                order.order_id.as_uuid(),
                value,
                Utc::now(),
                self.validity,
            );
            match self.vouchers.insert(&voucher, &voucher_issued(&voucher, trace)).await? {
                InsertOutcome::Inserted => {
                    self.relay.event_stored();
                    tracing::info!(voucher_id = %voucher.id(), customer_id = %voucher.customer_id(), expires_at = %voucher.expires_at(), "voucher issued");
                    metrics::counter!("vouchers_issued_total").increment(1);
                    return Ok(IssueOutcome::Issued(voucher));
                }
                InsertOutcome::OrderAlreadyHasVoucher => {
                    tracing::info!("order already has a voucher; duplicate event absorbed");
                    return Ok(IssueOutcome::AlreadyIssued);
                }
                InsertOutcome::CodeTaken => {
                    tracing::warn!("generated voucher code collided; trying another")
                }
            }
        }
        Err(IssueVoucherError::CodesExhausted)
    }

    /// What a sent order whose values break a rule of the domain leads to: nothing to issue
    /// when the policy finds it not eligible anyway (another currency, a total at or below
    /// the threshold), else an error, since a voucher cannot be issued to a customer id that
    /// breaks the domain's rule. Runs inside the caller's span, like [`Self::execute`].
    ///
    /// # Errors
    /// [`IssueVoucherError::InvalidCustomer`] for an order that can never be processed.
    #[tracing::instrument(name = "issue_voucher", skip_all, fields(total_cents = order.total_cents()))]
    pub fn refuse(&self, order: &InvalidSentOrder) -> Result<IssueOutcome, IssueVoucherError> {
        match self.policy.decide_invalid(order) {
            Ok(reason) => Ok(not_eligible(reason)),
            Err(customer) => Err(IssueVoucherError::InvalidCustomer(customer)),
        }
    }
}

fn not_eligible(reason: NotEligible) -> IssueOutcome {
    tracing::info!(%reason, "order not eligible for a voucher");
    IssueOutcome::NotEligible(reason)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use mockall::Sequence;

    use super::*;

    use crate::application::domain::{VoucherStatus, parse_sent_order as parse};
    use crate::application::{
        domain::{Cents, Currency},
        ports::{MockRelaySignal, MockVoucherRepository},
    };

    fn order(total_cents: i64) -> SentOrder {
        parse("cust-3", total_cents, "EUR").unwrap()
    }

    /// A relay that may hear of any number of stored vouchers.
    fn relay() -> Arc<MockRelaySignal> {
        let mut relay = MockRelaySignal::new();
        relay.expect_event_stored().return_const(());
        Arc::new(relay)
    }

    fn issue(repo: MockVoucherRepository) -> IssueVoucher {
        IssueVoucher::new(Arc::new(repo), VoucherPolicy::default(), Validity::default(), relay())
    }

    #[tokio::test]
    async fn an_order_of_exactly_100_eur_earns_nothing() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert().never();
        let outcome = issue(repo)
            .execute(&order(10_000), &TraceContext::default())
            .await
            .unwrap();
        assert!(matches!(outcome, IssueOutcome::NotEligible(_)), "{outcome:?}");
    }

    #[tokio::test]
    async fn an_order_of_one_cent_more_earns_a_5_eur_voucher() {
        let e = order(10_001);
        let (order_id, customer) = (e.order_id.as_uuid(), e.customer_id.clone());
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert()
            .withf(move |v, event| {
                event.voucher_id == v.id().as_uuid()
                    && event.code_digest == v.code().digest()
                    && v.order_id() == order_id
                    && *v.customer_id() == customer
                    && v.value().amount.get() == 500
                    && v.value().currency == Currency::Eur
                    && v.status(Utc::now()) == (VoucherStatus::Active, None)
            })
            .times(1)
            .returning(|_, _| Ok(InsertOutcome::Inserted));
        let outcome = issue(repo).execute(&e, &TraceContext::default()).await.unwrap();
        assert!(
            matches!(outcome, IssueOutcome::Issued(ref v) if v.value().amount.get() == 500),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_order_in_another_currency_earns_nothing() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert().never();
        let usd = parse("cust-3", 50_000, "USD").unwrap_err();
        let outcome = issue(repo).refuse(&usd).unwrap();
        assert!(matches!(outcome, IssueOutcome::NotEligible(ref reason) if reason.to_string().contains("USD")));
    }

    #[tokio::test]
    async fn the_relay_hears_of_a_stored_voucher_and_of_nothing_else() {
        let mut repo = MockVoucherRepository::new();
        let mut seq = Sequence::new();
        repo.expect_insert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(InsertOutcome::Inserted));
        repo.expect_insert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(InsertOutcome::OrderAlreadyHasVoucher));
        let mut relay = MockRelaySignal::new();
        relay.expect_event_stored().times(1).return_const(());
        let issue = IssueVoucher::new(
            Arc::new(repo),
            VoucherPolicy::default(),
            Validity::default(),
            Arc::new(relay),
        );
        for _ in 0..2 {
            issue.execute(&order(12_000), &TraceContext::default()).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_duplicate_event_is_absorbed_as_success() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert()
            .times(1)
            .returning(|_, _| Ok(InsertOutcome::OrderAlreadyHasVoucher));
        let outcome = issue(repo)
            .execute(&order(12_000), &TraceContext::default())
            .await
            .unwrap();
        assert_eq!(outcome, IssueOutcome::AlreadyIssued);
    }

    #[tokio::test]
    async fn a_code_collision_is_retried_with_a_new_code() {
        let tried = Arc::new(Mutex::new(Vec::new()));
        let mut seq = Sequence::new();
        let mut repo = MockVoucherRepository::new();
        let first = tried.clone();
        repo.expect_insert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |v, _| {
                first.lock().unwrap().push(v.code().clone());
                Ok(InsertOutcome::CodeTaken)
            });
        let second = tried.clone();
        repo.expect_insert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |v, _| {
                second.lock().unwrap().push(v.code().clone());
                Ok(InsertOutcome::Inserted)
            });
        let outcome = issue(repo)
            .execute(&order(12_000), &TraceContext::default())
            .await
            .unwrap();
        let tried = tried.lock().unwrap();
        assert_eq!(tried.len(), 2);
        assert_ne!(tried[0], tried[1]);
        assert!(matches!(outcome, IssueOutcome::Issued(ref v) if *v.code() == tried[1]));
    }

    #[tokio::test]
    async fn endless_collisions_give_up() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert()
            .times(MAX_CODE_ATTEMPTS)
            .returning(|_, _| Ok(InsertOutcome::CodeTaken));
        let err = issue(repo)
            .execute(&order(12_000), &TraceContext::default())
            .await
            .unwrap_err();
        assert!(matches!(err, IssueVoucherError::CodesExhausted));
    }

    #[tokio::test]
    async fn the_threshold_and_amount_come_from_the_policy() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert()
            .withf(|v, _| v.value().amount.get() == 1_000)
            .times(1)
            .returning(|_, _| Ok(InsertOutcome::Inserted));
        let policy = VoucherPolicy::new(Cents::new(5_000).unwrap(), Cents::new(1_000).unwrap(), Currency::Eur).unwrap();
        let outcome = IssueVoucher::new(Arc::new(repo), policy, Validity::default(), relay())
            .execute(&order(5_001), &TraceContext::default())
            .await
            .unwrap();
        assert!(matches!(outcome, IssueOutcome::Issued(_)));
    }

    #[tokio::test]
    async fn an_event_with_an_invalid_customer_id_issues_nothing() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert().never();
        let invalid = parse(" ", 12_000, "EUR").unwrap_err();
        let err = issue(repo).refuse(&invalid).unwrap_err();
        assert!(matches!(err, IssueVoucherError::InvalidCustomer(_)), "{err:?}");
    }

    #[tokio::test]
    async fn an_invalid_customer_id_of_an_order_that_earns_nothing_is_not_eligible() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert().never();
        let issue = issue(repo);
        for invalid in [parse(" ", 10_000, "EUR"), parse(" ", 50_000, "USD")] {
            let outcome = issue.refuse(&invalid.unwrap_err()).unwrap();
            assert!(matches!(outcome, IssueOutcome::NotEligible(_)), "{outcome:?}");
        }
    }

    #[tokio::test]
    async fn a_negative_total_earns_nothing() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert().never();
        let negative = parse("cust-3", -1, "EUR").unwrap_err();
        let outcome = issue(repo).refuse(&negative).unwrap();
        assert!(
            matches!(outcome, IssueOutcome::NotEligible(ref reason) if reason.to_string() == "total -1 cents does not exceed 10000"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_storage_failure_is_an_error_to_retry() {
        let mut repo = MockVoucherRepository::new();
        repo.expect_insert()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
        let err = issue(repo)
            .execute(&order(12_000), &TraceContext::default())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            IssueVoucherError::Repository(RepositoryError::Unavailable(_))
        ));
    }
}
