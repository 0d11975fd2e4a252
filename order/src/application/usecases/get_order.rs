use std::sync::Arc;

use crate::application::{
    domain::{
        Order, OrderId,
        access::{self, AccessDenied, Principal},
    },
    ports::{OrderRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum GetOrderError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error("order {0} not found")]
    NotFound(OrderId),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Reads one order.
pub struct GetOrder {
    orders: Arc<dyn OrderRepository>,
}

impl GetOrder {
    pub fn new(orders: Arc<dyn OrderRepository>) -> Self {
        Self { orders }
    }

    /// Another customer's order is not found, exactly like a missing one.
    ///
    /// # Errors
    /// [`GetOrderError::Forbidden`] without a read scope, [`GetOrderError::NotFound`] when
    /// there is no such order the caller may see, or a repository failure.
    pub async fn execute(&self, caller: &Principal, id: OrderId) -> Result<Order, GetOrderError> {
        let reach = access::reach(caller)?;
        self.orders
            .find(id)
            .await?
            .filter(|order| reach.covers(order.customer_id()))
            .ok_or(GetOrderError::NotFound(id))
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;
    use crate::application::{
        domain::{OrderStatus, fixtures::order_in},
        ports::MockOrderRepository,
    };

    fn stored(order: Order) -> GetOrder {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(move |_| Ok(Some(order.clone())));
        GetOrder::new(Arc::new(repo))
    }

    #[tokio::test]
    async fn a_missing_order_is_not_found() {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(|_| Ok(None));
        let id = OrderId::generate();
        let admin = Principal::new("staff", [Scope::OrdersAdmin]);
        let err = GetOrder::new(Arc::new(repo)).execute(&admin, id).await.unwrap_err();
        assert!(matches!(err, GetOrderError::NotFound(missing) if missing == id));
    }

    #[tokio::test]
    async fn a_customer_reads_its_own_order_and_another_customers_is_not_found() {
        let order = order_in(OrderStatus::Created, &[(1, 100)]);
        let owner = Principal::new(order.customer_id().as_str(), [Scope::OrdersRead]);
        assert_eq!(stored(order.clone()).execute(&owner, order.id()).await.unwrap(), order);
        let other = Principal::new("someone-else", [Scope::OrdersRead]);
        let err = stored(order.clone()).execute(&other, order.id()).await.unwrap_err();
        assert!(matches!(err, GetOrderError::NotFound(id) if id == order.id()));
        let staff = Principal::new("staff", [Scope::OrdersAdmin]);
        assert_eq!(stored(order.clone()).execute(&staff, order.id()).await.unwrap(), order);
    }

    #[tokio::test]
    async fn a_caller_without_a_read_scope_reads_nothing() {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().never();
        let writer = Principal::new("cust-7", [Scope::OrdersWrite, Scope::OrdersStatus]);
        let err = GetOrder::new(Arc::new(repo))
            .execute(&writer, OrderId::generate())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            GetOrderError::Forbidden(AccessDenied::InsufficientScope(_))
        ));
    }
}
