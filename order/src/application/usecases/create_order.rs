use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;

use crate::application::{
    domain::{
        Currency, CustomerId, IdempotencyKey, InvalidOrder, Order, OrderId, OrderItem,
        access::{self, AccessDenied, Principal},
    },
    ports::{CreateOutcome, OrderRepository, RepositoryError},
};

/// A request to create an order, every part of it already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_id: CustomerId,
    pub items: Vec<OrderItem>,
    pub currency: Currency,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateOrderError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error(transparent)]
    Invalid(#[from] InvalidOrder),
    #[error("this Idempotency-Key was already used with a different request body")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    KeyInFlight,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The created order, and whether it is the replay of an earlier request with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub order: Order,
    pub replayed: bool,
}

/// Builds a new order (the domain computes its total) and stores it in status `created`.
pub struct CreateOrder {
    orders: Arc<dyn OrderRepository>,
}

/// What makes two creation requests with one key "the same body". (The key is its caller's:
/// another caller's request with the same key is a request of its own.)
#[derive(Serialize)]
struct Fingerprint<'a> {
    customer_id: &'a str,
    currency: &'a str,
    items: Vec<(&'a str, u32, i64)>,
}

fn fingerprint(order: &Order) -> String {
    let items = order
        .items()
        .iter()
        .map(|i| (i.sku.as_str(), i.quantity.get(), i.unit_price.cents().get()))
        .collect();
    let print = Fingerprint {
        customer_id: order.customer_id().as_str(),
        currency: order.total().currency.code(),
        items,
    };
    serde_json::to_string(&print).expect("fingerprints serialize")
}

impl CreateOrder {
    pub fn new(orders: Arc<dyn OrderRepository>) -> Self {
        Self { orders }
    }

    /// With an `idempotency_key`, the first request creates the order and any later one with
    /// the same key and body within 24 hours gets that same order back, creating nothing. A
    /// request sent while the first is still being stored waits for it and gets its order.
    ///
    /// # Errors
    /// [`CreateOrderError::Forbidden`] if `caller` may not create orders or not for this
    /// customer, [`CreateOrderError::Invalid`] for an order the domain refuses (nothing is stored),
    /// [`CreateOrderError::KeyReused`] for a key used with another body,
    /// [`CreateOrderError::KeyInFlight`] when the first request with the key is still being
    /// stored after the repository's wait, or a repository failure.
    #[tracing::instrument(name = "create_order", skip_all, fields(customer_id = %new.customer_id, order_id))]
    pub async fn execute(
        &self,
        caller: &Principal,
        new: NewOrder,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Created, CreateOrderError> {
        access::CREATE.check(caller)?;
        access::acting_for(caller, &new.customer_id)?;
        let idempotency_key = idempotency_key.map(|key| key.of_caller(caller.subject()));
        let order = Order::new(
            OrderId::generate(),
            new.customer_id,
            new.items,
            new.currency,
            Utc::now(),
        )?;
        let fingerprint = idempotency_key.as_ref().map(|_| fingerprint(&order));
        let keyed = idempotency_key.as_ref().zip(fingerprint.as_deref());
        let span = tracing::Span::current();
        span.record("order_id", tracing::field::display(order.id()));
        match self.orders.create(&order, keyed).await? {
            CreateOutcome::Created => {
                tracing::info!(
                    total_cents = order.total().amount.get(),
                    items = order.items().len(),
                    "order created"
                );
                metrics::counter!("orders_created_total").increment(1);
                Ok(Created { order, replayed: false })
            }
            CreateOutcome::Replay(first) => {
                span.record("order_id", tracing::field::display(first.id()));
                tracing::info!("idempotent replay");
                Ok(Created {
                    order: first,
                    replayed: true,
                })
            }
            CreateOutcome::Mismatch => Err(CreateOrderError::KeyReused),
            CreateOutcome::InFlight => Err(CreateOrderError::KeyInFlight),
        }
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;
    use crate::application::{
        domain::{InvalidItemCount, OrderStatus},
        ports::MockOrderRepository,
    };

    fn request(items: &[(i64, i64)]) -> NewOrder {
        NewOrder {
            customer_id: CustomerId::parse("cust-7").unwrap(),
            items: items
                .iter()
                .map(|(q, p)| crate::application::domain::fixtures::item(*q, *p))
                .collect(),
            currency: Currency::Eur,
        }
    }

    /// The customer of [`request`], allowed to create orders.
    fn customer() -> Principal {
        Principal::new("cust-7", [Scope::OrdersWrite])
    }

    fn key(key: &str) -> IdempotencyKey {
        IdempotencyKey::from_header(key.as_bytes()).unwrap()
    }

    fn unavailable() -> RepositoryError {
        RepositoryError::Unavailable("down".into())
    }

    #[tokio::test]
    async fn a_valid_order_is_stored_with_the_computed_total() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .withf(|order, key| {
                order.total().amount.get() == 3 * 1_999 + 500
                    && order.customer_id().as_str() == "cust-7"
                    && order.status() == OrderStatus::Created
                    && key.is_none()
            })
            .times(1)
            .returning(|_, _| Ok(CreateOutcome::Created));
        let created = CreateOrder::new(Arc::new(repo))
            .execute(&customer(), request(&[(3, 1_999), (1, 500)]), None)
            .await
            .unwrap();
        assert_eq!(created.order.total().amount.get(), 6_497);
        assert!(!created.replayed);
    }

    #[tokio::test]
    async fn an_order_the_domain_refuses_is_not_stored_and_records_no_key() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create().never();
        let err = CreateOrder::new(Arc::new(repo))
            .execute(&customer(), request(&[]), Some(&key("k")))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CreateOrderError::Invalid(InvalidOrder::ItemCount(InvalidItemCount))
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_storage_failure_is_reported() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create().times(1).returning(|_, _| Err(unavailable()));
        let err = CreateOrder::new(Arc::new(repo))
            .execute(&customer(), request(&[(1, 100)]), Some(&key("k-1")))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            CreateOrderError::Repository(RepositoryError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn a_key_is_stored_with_the_order_as_its_callers_with_the_body_fingerprint() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .withf(|order, key| {
                key.is_some_and(|(k, print)| k.key() == "k-2" && k.caller() == "cust-7" && print == fingerprint(order))
            })
            .times(1)
            .returning(|_, _| Ok(CreateOutcome::Created));
        let created = CreateOrder::new(Arc::new(repo))
            .execute(&customer(), request(&[(1, 100)]), Some(&key("k-2")))
            .await
            .unwrap();
        assert!(!created.replayed);
    }

    #[tokio::test]
    async fn a_repeated_key_gets_the_first_order_marked_as_replayed() {
        let first = crate::application::domain::fixtures::order_in(OrderStatus::Created, &[(1, 100)]);
        let mut repo = MockOrderRepository::new();
        let replay = first.clone();
        repo.expect_create()
            .times(1)
            .returning(move |_, _| Ok(CreateOutcome::Replay(replay.clone())));
        let created = CreateOrder::new(Arc::new(repo))
            .execute(&customer(), request(&[(1, 100)]), Some(&key("k")))
            .await
            .unwrap();
        assert!(created.replayed);
        assert_eq!(created.order, first);
    }

    #[tokio::test]
    async fn a_key_reused_with_another_body_or_still_held_after_the_wait_is_refused() {
        for (outcome, expected) in [
            (CreateOutcome::Mismatch, "different"),
            (CreateOutcome::InFlight, "still"),
        ] {
            let mut repo = MockOrderRepository::new();
            repo.expect_create().times(1).returning(move |_, _| Ok(outcome.clone()));
            let err = CreateOrder::new(Arc::new(repo))
                .execute(&customer(), request(&[(1, 100)]), Some(&key("k")))
                .await
                .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn equal_bodies_have_equal_fingerprints_and_different_ones_differ() {
        let order = |items: &[(i64, i64)]| {
            let new = request(items);
            Order::new(
                OrderId::generate(),
                new.customer_id,
                new.items,
                new.currency,
                Utc::now(),
            )
            .unwrap()
        };
        assert_eq!(fingerprint(&order(&[(1, 100)])), fingerprint(&order(&[(1, 100)])));
        assert_ne!(fingerprint(&order(&[(1, 100)])), fingerprint(&order(&[(2, 100)])));
    }

    #[tokio::test]
    async fn a_customer_creates_orders_for_itself_only_and_stores_nothing_otherwise() {
        let refusals = [
            (
                Principal::new("cust-7", [Scope::OrdersRead]),
                AccessDenied::InsufficientScope(access::CREATE.scopes),
            ),
            (
                Principal::new("cust-8", [Scope::OrdersWrite]),
                AccessDenied::OtherCustomer,
            ),
        ];
        for (caller, expected) in refusals {
            let mut repo = MockOrderRepository::new();
            repo.expect_create().never();
            let err = CreateOrder::new(Arc::new(repo))
                .execute(&caller, request(&[(1, 100)]), Some(&key("k")))
                .await
                .unwrap_err();
            assert!(
                matches!(err, CreateOrderError::Forbidden(denied) if denied == expected),
                "{caller:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_services_own_token_creates_orders_for_any_customer() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .withf(|order, _| order.customer_id().as_str() == "cust-7")
            .times(1)
            .returning(|_, _| Ok(CreateOutcome::Created));
        let checkout = Principal::new("checkout", [Scope::OrdersWrite]).with_token_ids(Some("checkout".into()), None);
        let created = CreateOrder::new(Arc::new(repo))
            .execute(&checkout, request(&[(1, 100)]), None)
            .await
            .unwrap();
        assert_eq!(created.order.customer_id().as_str(), "cust-7");
    }
}
