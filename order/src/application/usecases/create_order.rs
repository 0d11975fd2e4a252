use std::{sync::Arc, time::Duration};

use chrono::{SubsecRound, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::application::{
    dto::{InvalidOrder, NewOrder, Order},
    repositories::{IdempotencyClaim, IdempotencyRepository, OrderRepository, RepositoryError},
};

/// How long a claimed idempotency key stays locked while its order is being created.
const CLAIM_LEASE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum CreateOrderError {
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

/// Validates a new order, computes its total and stores it in status `created`.
pub struct CreateOrder {
    orders: Arc<dyn OrderRepository>,
    keys: Arc<dyn IdempotencyRepository>,
}

/// What makes two creation requests "the same body" for an idempotency key.
#[derive(Serialize)]
struct Fingerprint<'a> {
    customer_id: &'a str,
    currency: &'a str,
    items: Vec<(&'a str, i32, i64)>,
}

fn fingerprint(order: &Order) -> String {
    let items = order
        .items
        .iter()
        .map(|i| (i.sku.as_str(), i.quantity, i.unit_price_cents))
        .collect();
    let print = Fingerprint {
        customer_id: &order.customer_id,
        currency: &order.currency,
        items,
    };
    serde_json::to_string(&print).expect("fingerprints serialize")
}

impl CreateOrder {
    pub fn new(orders: Arc<dyn OrderRepository>, keys: Arc<dyn IdempotencyRepository>) -> Self {
        Self { orders, keys }
    }

    /// With an `idempotency_key`, the first request creates the order and any later one with
    /// the same key and body within 24 hours gets that same order back, creating nothing.
    ///
    /// # Errors
    /// [`CreateOrderError::Invalid`] for input that breaks a rule (nothing is stored),
    /// [`CreateOrderError::KeyReused`] / [`CreateOrderError::KeyInFlight`] for a key used with
    /// another body or still being processed, or a repository failure.
    #[tracing::instrument(name = "create_order", skip_all, fields(customer_id = %new.customer_id, order_id))]
    pub async fn execute(&self, new: NewOrder, idempotency_key: Option<&str>) -> Result<Created, CreateOrderError> {
        // UUIDv7 ids sort by creation time, which keyset pagination relies on.
        let order = new.into_order(Uuid::now_v7(), Utc::now().trunc_subsecs(6))?;
        if let Some(key) = idempotency_key {
            match self.keys.claim(key, &fingerprint(&order), CLAIM_LEASE).await? {
                IdempotencyClaim::Claimed => {}
                IdempotencyClaim::Replay(order) => {
                    tracing::info!(order_id = %order.id, "idempotent replay");
                    return Ok(Created { order, replayed: true });
                }
                IdempotencyClaim::InFlight => return Err(CreateOrderError::KeyInFlight),
                IdempotencyClaim::Mismatch => return Err(CreateOrderError::KeyReused),
            }
        }
        tracing::Span::current().record("order_id", tracing::field::display(order.id));
        if let Err(e) = self.orders.insert(&order, idempotency_key).await {
            if let Some(key) = idempotency_key
                && let Err(release) = self.keys.release(key).await
            {
                tracing::warn!(error.message = %release, "could not release the idempotency key; it expires with its lease");
            }
            return Err(e.into());
        }
        tracing::info!(
            total_cents = order.total_cents,
            items = order.items.len(),
            "order created"
        );
        metrics::counter!("orders_created_total").increment(1);
        Ok(Created { order, replayed: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{
        dto::OrderItem,
        repositories::{MockIdempotencyRepository, MockOrderRepository},
    };

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

    fn create(orders: MockOrderRepository, keys: MockIdempotencyRepository) -> CreateOrder {
        CreateOrder::new(Arc::new(orders), Arc::new(keys))
    }

    #[tokio::test]
    async fn a_valid_order_is_stored_with_the_computed_total() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert()
            .withf(|order, key| order.total_cents == 3 * 1_999 + 500 && order.customer_id == "cust-7" && key.is_none())
            .times(1)
            .returning(|_, _| Ok(()));
        let created = create(repo, MockIdempotencyRepository::new())
            .execute(request(vec![(3, 1_999), (1, 500)]), None)
            .await
            .unwrap();
        assert_eq!(created.order.total_cents, 6_497);
        assert!(!created.replayed);
    }

    #[tokio::test]
    async fn an_invalid_order_is_refused_and_not_stored() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert().never();
        let mut keys = MockIdempotencyRepository::new();
        keys.expect_claim().never();
        let err = create(repo, keys)
            .execute(request(vec![(0, 100)]), Some("k"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, CreateOrderError::Invalid(InvalidOrder::Quantity(0))),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_storage_failure_is_reported_and_releases_the_key() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
        let mut keys = MockIdempotencyRepository::new();
        keys.expect_claim().returning(|_, _, _| Ok(IdempotencyClaim::Claimed));
        keys.expect_release()
            .withf(|key| key == "k-1")
            .times(1)
            .returning(|_| Ok(()));
        let err = create(repo, keys)
            .execute(request(vec![(1, 100)]), Some("k-1"))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            CreateOrderError::Repository(RepositoryError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn a_claimed_key_is_completed_with_the_order() {
        let mut repo = MockOrderRepository::new();
        repo.expect_insert()
            .withf(|_, key| *key == Some("k-2"))
            .times(1)
            .returning(|_, _| Ok(()));
        let mut keys = MockIdempotencyRepository::new();
        keys.expect_claim()
            .times(1)
            .returning(|_, _, _| Ok(IdempotencyClaim::Claimed));
        let created = create(repo, keys)
            .execute(request(vec![(1, 100)]), Some("k-2"))
            .await
            .unwrap();
        assert!(!created.replayed);
    }

    #[tokio::test]
    async fn a_repeated_key_replays_the_first_order_and_stores_nothing() {
        let first = request(vec![(1, 100)]).into_order(Uuid::now_v7(), Utc::now()).unwrap();
        let mut repo = MockOrderRepository::new();
        repo.expect_insert().never();
        let mut keys = MockIdempotencyRepository::new();
        let replay = first.clone();
        keys.expect_claim()
            .returning(move |_, _, _| Ok(IdempotencyClaim::Replay(replay.clone())));
        let created = create(repo, keys)
            .execute(request(vec![(1, 100)]), Some("k"))
            .await
            .unwrap();
        assert!(created.replayed);
        assert_eq!(created.order, first);
    }

    #[tokio::test]
    async fn a_key_reused_with_another_body_or_still_in_flight_is_refused() {
        for (claim, expected) in [
            (IdempotencyClaim::Mismatch, "different"),
            (IdempotencyClaim::InFlight, "still"),
        ] {
            let mut repo = MockOrderRepository::new();
            repo.expect_insert().never();
            let mut keys = MockIdempotencyRepository::new();
            keys.expect_claim().returning(move |_, _, _| Ok(claim.clone()));
            let err = create(repo, keys)
                .execute(request(vec![(1, 100)]), Some("k"))
                .await
                .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn equal_bodies_have_equal_fingerprints_and_different_ones_differ() {
        let a = request(vec![(1, 100)]).into_order(Uuid::now_v7(), Utc::now()).unwrap();
        let b = request(vec![(1, 100)]).into_order(Uuid::now_v7(), Utc::now()).unwrap();
        let c = request(vec![(2, 100)]).into_order(Uuid::now_v7(), Utc::now()).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
