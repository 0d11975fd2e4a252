use std::sync::Arc;

use checkout_contract::trace::TraceContext;
use checkout_domain::VoucherCode;
use chrono::Utc;
use serde::Serialize;

use crate::application::{
    domain::{
        CallersKey, Currency, CustomerId, IdempotencyKey, InvalidOrder, Order, OrderId, OrderItem, OrderLine, Refusal,
        access::{self, AccessDenied, Principal},
    },
    ports::{Catalog, CreateOutcome, OrderRepository, RelaySignal, RepositoryError, VoucherRepository},
};

/// How many times to re-read a voucher that another order took between its reading and the
/// order's storing. A voucher can be given back in between, so a second round may find it
/// free; a third that still loses reports it held.
const VOUCHER_ROUNDS: usize = 3;

/// A request to create an order, every part of it already valid: which products and how
/// many (their names and prices come from the catalog), and the voucher to spend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_id: CustomerId,
    pub lines: Vec<OrderLine>,
    pub currency: Currency,
    pub voucher_code: Option<VoucherCode>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateOrderError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error(transparent)]
    Invalid(#[from] InvalidOrder),
    /// The lines (by index) whose SKU names no active product; nothing was stored.
    #[error("no active product with this SKU")]
    UnknownProducts(Vec<usize>),
    #[error("this Idempotency-Key was already used with a different request body")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    KeyInFlight,
    /// The voucher cannot be used by this order; nothing was stored.
    #[error(transparent)]
    Voucher(#[from] Refusal),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The created order, and whether it is the replay of an earlier request with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub order: Order,
    pub replayed: bool,
}

/// Prices a new order from the catalog (each line takes its product's name and price now),
/// builds it (the domain computes its total, and its discount if it spends a voucher) and
/// stores it in status `created`, holding its voucher.
pub struct CreateOrder {
    orders: Arc<dyn OrderRepository>,
    catalog: Arc<dyn Catalog>,
    vouchers: Arc<dyn VoucherRepository>,
    relay: Arc<dyn RelaySignal>,
}

/// What makes two creation requests with one key "the same body": what the customer asked
/// for, not the prices it was given (a price change between a request and its retry still
/// replays the first answer). The key is its caller's: another caller's request with the
/// same key is a request of its own.
#[derive(Serialize)]
struct Fingerprint<'a> {
    customer_id: &'a str,
    currency: &'a str,
    items: Vec<(&'a str, u32)>,
    /// The voucher's digest: the fingerprint is stored, and the code must not be.
    #[serde(skip_serializing_if = "Option::is_none")]
    voucher: Option<String>,
}

fn fingerprint(new: &NewOrder) -> String {
    let items = new.lines.iter().map(|l| (l.sku.as_str(), l.quantity.get())).collect();
    let print = Fingerprint {
        customer_id: new.customer_id.as_str(),
        currency: new.currency.code(),
        items,
        voucher: new.voucher_code.as_ref().map(VoucherCode::digest),
    };
    serde_json::to_string(&print).expect("fingerprints serialize")
}

impl CreateOrder {
    pub fn new(
        orders: Arc<dyn OrderRepository>,
        catalog: Arc<dyn Catalog>,
        vouchers: Arc<dyn VoucherRepository>,
        relay: Arc<dyn RelaySignal>,
    ) -> Self {
        Self {
            orders,
            catalog,
            vouchers,
            relay,
        }
    }

    /// Each line at its product's name and price, or the indexes of the lines whose SKU
    /// names no active product.
    fn priced(&self, lines: &[OrderLine]) -> Result<Vec<OrderItem>, CreateOrderError> {
        let mut unknown = Vec::new();
        let items: Vec<OrderItem> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, line)| match self.catalog.active(&line.sku) {
                Some(product) => Some(OrderItem::of(&product, line.quantity)),
                None => {
                    unknown.push(i);
                    None
                }
            })
            .collect();
        if unknown.is_empty() {
            Ok(items)
        } else {
            Err(CreateOrderError::UnknownProducts(unknown))
        }
    }

    /// With an `idempotency_key`, the first request creates the order and any later one with
    /// the same key and body within 24 hours gets that same order back, creating nothing. A
    /// request sent while the first is still being stored waits for it and gets its order.
    ///
    /// A voucher is checked by the domain ([`Order::apply`]) and held for the order in the
    /// order's own write, so that of concurrent orders with one code exactly one gets it.
    ///
    /// # Errors
    /// [`CreateOrderError::Forbidden`] if `caller` may not create orders or not for this
    /// customer, [`CreateOrderError::UnknownProducts`] for lines whose SKU names no active
    /// product, [`CreateOrderError::Invalid`] for an order the domain refuses,
    /// [`CreateOrderError::Voucher`] for a voucher it cannot use (nothing is stored),
    /// [`CreateOrderError::KeyReused`] for a key used with another body,
    /// [`CreateOrderError::KeyInFlight`] when the first request with the key is still being
    /// stored after the repository's wait, or a repository failure.
    #[tracing::instrument(name = "create_order", skip_all, fields(customer_id = %new.customer_id, order_id))]
    pub async fn execute(
        &self,
        caller: &Principal,
        new: NewOrder,
        idempotency_key: Option<&IdempotencyKey>,
        trace: &TraceContext,
    ) -> Result<Created, CreateOrderError> {
        access::CREATE.check(caller)?;
        access::acting_for(caller, &new.customer_id)?;
        let idempotency_key = idempotency_key.map(|key| key.of_caller(caller.subject()));
        let fingerprint = idempotency_key.as_ref().map(|_| fingerprint(&new));
        let keyed = idempotency_key.as_ref().zip(fingerprint.as_deref());
        let items = match self.priced(&new.lines) {
            Ok(items) => items,
            // A retry of a creation whose product has left the catalog since still gets the
            // order it created.
            Err(unpriced) => return self.replay_or(keyed, unpriced).await,
        };
        let order = Order::new(OrderId::generate(), new.customer_id, items, new.currency, Utc::now())?;
        tracing::Span::current().record("order_id", tracing::field::display(order.id()));
        let Some(code) = new.voucher_code else {
            let outcome = self.orders.create(&order, None, keyed).await?;
            return answer(outcome, Some(order));
        };
        let digest = code.digest();
        for _ in 0..VOUCHER_ROUNDS {
            let mut order = order.clone();
            let found = self.vouchers.find(&digest).await?;
            let applied = match &found {
                Some((voucher, hold)) => order.apply(voucher, *hold, Utc::now()),
                None => Err(Refusal::Unknown),
            };
            if let Err(refusal) = applied {
                // A retry finds the voucher held by the order its first request created.
                return self.replay_or(keyed, refusal.into()).await;
            }
            let placed = order.placed_event().map(|e| e.with_trace(trace));
            match self.orders.create(&order, placed.as_ref(), keyed).await? {
                CreateOutcome::VoucherTaken => {
                    tracing::debug!("voucher taken by another order meanwhile; re-reading it");
                }
                outcome => {
                    if matches!(outcome, CreateOutcome::Created) {
                        self.relay.event_stored();
                    }
                    return answer(outcome, Some(order));
                }
            }
        }
        Err(Refusal::Held.into())
    }

    /// What an earlier creation with this key recorded, if there is one; else `err`.
    async fn replay_or(
        &self,
        keyed: Option<(&CallersKey, &str)>,
        err: CreateOrderError,
    ) -> Result<Created, CreateOrderError> {
        match keyed {
            Some((key, print)) => match self.orders.recorded(key, print).await? {
                Some(outcome) => answer(outcome, None),
                None => Err(err),
            },
            None => Err(err),
        }
    }
}

/// The answer to a creation: the `order` stored (`Created`), or what its key recorded.
fn answer(outcome: CreateOutcome, order: Option<Order>) -> Result<Created, CreateOrderError> {
    match (outcome, order) {
        (CreateOutcome::Created, Some(order)) => {
            tracing::info!(
                total_cents = order.total().amount.get(),
                discount_cents = order.discount().amount.get(),
                voucher_id = order.voucher().map(|v| tracing::field::display(v.id)),
                items = order.items().len(),
                "order created"
            );
            metrics::counter!("orders_created_total").increment(1);
            Ok(Created { order, replayed: false })
        }
        (CreateOutcome::Created, None) => Err(CreateOrderError::Repository(RepositoryError::Unexpected(
            "a key's record answered Created".into(),
        ))),
        (CreateOutcome::Replay(first), _) => {
            tracing::Span::current().record("order_id", tracing::field::display(first.id()));
            tracing::info!("idempotent replay");
            Ok(Created {
                order: first,
                replayed: true,
            })
        }
        (CreateOutcome::Mismatch, _) => Err(CreateOrderError::KeyReused),
        (CreateOutcome::InFlight, _) => Err(CreateOrderError::KeyInFlight),
        (CreateOutcome::VoucherTaken, _) => Err(Refusal::Held.into()),
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;
    use checkout_contract::events::OrderEvent;

    use super::*;
    use crate::application::{
        domain::Hold,
        domain::{InvalidItemCount, OrderStatus, Product, ProductName, Quantity, Sku, UnitPrice},
        ports::{MockOrderRepository, MockRelaySignal, MockVoucherRepository},
    };

    /// A catalog in which `P-<cents>` is an active product at that price, `OFF-<cents>` an
    /// inactive one, and nothing else is.
    struct PriceList;

    impl Catalog for PriceList {
        fn active(&self, sku: &Sku) -> Option<Product> {
            let cents = sku.as_str().strip_prefix("P-")?.parse().ok()?;
            Some(Product {
                sku: sku.clone(),
                name: ProductName::parse(format!("Product at {cents}")).unwrap(),
                unit_price: UnitPrice::new(cents).unwrap(),
                currency: Currency::Eur,
                active: true,
                updated_at: Utc::now(),
            })
        }

        fn version(&self) -> u64 {
            1
        }

        fn replace(&self, _: u64, _: Vec<Product>) {}
    }

    fn create_order(repo: MockOrderRepository) -> CreateOrder {
        CreateOrder::new(
            Arc::new(repo),
            Arc::new(PriceList),
            Arc::new(MockVoucherRepository::new()),
            Arc::new(MockRelaySignal::new()),
        )
    }

    fn lines(skus: &[(i64, &str)]) -> NewOrder {
        NewOrder {
            customer_id: CustomerId::parse("cust-7").unwrap(),
            lines: skus
                .iter()
                .map(|(q, sku)| OrderLine {
                    sku: Sku::parse(*sku).unwrap(),
                    quantity: Quantity::new(*q).unwrap(),
                })
                .collect(),
            currency: Currency::Eur,
            voucher_code: None,
        }
    }

    /// An order of `(quantity, unit price)` lines, each of the product `P-<price>`.
    fn request(items: &[(i64, i64)]) -> NewOrder {
        let skus: Vec<(i64, String)> = items.iter().map(|(q, p)| (*q, format!("P-{p}"))).collect();
        lines(&skus.iter().map(|(q, s)| (*q, s.as_str())).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn each_line_takes_its_products_name_and_price_from_the_catalog() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .times(1)
            .returning(|_, _, _| Ok(CreateOutcome::Created));
        let created = create_order(repo)
            .execute(&customer(), request(&[(2, 1_250)]), None, &TraceContext::default())
            .await
            .unwrap();
        let item = &created.order.items()[0];
        assert_eq!(
            (item.sku.as_str(), item.name.as_str(), item.unit_price.cents().get()),
            ("P-1250", "Product at 1250", 1_250)
        );
        assert_eq!(created.order.total().amount.get(), 2_500);
    }

    #[tokio::test]
    async fn unknown_and_inactive_products_are_named_by_line_and_nothing_is_stored() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create().never();
        repo.expect_recorded().times(1).returning(|_, _| Ok(None));
        let err = create_order(repo)
            .execute(
                &customer(),
                lines(&[(1, "P-100"), (1, "NOPE"), (1, "OFF-100")]),
                Some(&key("k")),
                &TraceContext::default(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CreateOrderError::UnknownProducts(lines) if lines == &[1, 2]),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_retry_whose_product_left_the_catalog_gets_the_order_its_key_created() {
        let first = create_order(MockOrderRepository::new())
            .priced(&lines(&[(1, "P-100")]).lines)
            .map(|items| {
                Order::new(
                    OrderId::generate(),
                    CustomerId::parse("cust-7").unwrap(),
                    items,
                    Currency::Eur,
                    Utc::now(),
                )
            })
            .unwrap()
            .unwrap();
        let expected = fingerprint(&lines(&[(1, "OFF-100")]));
        let mut repo = MockOrderRepository::new();
        repo.expect_create().never();
        let stored = first.clone();
        repo.expect_recorded()
            .withf(move |key, print| key.key() == "k-9" && key.caller() == "cust-7" && print == expected)
            .times(1)
            .returning(move |_, _| Ok(Some(CreateOutcome::Replay(stored.clone()))));
        let created = create_order(repo)
            .execute(
                &customer(),
                lines(&[(1, "OFF-100")]),
                Some(&key("k-9")),
                &TraceContext::default(),
            )
            .await
            .unwrap();
        assert!(created.replayed);
        assert_eq!(created.order.id(), first.id());

        let mut repo = MockOrderRepository::new();
        repo.expect_recorded()
            .returning(|_, _| Ok(Some(CreateOutcome::Mismatch)));
        let err = create_order(repo)
            .execute(
                &customer(),
                lines(&[(1, "OFF-100")]),
                Some(&key("k-9")),
                &TraceContext::default(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, CreateOrderError::KeyReused), "{err:?}");
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
            .withf(|order, event, key| {
                order.total().amount.get() == 3 * 1_999 + 500
                    && order.customer_id().as_str() == "cust-7"
                    && order.status() == OrderStatus::Created
                    && key.is_none()
                    && event.is_none()
            })
            .times(1)
            .returning(|_, _, _| Ok(CreateOutcome::Created));
        let created = create_order(repo)
            .execute(
                &customer(),
                request(&[(3, 1_999), (1, 500)]),
                None,
                &TraceContext::default(),
            )
            .await
            .unwrap();
        assert_eq!(created.order.total().amount.get(), 6_497);
        assert!(!created.replayed);
    }

    #[tokio::test]
    async fn an_order_the_domain_refuses_is_not_stored_and_records_no_key() {
        let mut repo = MockOrderRepository::new();
        repo.expect_create().never();
        let err = create_order(repo)
            .execute(&customer(), request(&[]), Some(&key("k")), &TraceContext::default())
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
        repo.expect_create().times(1).returning(|_, _, _| Err(unavailable()));
        let err = create_order(repo)
            .execute(
                &customer(),
                request(&[(1, 100)]),
                Some(&key("k-1")),
                &TraceContext::default(),
            )
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            CreateOrderError::Repository(RepositoryError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn a_key_is_stored_with_the_order_as_its_callers_with_the_body_fingerprint() {
        let expected = fingerprint(&request(&[(1, 100)]));
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .withf(move |_, _, key| {
                key.is_some_and(|(k, print)| k.key() == "k-2" && k.caller() == "cust-7" && print == expected)
            })
            .times(1)
            .returning(|_, _, _| Ok(CreateOutcome::Created));
        let created = create_order(repo)
            .execute(
                &customer(),
                request(&[(1, 100)]),
                Some(&key("k-2")),
                &TraceContext::default(),
            )
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
            .returning(move |_, _, _| Ok(CreateOutcome::Replay(replay.clone())));
        let created = create_order(repo)
            .execute(
                &customer(),
                request(&[(1, 100)]),
                Some(&key("k")),
                &TraceContext::default(),
            )
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
            repo.expect_create()
                .times(1)
                .returning(move |_, _, _| Ok(outcome.clone()));
            let err = create_order(repo)
                .execute(
                    &customer(),
                    request(&[(1, 100)]),
                    Some(&key("k")),
                    &TraceContext::default(),
                )
                .await
                .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn equal_bodies_have_equal_fingerprints_and_different_ones_differ() {
        assert_eq!(fingerprint(&request(&[(1, 100)])), fingerprint(&request(&[(1, 100)])));
        assert_ne!(fingerprint(&request(&[(1, 100)])), fingerprint(&request(&[(2, 100)])));
        assert_ne!(fingerprint(&request(&[(1, 100)])), fingerprint(&request(&[(1, 200)])));
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
            let err = create_order(repo)
                .execute(&caller, request(&[(1, 100)]), Some(&key("k")), &TraceContext::default())
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
            .withf(|order, _, _| order.customer_id().as_str() == "cust-7")
            .times(1)
            .returning(|_, _, _| Ok(CreateOutcome::Created));
        let checkout = Principal::new("checkout", [Scope::OrdersWrite]).with_token_ids(Some("checkout".into()), None);
        let created = create_order(repo)
            .execute(&checkout, request(&[(1, 100)]), None, &TraceContext::default())
            .await
            .unwrap();
        assert_eq!(created.order.customer_id().as_str(), "cust-7");
    }

    /// `cust-7`'s voucher of 5.00 EUR with code [`CODE`], valid for an hour.
    fn voucher() -> crate::application::domain::Voucher {
        let now = Utc::now();
        crate::application::domain::Voucher::parse(
            uuid::Uuid::now_v7(),
            VoucherCode::parse(CODE).unwrap().digest(),
            "cust-7".into(),
            500,
            "EUR",
            now,
            now + chrono::Duration::hours(1),
        )
        .unwrap()
    }

    const CODE: &str = "7K3M-QX9P-2HBD-W4RT";

    fn with_code(mut new: NewOrder) -> NewOrder {
        new.voucher_code = Some(VoucherCode::parse(CODE).unwrap());
        new
    }

    /// The voucher repository finding `found` for [`CODE`]'s digest `times` times.
    fn vouchers_finding(
        found: Option<(crate::application::domain::Voucher, Hold)>,
        times: usize,
    ) -> MockVoucherRepository {
        let digest = VoucherCode::parse(CODE).unwrap().digest();
        let mut vouchers = MockVoucherRepository::new();
        vouchers
            .expect_find()
            .withf(move |d| d == digest)
            .times(times)
            .returning(move |_| Ok(found.clone()));
        vouchers
    }

    fn checkout(repo: MockOrderRepository, vouchers: MockVoucherRepository, signals: usize) -> CreateOrder {
        let mut signal = MockRelaySignal::new();
        signal.expect_event_stored().times(signals).return_const(());
        CreateOrder::new(
            Arc::new(repo),
            Arc::new(PriceList),
            Arc::new(vouchers),
            Arc::new(signal),
        )
    }

    #[tokio::test]
    async fn a_voucher_comes_off_the_subtotal_and_the_order_is_stored_with_its_placed_event() {
        let voucher = voucher();
        let id = voucher.id;
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .withf(move |order, event, _| {
                order.voucher().is_some_and(|v| v.id == id)
                    && order.total().amount.get() == 9_900
                    && matches!(event, Some(OrderEvent::Placed(p))
                        if p.voucher_id == id && p.discount_cents == 500 && p.request_id.as_deref() == Some("req-2"))
            })
            .times(1)
            .returning(|_, _, _| Ok(CreateOutcome::Created));
        let trace = TraceContext {
            request_id: Some("req-2".into()),
            traceparent: None,
        };
        let created = checkout(repo, vouchers_finding(Some((voucher, Hold::Free)), 1), 1)
            .execute(&customer(), with_code(request(&[(1, 10_400)])), None, &trace)
            .await
            .unwrap();
        assert_eq!(
            (
                created.order.subtotal().amount.get(),
                created.order.discount().amount.get()
            ),
            (10_400, 500)
        );
    }

    #[tokio::test]
    async fn an_unknown_code_and_another_customers_code_get_the_same_refusal_and_nothing_is_stored() {
        let mut theirs = voucher();
        theirs.customer_id = CustomerId::parse("someone-else").unwrap();
        for found in [None, Some((theirs, Hold::Free))] {
            let mut repo = MockOrderRepository::new();
            repo.expect_create().never();
            let err = checkout(repo, vouchers_finding(found, 1), 0)
                .execute(
                    &customer(),
                    with_code(request(&[(1, 10_400)])),
                    None,
                    &TraceContext::default(),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, CreateOrderError::Voucher(Refusal::Unknown)), "{err:?}");
        }
    }

    #[tokio::test]
    async fn a_voucher_taken_meanwhile_is_read_again_and_refused_as_held() {
        let voucher = voucher();
        let mut vouchers = MockVoucherRepository::new();
        let mut reads = mockall::Sequence::new();
        let free = voucher.clone();
        vouchers
            .expect_find()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_| Ok(Some((free.clone(), Hold::Free))));
        let other = OrderId::generate();
        vouchers
            .expect_find()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_| Ok(Some((voucher.clone(), Hold::Reserved(other)))));
        let mut repo = MockOrderRepository::new();
        repo.expect_create()
            .times(1)
            .returning(|_, _, _| Ok(CreateOutcome::VoucherTaken));
        let err = checkout(repo, vouchers, 0)
            .execute(
                &customer(),
                with_code(request(&[(1, 10_400)])),
                None,
                &TraceContext::default(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, CreateOrderError::Voucher(Refusal::Held)), "{err:?}");
    }

    #[tokio::test]
    async fn a_retry_finds_the_voucher_held_by_its_first_order_and_gets_that_order() {
        let first = crate::application::domain::fixtures::order_in(OrderStatus::Created, &[(1, 10_400)]);
        let voucher = voucher();
        let mut repo = MockOrderRepository::new();
        repo.expect_create().never();
        let replay = first.clone();
        repo.expect_recorded()
            .times(1)
            .returning(move |_, _| Ok(Some(CreateOutcome::Replay(replay.clone()))));
        let created = checkout(
            repo,
            vouchers_finding(Some((voucher, Hold::Reserved(first.id()))), 1),
            0,
        )
        .execute(
            &customer(),
            with_code(request(&[(1, 10_400)])),
            Some(&key("k-3")),
            &TraceContext::default(),
        )
        .await
        .unwrap();
        assert!(created.replayed);
        assert_eq!(created.order.id(), first.id());
    }

    #[test]
    fn the_key_of_an_order_with_a_voucher_remembers_its_digest_never_its_code() {
        let print = fingerprint(&with_code(request(&[(1, 100)])));
        assert!(print.contains(&VoucherCode::parse(CODE).unwrap().digest()), "{print}");
        assert!(!print.contains("7K3M"), "{print}");
        assert_ne!(print, fingerprint(&request(&[(1, 100)])));
    }
}
