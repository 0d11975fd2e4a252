use std::sync::Arc;

use checkout_contract::trace::TraceContext;
use chrono::Utc;

use crate::application::{
    domain::{
        Order, OrderId, OrderStatus, Transition, TransitionRefused,
        access::{self, AccessDenied, Principal},
    },
    ports::{OrderRepository, RelaySignal, RepositoryError},
};

/// How many times to re-read and retry when another request changed the status first.
/// Every move leaves `created`, so a second round always finds a settled answer.
const MAX_ROUNDS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ChangeOrderStatusError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error("order {0} not found")]
    NotFound(OrderId),
    #[error(transparent)]
    Refused(#[from] TransitionRefused),
    /// Concurrent requests kept changing the order; nothing was written by this one.
    #[error("order {0} kept changing under concurrent updates; retry")]
    Contended(OrderId),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The order after the request, and whether this request changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub order: Order,
    pub changed: bool,
}

/// Moves an order through its lifecycle. The order decides whether the move is allowed and
/// what it emits; this stores the change and its `order.sent` event in one write, so the
/// event exists if and only if the change does.
pub struct ChangeOrderStatus {
    orders: Arc<dyn OrderRepository>,
    relay: Arc<dyn RelaySignal>,
}

impl ChangeOrderStatus {
    pub fn new(orders: Arc<dyn OrderRepository>, relay: Arc<dyn RelaySignal>) -> Self {
        Self { orders, relay }
    }

    /// Asking for the status the order already has changes nothing and emits nothing.
    /// Concurrent requests race on a compare-and-set, so exactly one of them makes a change.
    ///
    /// # Errors
    /// [`ChangeOrderStatusError::Forbidden`] without `orders:status` (nothing is read),
    /// [`ChangeOrderStatusError::NotFound`], [`ChangeOrderStatusError::Refused`] for a move
    /// the lifecycle does not allow, [`ChangeOrderStatusError::Contended`] when concurrent
    /// changes won every round, or a repository failure.
    #[tracing::instrument(name = "change_order_status", skip_all, fields(order_id = %id, to = %target))]
    pub async fn execute(
        &self,
        caller: &Principal,
        id: OrderId,
        target: OrderStatus,
        trace: &TraceContext,
    ) -> Result<StatusChange, ChangeOrderStatusError> {
        access::CHANGE_STATUS.check(caller)?;
        for _ in 0..MAX_ROUNDS {
            let mut order = self
                .orders
                .find(id)
                .await?
                .ok_or(ChangeOrderStatusError::NotFound(id))?;
            let (from, event) = match order.transition(target, Utc::now())? {
                Transition::Unchanged => return Ok(StatusChange { order, changed: false }),
                Transition::Changed { from, event } => (from, event.map(|e| e.with_trace(trace))),
            };
            if self.orders.save_transition(&order, from, event.as_ref()).await? {
                if event.is_some() {
                    self.relay.event_stored();
                }
                let event_id = event.map(|e| e.event_id().to_string());
                tracing::info!(%from, event_id, "order status changed");
                metrics::counter!("order_status_changes_total", "to" => target.as_str()).increment(1);
                return Ok(StatusChange { order, changed: true });
            }
            tracing::debug!("status changed concurrently; re-reading");
        }
        Err(ChangeOrderStatusError::Contended(id))
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;
    use checkout_contract::events::OrderEvent;
    use mockall::Sequence;

    use super::*;
    use crate::application::{
        domain::fixtures::order_in,
        ports::{MockOrderRepository, MockRelaySignal},
    };

    fn fulfilment() -> Principal {
        Principal::new("fulfilment", [Scope::OrdersStatus])
    }

    fn repo_with(order: Order) -> MockOrderRepository {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(move |_| Ok(Some(order.clone())));
        repo
    }

    fn signal(times: usize) -> Arc<MockRelaySignal> {
        let mut signal = MockRelaySignal::new();
        signal.expect_event_stored().times(times).return_const(());
        Arc::new(signal)
    }

    async fn change(
        repo: MockOrderRepository,
        signal: Arc<MockRelaySignal>,
        id: OrderId,
        to: OrderStatus,
    ) -> Result<StatusChange, ChangeOrderStatusError> {
        ChangeOrderStatus::new(Arc::new(repo), signal)
            .execute(&fulfilment(), id, to, &TraceContext::default())
            .await
    }

    #[tokio::test]
    async fn every_allowed_move_is_saved_against_the_status_it_left() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if !from.can_become(to) {
                    continue;
                }
                let order = order_in(from, &[(2, 6_000)]);
                let mut repo = repo_with(order.clone());
                repo.expect_save_transition()
                    .withf(move |o, expected, _| o.status() == to && *expected == from)
                    .times(1)
                    .returning(|_, _, _| Ok(true));
                let signals = usize::from(to == OrderStatus::Sent);
                let change = change(repo, signal(signals), order.id(), to).await.unwrap();
                assert!(change.changed, "{from} -> {to}");
                assert_eq!(change.order.status(), to);
            }
        }
    }

    #[tokio::test]
    async fn a_caller_without_orders_status_changes_nothing_and_reads_nothing() {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().never();
        repo.expect_save_transition().never();
        let customer = Principal::new("cust-7", [Scope::OrdersWrite, Scope::OrdersRead, Scope::OrdersAdmin]);
        let err = ChangeOrderStatus::new(Arc::new(repo), signal(0))
            .execute(
                &customer,
                OrderId::generate(),
                OrderStatus::Sent,
                &TraceContext::default(),
            )
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            ChangeOrderStatusError::Forbidden(AccessDenied::InsufficientScope(scopes)) if scopes == access::CHANGE_STATUS.scopes
        ));
    }

    #[tokio::test]
    async fn every_refused_move_saves_nothing() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if from == to || from.can_become(to) {
                    continue;
                }
                let order = order_in(from, &[(1, 100)]);
                let mut repo = repo_with(order.clone());
                repo.expect_save_transition().never();
                let err = change(repo, signal(0), order.id(), to).await.unwrap_err();
                assert!(
                    matches!(err, ChangeOrderStatusError::Refused(TransitionRefused { from: f, to: t }) if f == from && t == to),
                    "{from} -> {to}: {err:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn the_move_to_sent_stores_its_event_carrying_the_request_trace_and_wakes_the_relay() {
        let order = order_in(OrderStatus::Created, &[(2, 6_000)]);
        let id = order.id();
        let mut repo = repo_with(order);
        repo.expect_save_transition()
            .withf(move |_, _, event| {
                event.is_some_and(|e| {
                    matches!(e, OrderEvent::Sent(e) if e.order_id == id.as_uuid() && e.total_cents == 12_000 && e.request_id.as_deref() == Some("req-1"))
                })
            })
            .times(1)
            .returning(|_, _, _| Ok(true));
        let trace = TraceContext {
            request_id: Some("req-1".into()),
            traceparent: None,
        };
        ChangeOrderStatus::new(Arc::new(repo), signal(1))
            .execute(&fulfilment(), id, OrderStatus::Sent, &trace)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn other_moves_store_no_event() {
        for (from, to) in [
            (OrderStatus::Created, OrderStatus::Cancelled),
            (OrderStatus::Sent, OrderStatus::Delivered),
        ] {
            let order = order_in(from, &[(1, 100)]);
            let mut repo = repo_with(order.clone());
            repo.expect_save_transition()
                .withf(|_, _, event| event.is_none())
                .times(1)
                .returning(|_, _, _| Ok(true));
            change(repo, signal(0), order.id(), to).await.unwrap();
        }
    }

    #[tokio::test]
    async fn asking_for_the_current_status_saves_nothing() {
        for status in OrderStatus::ALL {
            let order = order_in(status, &[(1, 100)]);
            let mut repo = repo_with(order.clone());
            repo.expect_save_transition().never();
            let change = change(repo, signal(0), order.id(), status).await.unwrap();
            assert!(!change.changed);
            assert_eq!(change.order, order);
        }
    }

    #[tokio::test]
    async fn losing_a_race_to_sent_becomes_a_no_op() {
        let created = order_in(OrderStatus::Created, &[(1, 100)]);
        let mut sent = created.clone();
        sent.transition(OrderStatus::Sent, Utc::now()).unwrap();
        let mut seq = Sequence::new();
        let mut repo = MockOrderRepository::new();
        repo.expect_find()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(created.clone())));
        repo.expect_save_transition()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(false));
        let reread = sent.clone();
        repo.expect_find()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(reread.clone())));
        let change = change(repo, signal(0), sent.id(), OrderStatus::Sent).await.unwrap();
        assert!(!change.changed);
        assert_eq!(change.order.status(), OrderStatus::Sent);
    }

    #[tokio::test]
    async fn losing_every_round_is_a_contention_error_not_a_storage_one() {
        let order = order_in(OrderStatus::Created, &[(1, 100)]);
        let mut repo = repo_with(order.clone());
        repo.expect_save_transition()
            .times(MAX_ROUNDS)
            .returning(|_, _, _| Ok(false));
        let err = change(repo, signal(0), order.id(), OrderStatus::Sent)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ChangeOrderStatusError::Contended(id) if id == order.id()),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_order_is_not_found() {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(|_| Ok(None));
        let err = change(repo, signal(0), OrderId::generate(), OrderStatus::Sent)
            .await
            .unwrap_err();
        assert!(matches!(err, ChangeOrderStatusError::NotFound(_)));
    }
}
