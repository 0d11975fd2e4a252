use std::sync::Arc;

use crate::application::{
    dto::{OrderPage, OrderQuery, valid_text},
    repositories::{OrderRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum ListOrdersError {
    #[error("limit must be between 1 and {}", OrderQuery::MAX_LIMIT)]
    InvalidLimit,
    #[error("customer_id must be 1 to 64 characters, not blank, without control characters")]
    InvalidCustomerId,
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
    /// [`ListOrdersError::InvalidLimit`] for a page size outside 1 to 100.
    pub async fn execute(&self, query: OrderQuery) -> Result<OrderPage, ListOrdersError> {
        if !(1..=OrderQuery::MAX_LIMIT).contains(&query.limit) {
            return Err(ListOrdersError::InvalidLimit);
        }
        if query.customer_id.as_deref().is_some_and(|c| !valid_text(c)) {
            return Err(ListOrdersError::InvalidCustomerId);
        }
        // Ask for one more than the page size: its presence says whether a next page exists.
        let page_size = query.limit as usize;
        let probe = OrderQuery {
            limit: query.limit + 1,
            ..query
        };
        let mut orders = self.orders.list(&probe).await?;
        let next_before = if orders.len() > page_size {
            orders.truncate(page_size);
            orders.last().map(|o| o.id)
        } else {
            None
        };
        Ok(OrderPage { orders, next_before })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::application::{
        dto::{NewOrder, Order, OrderItem},
        repositories::MockOrderRepository,
    };

    fn orders(n: usize) -> Vec<Order> {
        (0..n)
            .map(|_| {
                NewOrder {
                    customer_id: "c".into(),
                    items: vec![OrderItem {
                        sku: "s".into(),
                        quantity: 1,
                        unit_price_cents: 1,
                    }],
                    currency: None,
                }
                .into_order(Uuid::now_v7(), Utc::now())
                .unwrap()
            })
            .collect()
    }

    fn query(limit: u64) -> OrderQuery {
        OrderQuery {
            customer_id: None,
            status: None,
            limit,
            before: None,
        }
    }

    #[tokio::test]
    async fn a_full_page_has_a_cursor_to_the_next() {
        let stored = orders(3);
        let second = stored[1].id;
        let mut repo = MockOrderRepository::new();
        repo.expect_list()
            .withf(|q| q.limit == 3)
            .returning(move |_| Ok(stored.clone()));
        let page = ListOrders::new(Arc::new(repo)).execute(query(2)).await.unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next_before, Some(second));
    }

    #[tokio::test]
    async fn the_last_page_has_no_cursor() {
        let stored = orders(2);
        let mut repo = MockOrderRepository::new();
        repo.expect_list().returning(move |_| Ok(stored.clone()));
        let page = ListOrders::new(Arc::new(repo)).execute(query(2)).await.unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next_before, None);
    }

    #[tokio::test]
    async fn a_limit_out_of_range_is_refused() {
        for limit in [0, 101] {
            let mut repo = MockOrderRepository::new();
            repo.expect_list().never();
            let err = ListOrders::new(Arc::new(repo)).execute(query(limit)).await.unwrap_err();
            assert!(matches!(err, ListOrdersError::InvalidLimit));
        }
    }
}
