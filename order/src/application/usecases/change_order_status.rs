use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use shared::trace::TraceContext;
use uuid::Uuid;

use crate::application::{
    dto::{Order, OrderStatus},
    events::order_sent,
    repositories::{OrderRepository, RepositoryError},
};

/// How many times to re-read and retry when another request changed the status first.
/// Every transition leaves `created`, so a second round always finds a settled answer.
const MAX_ROUNDS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ChangeOrderStatusError {
    #[error("order {0} not found")]
    NotFound(Uuid),
    #[error("an order cannot go from {from} to {to}")]
    InvalidTransition { from: OrderStatus, to: OrderStatus },
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The order after the request, and whether this request changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub order: Order,
    pub changed: bool,
}

/// Moves an order through its lifecycle. The change to `sent` records an `order.sent` event
/// in the same transaction as the status, so the event exists if and only if the change does.
pub struct ChangeOrderStatus {
    orders: Arc<dyn OrderRepository>,
}

impl ChangeOrderStatus {
    pub fn new(orders: Arc<dyn OrderRepository>) -> Self {
        Self { orders }
    }

    /// Asking for the status the order already has changes nothing and emits nothing.
    /// Concurrent requests race on a compare-and-set, so exactly one of them makes a change.
    ///
    /// # Errors
    /// [`ChangeOrderStatusError::NotFound`], [`ChangeOrderStatusError::InvalidTransition`]
    /// for a move the lifecycle does not allow, or a repository failure.
    #[tracing::instrument(name = "change_order_status", skip_all, fields(order_id = %id, to = %target))]
    pub async fn execute(
        &self,
        id: Uuid,
        target: OrderStatus,
        trace: &TraceContext,
    ) -> Result<StatusChange, ChangeOrderStatusError> {
        for _ in 0..MAX_ROUNDS {
            let current = self
                .orders
                .find(id)
                .await?
                .ok_or(ChangeOrderStatusError::NotFound(id))?;
            if current.status == target {
                return Ok(StatusChange {
                    order: current,
                    changed: false,
                });
            }
            if !current.status.can_become(target) {
                return Err(ChangeOrderStatusError::InvalidTransition {
                    from: current.status,
                    to: target,
                });
            }
            // PostgreSQL keeps microseconds; so does the model, so a re-read equals what was returned.
            let now = Utc::now().trunc_subsecs(6);
            let updated = Order {
                status: target,
                updated_at: now,
                ..current.clone()
            };
            let events: Vec<_> = match target {
                OrderStatus::Sent => vec![order_sent(&updated, Uuid::now_v7(), now).with_trace(trace)],
                _ => Vec::new(),
            };
            if self.orders.update_status(&updated, current.status, &events).await? {
                let event_id = events.first().map(|e| e.event_id.to_string());
                tracing::info!(from = %current.status, event_id, "order status changed");
                metrics::counter!("order_status_changes_total", "to" => target.as_str()).increment(1);
                return Ok(StatusChange {
                    order: updated,
                    changed: true,
                });
            }
            tracing::debug!("status changed concurrently; re-reading");
        }
        Err(RepositoryError::Unexpected(format!("order {id} kept changing under concurrent updates")).into())
    }
}

#[cfg(test)]
mod tests {
    use mockall::Sequence;

    use super::*;
    use crate::application::{
        dto::{NewOrder, OrderItem},
        repositories::MockOrderRepository,
    };

    fn order_in(status: OrderStatus) -> Order {
        let mut order = NewOrder {
            customer_id: "cust-1".into(),
            items: vec![OrderItem {
                sku: "A".into(),
                quantity: 2,
                unit_price_cents: 6_000,
            }],
            currency: None,
        }
        .into_order(Uuid::now_v7(), Utc::now())
        .unwrap();
        order.status = status;
        order
    }

    fn repo_with(order: Order) -> MockOrderRepository {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(move |_| Ok(Some(order.clone())));
        repo
    }

    #[tokio::test]
    async fn every_allowed_transition_is_saved() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if !from.can_become(to) {
                    continue;
                }
                let order = order_in(from);
                let mut repo = repo_with(order.clone());
                repo.expect_update_status()
                    .withf(move |o, expected, _| o.status == to && *expected == from)
                    .times(1)
                    .returning(|_, _, _| Ok(true));
                let change = ChangeOrderStatus::new(Arc::new(repo))
                    .execute(order.id, to, &TraceContext::default())
                    .await
                    .unwrap();
                assert!(change.changed, "{from} -> {to}");
                assert_eq!(change.order.status, to);
            }
        }
    }

    #[tokio::test]
    async fn every_refused_transition_is_a_conflict_and_saves_nothing() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if from == to || from.can_become(to) {
                    continue;
                }
                let order = order_in(from);
                let mut repo = repo_with(order.clone());
                repo.expect_update_status().never();
                let err = ChangeOrderStatus::new(Arc::new(repo))
                    .execute(order.id, to, &TraceContext::default())
                    .await
                    .unwrap_err();
                assert!(
                    matches!(err, ChangeOrderStatusError::InvalidTransition { from: f, to: t } if f == from && t == to),
                    "{from} -> {to}: {err:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn the_change_to_sent_carries_exactly_one_event_with_the_order_total() {
        let order = order_in(OrderStatus::Created);
        let (id, customer) = (order.id, order.customer_id.clone());
        let mut repo = repo_with(order.clone());
        repo.expect_update_status()
            .withf(move |_, _, events| {
                events.len() == 1
                    && events[0].order_id == id
                    && events[0].total_cents == 12_000
                    && events[0].customer_id == customer
                    && events[0].currency == "EUR"
            })
            .times(1)
            .returning(|_, _, _| Ok(true));
        ChangeOrderStatus::new(Arc::new(repo))
            .execute(id, OrderStatus::Sent, &TraceContext::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn other_changes_carry_no_event() {
        for (from, to) in [
            (OrderStatus::Created, OrderStatus::Cancelled),
            (OrderStatus::Sent, OrderStatus::Delivered),
        ] {
            let order = order_in(from);
            let mut repo = repo_with(order.clone());
            repo.expect_update_status()
                .withf(|_, _, events| events.is_empty())
                .times(1)
                .returning(|_, _, _| Ok(true));
            ChangeOrderStatus::new(Arc::new(repo))
                .execute(order.id, to, &TraceContext::default())
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn asking_for_the_current_status_changes_and_emits_nothing() {
        for status in OrderStatus::ALL {
            let order = order_in(status);
            let mut repo = repo_with(order.clone());
            repo.expect_update_status().never();
            let change = ChangeOrderStatus::new(Arc::new(repo))
                .execute(order.id, status, &TraceContext::default())
                .await
                .unwrap();
            assert!(!change.changed);
            assert_eq!(change.order, order);
        }
    }

    #[tokio::test]
    async fn losing_a_race_to_sent_becomes_a_no_op() {
        let created = order_in(OrderStatus::Created);
        let sent = Order {
            status: OrderStatus::Sent,
            ..created.clone()
        };
        let mut seq = Sequence::new();
        let mut repo = MockOrderRepository::new();
        repo.expect_find()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(created.clone())));
        repo.expect_update_status()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(false));
        let reread = sent.clone();
        repo.expect_find()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(reread.clone())));
        let change = ChangeOrderStatus::new(Arc::new(repo))
            .execute(sent.id, OrderStatus::Sent, &TraceContext::default())
            .await
            .unwrap();
        assert!(!change.changed);
        assert_eq!(change.order.status, OrderStatus::Sent);
    }

    #[tokio::test]
    async fn a_missing_order_is_not_found() {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(|_| Ok(None));
        let err = ChangeOrderStatus::new(Arc::new(repo))
            .execute(Uuid::now_v7(), OrderStatus::Sent, &TraceContext::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ChangeOrderStatusError::NotFound(_)));
    }
}
