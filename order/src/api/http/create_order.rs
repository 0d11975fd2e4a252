//! `POST /orders`: its contract, request body, answers and problems.

use checkout_contract::trace::TraceContext;
use checkout_domain::VoucherCode;
use checkout_http::{
    ApiError, Authenticated, Documented, FieldError, JsonBody, Operation, ProblemType, RateClass, Rule, StrictJson,
    Violations, integer_schema, problems::*, text_schema,
};
use poem::web::Data;
use poem::{Request, http::Method};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::Header,
    registry::MetaSchema,
    types::{Example, Type},
};
use serde::Deserialize;

use super::{
    ApiTags,
    order::{Currency, OrderDto, example_items},
    product::SkuField,
    repository,
};
use crate::application::{
    domain::{
        self, CustomerId, IdempotencyKey, InvalidItemCount, InvalidOrder, InvalidQuantity, InvalidText, ItemCount,
        OrderLine, Quantity, Refusal, Sku, access,
    },
    usecases::{CreateOrder, CreateOrderError, NewOrder},
};

/// No operation declares 500: it would mean a defect, which no request can be made to cause
/// on purpose and no client can act on beyond retrying; `/problems/internal` still explains
/// it. 503 is the database (or the identity provider's keys) being out of reach, or a request
/// that took too long; 408, 413 and 415 only come where a body is read.
pub const OPERATION: Operation = Operation {
    method: Method::POST,
    path: "/orders",
    permission: access::CREATE,
    rate_limit: Some(RateClass::Write),
    takes_body: true,
    problems: &[
        VALIDATION,
        INVALID_JSON,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        OTHER_CUSTOMER,
        REQUEST_TIMEOUT,
        IDEMPOTENCY_KEY_IN_FLIGHT,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        IDEMPOTENCY_KEY_REUSED,
        UNKNOWN_PRODUCT,
        VOUCHER_UNKNOWN,
        VOUCHER_EXPIRED,
        VOUCHER_USED,
        VOUCHER_HELD,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

pub const IDEMPOTENCY_KEY_IN_FLIGHT: ProblemType = ProblemType::new(
    "idempotency-key-in-flight",
    409,
    "The first request with this `Idempotency-Key` has been in progress for more than 5 s. \
     Retry with the same key: the answer will be that request's.",
    "a request with this Idempotency-Key is still being processed; retry later",
);

pub const UNKNOWN_PRODUCT: ProblemType = ProblemType::new(
    "unknown-product",
    422,
    "A line names a SKU that is not an active product of the catalog: it never was, or it was \
     deactivated. `errors` names each such line (`items[1].sku`). Nothing was created; \
     `GET /products?active=true` lists what can be ordered.",
    "items[1].sku: no active product with this SKU",
);

pub const IDEMPOTENCY_KEY_REUSED: ProblemType = ProblemType::new(
    "idempotency-key-reused",
    422,
    "This `Idempotency-Key` was used within 24 hours with another body. Nothing was created: \
     a new order needs a new key.",
    "this Idempotency-Key was already used with a different request body",
);

pub const VOUCHER_UNKNOWN: ProblemType = ProblemType::new(
    "voucher-unknown",
    422,
    "No voucher with this `voucher_code` can be used by this customer: the code was never \
     issued, or is another customer's (both get this same answer). A voucher issued a moment \
     ago can take up to a second to become usable. Nothing was created.",
    "no voucher with this code can be used by this customer",
);

pub const VOUCHER_EXPIRED: ProblemType = ProblemType::new(
    "voucher-expired",
    422,
    "The voucher's `expires_at` has passed: no new order can use it. Nothing was created.",
    "the voucher has expired",
);

pub const VOUCHER_USED: ProblemType = ProblemType::new(
    "voucher-used",
    422,
    "The voucher was spent by an order that was sent. Nothing was created.",
    "the voucher was already used by another order",
);

pub const VOUCHER_HELD: ProblemType = ProblemType::new(
    "voucher-held",
    422,
    "The voucher is held by another open order of this customer. It is given back if that \
     order is cancelled, and spent if it is sent. Nothing was created.",
    "the voucher is held by another open order; it is given back if that order is cancelled",
);

/// A voucher's code as a customer types it: the domain's rule.
pub enum VoucherCodeField {}

impl Rule for VoucherCodeField {
    type Value = String;

    fn schema() -> MetaSchema {
        MetaSchema {
            pattern: Some(checkout_domain::VOUCHER_CODE_PATTERN.to_owned()),
            example: Some("7K3M-QX9P-2HBD-W4RT".into()),
            ..MetaSchema::new("string")
        }
    }
}

/// The customer a new order is for: the domain's free-text rule.
pub enum CustomerIdField {}

impl Rule for CustomerIdField {
    type Value = String;

    fn schema() -> MetaSchema {
        text_schema("alice")
    }
}

/// The lines of a new order: the domain's item count.
pub enum ItemsField {}

impl Rule for ItemsField {
    type Value = Vec<OrderLineRequest>;

    fn schema() -> MetaSchema {
        MetaSchema {
            items: Some(Box::new(OrderLineRequest::schema_ref())),
            min_items: Some(ItemCount::MIN),
            max_items: Some(ItemCount::MAX),
            ..MetaSchema::new("array")
        }
    }
}

/// The `Idempotency-Key` header: the domain's length limit.
pub enum IdempotencyKeyHeader {}

impl Rule for IdempotencyKeyHeader {
    type Value = String;

    fn schema() -> MetaSchema {
        MetaSchema {
            min_length: Some(1),
            max_length: Some(IdempotencyKey::MAX_BYTES),
            example: Some("checkout-7f3a9c2e-0001".into()),
            ..MetaSchema::new("string")
        }
    }
}

/// How many units of a line: the domain's limits.
pub enum QuantityField {}

impl Rule for QuantityField {
    type Value = i64;

    fn schema() -> MetaSchema {
        integer_schema(Quantity::MIN.into(), Quantity::MAX.into())
    }
}

/// One line of a new order: a product of the catalog and how many. Its name and price are
/// the catalog's.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    /// The product's SKU: an active product of the catalog (`GET /products`).
    pub sku: Documented<SkuField>,
    /// How many units.
    pub quantity: Documented<QuantityField>,
}

impl Example for OrderLineRequest {
    fn example() -> Self {
        example_lines().remove(0)
    }
}

/// The lines of the examples: those of the example order.
fn example_lines() -> Vec<OrderLineRequest> {
    example_items()
        .into_iter()
        .map(|item| OrderLineRequest {
            sku: Documented::new(item.sku),
            quantity: Documented::new(item.quantity),
        })
        .collect()
}

/// A new order. The server prices it from the catalog and computes the total.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    /// The customer placing the order: a customer's token may name only its own subject.
    pub customer_id: Documented<CustomerIdField>,
    /// The lines of the order, each a product of the catalog and a quantity.
    pub items: Documented<ItemsField>,
    /// Defaults to EUR (also when null), the only currency accepted.
    #[oai(nullable)]
    #[serde(default)]
    pub currency: Option<Currency>,
    /// A voucher of this customer to spend on the order (dashes and case do not matter):
    /// its amount comes off the subtotal, never more than the subtotal. The voucher is held
    /// for the order until it is sent (then it is spent) or cancelled (then it is given back).
    #[oai(nullable)]
    #[serde(default)]
    pub voucher_code: Option<Documented<VoucherCodeField>>,
}

impl JsonBody for CreateOrderRequest {
    fn rule(field: &str) -> Option<String> {
        Some(match field {
            "customer_id" | "sku" => InvalidText.to_string(),
            "quantity" => InvalidQuantity.to_string(),
            "items" => InvalidItemCount.to_string(),
            "currency" => domain::Currency::rule(),
            "voucher_code" => checkout_domain::InvalidCode.to_string(),
            _ => return None,
        })
    }

    fn refused(field: &str) -> Option<&'static str> {
        (field == "unit_price_cents").then_some("is not accepted: prices come from the catalog")
    }
}

impl Example for CreateOrderRequest {
    fn example() -> Self {
        Self {
            customer_id: Documented::new("alice".into()),
            items: Documented::new(example_lines()),
            currency: Some(Currency::EUR),
            voucher_code: Some(Documented::new("7K3M-QX9P-2HBD-W4RT".into())),
        }
    }
}

impl CreateOrderRequest {
    /// The order the domain would take; every field that breaks one of its rules is
    /// recorded in `violations` (as `items[2].quantity`), and then there is no order.
    pub fn into_new_order(self, violations: &mut Violations) -> Option<NewOrder> {
        let customer_id = violations.check("customer_id", CustomerId::parse(self.customer_id.into_inner()));
        let voucher_code = self
            .voucher_code
            .map(|code| violations.check("voucher_code", VoucherCode::parse(&code.into_inner())));
        let items = self.items.into_inner();
        let count = violations.check("items", ItemCount::check(items.len()));
        let lines: Option<Vec<OrderLine>> = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let sku = violations.check(format!("items[{i}].sku"), Sku::parse(item.sku.into_inner()));
                let quantity = violations.check(format!("items[{i}].quantity"), Quantity::new(item.quantity.0));
                Some(OrderLine {
                    sku: sku?,
                    quantity: quantity?,
                })
            })
            // Every item is checked, not only those up to the first broken one.
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        count?;
        Some(NewOrder {
            customer_id: customer_id?,
            lines: lines?,
            currency: match self.currency {
                None | Some(Currency::EUR) => domain::Currency::Eur,
            },
            voucher_code: voucher_code.map(|code| code.ok_or(())).transpose().ok()?,
        })
    }
}

#[derive(ApiResponse)]
enum CreateOrderResponse {
    /// The order was created, or, for a repeated `Idempotency-Key`, the order the first
    /// request created (with `Idempotent-Replayed: true`).
    #[oai(status = 201)]
    Created(
        StrictJson<OrderDto>,
        /// The order's own URL, `/orders/{id}`.
        #[oai(header = "Location")]
        String,
        /// `true` when this is the replay of the first request with the same
        /// `Idempotency-Key`; absent otherwise.
        #[oai(header = "Idempotent-Replayed")]
        Option<String>,
    ),
}

fn problem(err: CreateOrderError) -> ApiError {
    match err {
        CreateOrderError::Forbidden(denied) => ApiError::forbidden(&denied),
        CreateOrderError::Invalid(InvalidOrder::ItemCount(e)) => {
            ApiError::invalid(vec![FieldError::new("items", e.to_string())])
        }
        CreateOrderError::Invalid(e @ (InvalidOrder::TotalMismatch { .. } | InvalidOrder::Discount { .. })) => {
            ApiError::internal(&e)
        }
        CreateOrderError::Voucher(refusal) => {
            let kind = match refusal {
                Refusal::Unknown => VOUCHER_UNKNOWN,
                Refusal::Expired => VOUCHER_EXPIRED,
                Refusal::Used => VOUCHER_USED,
                Refusal::Held => VOUCHER_HELD,
            };
            ApiError::unprocessable(kind.kind, refusal.to_string())
        }
        CreateOrderError::UnknownProducts(lines) => ApiError::unprocessable_fields(
            UNKNOWN_PRODUCT.kind,
            lines
                .into_iter()
                .map(|i| FieldError::new(format!("items[{i}].sku"), "no active product with this SKU"))
                .collect(),
        ),
        CreateOrderError::KeyReused => ApiError::unprocessable(IDEMPOTENCY_KEY_REUSED.kind, err.to_string()),
        CreateOrderError::KeyInFlight => ApiError::conflict(IDEMPOTENCY_KEY_IN_FLIGHT.kind, err.to_string()),
        CreateOrderError::Repository(e) => repository(e),
    }
}

pub struct CreateOrderApi(pub CreateOrder);

#[OpenApi(tag = "ApiTags::Orders")]
impl CreateOrderApi {
    /// Create an order
    ///
    /// Prices each line from the catalog (its product's name and price now) and computes the
    /// total; the order starts in status `created`. Prices are the catalog's: a line that
    /// states `unit_price_cents` is refused. With a `voucher_code`, the customer's voucher
    /// comes off the subtotal and is held for the order (a 422 says why one cannot be used).
    #[oai(path = "/orders", method = "post", operation_id = "create_order")]
    async fn create_order(
        &self,
        caller: Authenticated,
        body: StrictJson<CreateOrderRequest>,
        /// Makes retries safe: the same key with the same body within 24 hours returns the
        /// first request's order instead of creating another one. A request sent while the
        /// first one with its key is still being stored waits for it (a 409 if that takes
        /// more than 5 seconds).
        #[oai(name = "Idempotency-Key")]
        _idempotency_key: Header<Option<Documented<IdempotencyKeyHeader>>>,
        request: &Request,
        trace: Data<&TraceContext>,
    ) -> Result<CreateOrderResponse, ApiError> {
        let mut violations = Violations::default();
        // Read as bytes: poem's typed header (which documents it) drops a value that is not
        // visible ASCII.
        let key = request
            .headers()
            .get("Idempotency-Key")
            .and_then(|value| violations.check("Idempotency-Key", IdempotencyKey::from_header(value.as_bytes())));
        let new_order = body.0.into_new_order(&mut violations);
        violations.finish()?;
        let new_order = new_order.expect("an order without violations");
        let created = self
            .0
            .execute(&caller.0, new_order, key.as_ref(), trace.0)
            .await
            .map_err(problem)?;
        let location = format!("/orders/{}", created.order.id());
        let replayed = created.replayed.then(|| "true".to_owned());
        Ok(CreateOrderResponse::Created(
            StrictJson(created.order.into()),
            location,
            replayed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: i64) -> OrderLineRequest {
        OrderLineRequest {
            sku: Documented::new(sku.into()),
            quantity: Documented::new(quantity),
        }
    }

    fn request(customer_id: &str, items: Vec<OrderLineRequest>) -> CreateOrderRequest {
        CreateOrderRequest {
            customer_id: Documented::new(customer_id.into()),
            items: Documented::new(items),
            currency: None,
            voucher_code: None,
        }
    }

    fn violations_of(request: CreateOrderRequest) -> Vec<String> {
        let mut violations = Violations::default();
        assert!(request.into_new_order(&mut violations).is_none());
        match violations.finish().unwrap_err() {
            ApiError::BadRequest(problem) => problem.0.errors.iter().map(ToString::to_string).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_broken_field_is_named_as_the_client_wrote_it() {
        let request = request(" ", vec![line("A", 1), line("", 0), line("C", 1001)]);
        assert_eq!(
            violations_of(request),
            [
                "customer_id: must be 1 to 64 characters, not blank, without control characters",
                "items[1].sku: must be 1 to 64 characters, not blank, without control characters",
                "items[1].quantity: must be an integer from 1 to 1000",
                "items[2].quantity: must be an integer from 1 to 1000",
            ]
        );
    }

    #[test]
    fn a_stated_price_is_refused_naming_the_field_and_why() {
        let body = br#"{"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}]}"#;
        let ApiError::BadRequest(problem) = checkout_http::parse_json::<CreateOrderRequest>(body).unwrap_err() else {
            panic!("a 400");
        };
        assert_eq!(
            problem.0.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["items[0].unit_price_cents: is not accepted: prices come from the catalog"]
        );
    }

    #[test]
    fn an_order_without_items_is_refused() {
        assert_eq!(
            violations_of(request("c", Vec::new())),
            ["items: must hold 1 to 100 items"]
        );
    }

    #[test]
    fn a_request_reads_the_same_through_serde_as_through_the_documents_types() {
        checkout_testing::assert_same_reading(&CreateOrderRequest::example());
        checkout_testing::assert_same_reading(&CreateOrderRequest {
            currency: None,
            ..CreateOrderRequest::example()
        });
    }

    #[test]
    fn the_examples_ask_for_the_lines_of_the_example_order() {
        let mut violations = Violations::default();
        let order = CreateOrderRequest::example().into_new_order(&mut violations).unwrap();
        assert!(violations.finish().is_ok());
        let answer = OrderDto::example();
        let asked: Vec<_> = order
            .lines
            .iter()
            .map(|l| (l.sku.as_str(), i64::from(l.quantity.get())))
            .collect();
        let answered: Vec<_> = answer.items.iter().map(|i| (i.sku.as_str(), i.quantity)).collect();
        assert_eq!(asked, answered);
        let subtotal: i64 = answer.items.iter().map(|i| i.quantity * i.unit_price_cents).sum();
        assert_eq!(answer.subtotal_cents, subtotal);
        assert_eq!(answer.total_cents, subtotal - answer.discount_cents);
        assert!(order.voucher_code.is_some() && answer.voucher_id.is_some());
    }

    #[test]
    fn a_valid_request_becomes_a_new_order_in_euros() {
        let mut request = request("c", vec![line("A", 2)]);
        request.currency = Some(Currency::EUR);
        let mut violations = Violations::default();
        let order = request.into_new_order(&mut violations).unwrap();
        assert!(violations.finish().is_ok());
        assert_eq!(order.currency, domain::Currency::Eur);
        assert_eq!(order.lines[0].quantity.get(), 2);
    }
}
