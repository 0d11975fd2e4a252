use std::sync::Arc;

use crate::application::{
    domain::{Order, OrderId},
    ports::{OrderRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum GetOrderError {
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

    /// # Errors
    /// [`GetOrderError::NotFound`] when there is no such order, or a repository failure.
    pub async fn execute(&self, id: OrderId) -> Result<Order, GetOrderError> {
        self.orders.find(id).await?.ok_or(GetOrderError::NotFound(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::MockOrderRepository;

    #[tokio::test]
    async fn a_missing_order_is_not_found() {
        let mut repo = MockOrderRepository::new();
        repo.expect_find().returning(|_| Ok(None));
        let id = OrderId::generate();
        let err = GetOrder::new(Arc::new(repo)).execute(id).await.unwrap_err();
        assert!(matches!(err, GetOrderError::NotFound(missing) if missing == id));
    }
}
