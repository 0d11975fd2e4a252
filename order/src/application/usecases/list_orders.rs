use std::sync::Arc;

use crate::application::{
    domain::{
        OrderPage, OrderQuery,
        access::{self, AccessDenied, Listing, Principal},
    },
    ports::{OrderRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum ListOrdersError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
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

    /// A customer's listing holds its own orders only, whether or not it names itself.
    ///
    /// # Errors
    /// [`ListOrdersError::Forbidden`] without a read scope or for a customer naming another
    /// customer, or a repository failure.
    pub async fn execute(&self, caller: &Principal, mut query: OrderQuery) -> Result<OrderPage, ListOrdersError> {
        match access::reach(caller)?.listing(query.customer_id.take())? {
            Listing::Of(customer_id) => query.customer_id = customer_id,
            Listing::Nothing => {
                return Ok(OrderPage {
                    orders: Vec::new(),
                    next_before: None,
                });
            }
        }
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
    use checkout_auth::Scope;

    use super::*;
    use crate::application::{
        domain::{CustomerId, Order, OrderStatus, PageLimit, fixtures::order_in},
        ports::MockOrderRepository,
    };

    fn orders(n: usize) -> Vec<Order> {
        (0..n).map(|_| order_in(OrderStatus::Created, &[(1, 1)])).collect()
    }

    fn staff() -> Principal {
        Principal::new("staff", [Scope::OrdersAdmin])
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
        let page = ListOrders::new(Arc::new(repo))
            .execute(&staff(), query(2))
            .await
            .unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next_before, Some(second));
    }

    #[tokio::test]
    async fn the_last_page_has_no_cursor() {
        let stored = orders(2);
        let mut repo = MockOrderRepository::new();
        repo.expect_list().returning(move |_, _| Ok(stored.clone()));
        let page = ListOrders::new(Arc::new(repo))
            .execute(&staff(), query(2))
            .await
            .unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next_before, None);
    }

    fn customer(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn a_customers_listing_holds_its_own_orders_only() {
        let alice = Principal::new("alice", [Scope::OrdersRead]);
        for requested in [None, Some(customer("alice"))] {
            let mut repo = MockOrderRepository::new();
            repo.expect_list()
                .withf(|query, _| query.customer_id == Some(CustomerId::parse("alice").unwrap()))
                .times(1)
                .returning(|_, _| Ok(Vec::new()));
            let query = OrderQuery {
                customer_id: requested,
                ..query(10)
            };
            ListOrders::new(Arc::new(repo)).execute(&alice, query).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_customer_naming_another_or_a_caller_without_a_read_scope_lists_nothing() {
        let cases = [
            (Principal::new("alice", [Scope::OrdersRead]), Some(customer("bob"))),
            (Principal::new("alice", [Scope::OrdersWrite]), None),
        ];
        for (caller, requested) in cases {
            let mut repo = MockOrderRepository::new();
            repo.expect_list().never();
            let query = OrderQuery {
                customer_id: requested,
                ..query(10)
            };
            let err = ListOrders::new(Arc::new(repo))
                .execute(&caller, query)
                .await
                .unwrap_err();
            assert!(matches!(err, ListOrdersError::Forbidden(_)), "{caller:?}");
        }
    }

    #[tokio::test]
    async fn staff_list_everyones_orders_unless_they_name_a_customer() {
        for requested in [None, Some(customer("bob"))] {
            let expected = requested.clone();
            let mut repo = MockOrderRepository::new();
            repo.expect_list()
                .withf(move |query, _| query.customer_id == expected)
                .times(1)
                .returning(|_, _| Ok(Vec::new()));
            let query = OrderQuery {
                customer_id: requested,
                ..query(10)
            };
            ListOrders::new(Arc::new(repo)).execute(&staff(), query).await.unwrap();
        }
    }
}
