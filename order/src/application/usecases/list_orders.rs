use std::sync::Arc;

use crate::application::{
    domain::{OrderPage, OrderQuery},
    ports::{OrderRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum ListOrdersError {
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Lists orders newest first, one page at a time.
pub struct ListOrders {
    orders: Arc<dyn OrderRepository>,
}

impl ListOrders {
    pub fn new(orders: Arc<dyn OrderRepository>) -> Self {
        Self { orders }
    }

    /// # Errors
    /// A repository failure.
    pub async fn execute(&self, query: OrderQuery) -> Result<OrderPage, ListOrdersError> {
        // Ask for one more than the page size: its presence says whether a next page exists.
        let page_size = query.limit.get();
        let mut orders = self.orders.list(&query, page_size + 1).await?;
        let next_before = if orders.len() as u64 > page_size {
            orders.truncate(page_size as usize);
            orders.last().map(|o| o.id())
        } else {
            None
        };
        Ok(OrderPage { orders, next_before })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{
        domain::{Order, OrderStatus, PageLimit, fixtures::order_in},
        ports::MockOrderRepository,
    };

    fn orders(n: usize) -> Vec<Order> {
        (0..n).map(|_| order_in(OrderStatus::Created, &[(1, 1)])).collect()
    }

    fn query(limit: u64) -> OrderQuery {
        OrderQuery {
            customer_id: None,
            status: None,
            limit: PageLimit::new(limit).unwrap(),
            before: None,
        }
    }

    #[tokio::test]
    async fn a_full_page_has_a_cursor_to_the_next() {
        let stored = orders(3);
        let second = stored[1].id();
        let mut repo = MockOrderRepository::new();
        repo.expect_list()
            .withf(|_, limit| *limit == 3)
            .returning(move |_, _| Ok(stored.clone()));
        let page = ListOrders::new(Arc::new(repo)).execute(query(2)).await.unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next_before, Some(second));
    }

    #[tokio::test]
    async fn the_last_page_has_no_cursor() {
        let stored = orders(2);
        let mut repo = MockOrderRepository::new();
        repo.expect_list().returning(move |_, _| Ok(stored.clone()));
        let page = ListOrders::new(Arc::new(repo)).execute(query(2)).await.unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next_before, None);
    }
}
