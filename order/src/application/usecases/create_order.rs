use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use crate::application::{
    dto::{InvalidOrder, NewOrder, Order},
    repositories::{OrderRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum CreateOrderError {
    #[error(transparent)]
    Invalid(#[from] InvalidOrder),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Validates a new order, computes its total and stores it in status `created`.
pub struct CreateOrder {
    orders: Arc<dyn OrderRepository>,
}

impl CreateOrder {
    pub fn new(orders: Arc<dyn OrderRepository>) -> Self {
        Self { orders }
    }

    /// # Errors
    /// [`CreateOrderError::Invalid`] for input that breaks a rule (nothing is stored),
    /// [`CreateOrderError::Repository`] when the order could not be stored.
    #[tracing::instrument(name = "create_order", skip_all, fields(customer_id = %new.customer_id, order_id))]
    pub async fn execute(&self, new: NewOrder) -> Result<Order, CreateOrderError> {
        // UUIDv7 ids sort by creation time, which keyset pagination relies on.
        let order = new.into_order(Uuid::now_v7(), Utc::now().trunc_subsecs(6))?;
        tracing::Span::current().record("order_id", tracing::field::display(order.id));
        self.orders.insert(&order).await?;
        tracing::info!(
            total_cents = order.total_cents,
            items = order.items.len(),
            "order created"
        );
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{dto::OrderItem, repositories::MockOrderRepository};

    fn request(items: Vec<(i32, i64)>) -> NewOrder {
        NewOrder {
            customer_id: "cust-7".into(),
            items: items
                .into_iter()
                .map(|(quantity, unit_price_cents)| OrderItem {
                    sku: "SKU".into(),
                    quantity,
                    unit_price_cents,
                })
                .collect(),
            currency: None,
        }
    }

    #[tokio::test]
    async fn a_valid_order_is_stored_with_the_computed_total() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert()
            .withf(|order| order.total_cents == 3 * 1_999 + 500 && order.customer_id == "cust-7")
            .times(1)
            .returning(|_| Ok(()));
        let order = CreateOrder::new(Arc::new(repo))
            .execute(request(vec![(3, 1_999), (1, 500)]))
            .await
            .unwrap();
        assert_eq!(order.total_cents, 6_497);
    }

    #[tokio::test]
    async fn an_invalid_order_is_refused_and_not_stored() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert().never();
        let err = CreateOrder::new(Arc::new(repo))
            .execute(request(vec![(0, 100)]))
            .await
            .unwrap_err();
        assert!(
            matches!(err, CreateOrderError::Invalid(InvalidOrder::Quantity(0))),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_storage_failure_is_reported() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert()
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        let err = CreateOrder::new(Arc::new(repo))
            .execute(request(vec![(1, 100)]))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            CreateOrderError::Repository(RepositoryError::Unavailable(_))
        ));
    }
}
