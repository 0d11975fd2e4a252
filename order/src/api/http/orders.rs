use checkout_contract::trace::TraceContext;
use checkout_domain::CustomerId;
use checkout_http::{ApiError, Authenticated, StrictJson, Violations};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Header, Path, Query},
};

use super::{
    dto::{CreateOrderRequest, OrderDto, OrderPageDto, UpdateStatusRequest},
    errors,
};
use crate::application::{
    domain::{IdempotencyKey, OrderId, OrderQuery, OrderStatus, PageLimit},
    usecases::{ChangeOrderStatus, CreateOrder, GetOrder, ListOrders},
};

#[derive(Tags)]
enum ApiTags {
    /// Orders and their lifecycle.
    Orders,
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

#[derive(ApiResponse)]
enum OrderResponse {
    /// The order.
    #[oai(status = 200)]
    Ok(StrictJson<OrderDto>),
}

#[derive(ApiResponse)]
enum OrderPageResponse {
    /// A page of orders, newest first.
    #[oai(status = 200)]
    Ok(StrictJson<OrderPageDto>),
}

/// The orders resource.
pub struct OrderApi {
    create_order: CreateOrder,
    get_order: GetOrder,
    list_orders: ListOrders,
    change_order_status: ChangeOrderStatus,
}

impl OrderApi {
    pub fn new(
        create_order: CreateOrder,
        get_order: GetOrder,
        list_orders: ListOrders,
        change_order_status: ChangeOrderStatus,
    ) -> Self {
        Self {
            create_order,
            get_order,
            list_orders,
            change_order_status,
        }
    }
}

#[OpenApi(tag = "ApiTags::Orders")]
impl OrderApi {
    /// Create an order
    ///
    /// Validates the items and computes the total; the order starts in status `created`.
    #[oai(path = "/orders", method = "post", operation_id = "create_order")]
    async fn create(
        &self,
        caller: Authenticated,
        body: StrictJson<CreateOrderRequest>,
        /// Makes retries safe: the same key with the same body within 24 hours returns the
        /// first request's order instead of creating another one. A request sent while the
        /// first one with its key is still being stored waits for it (a 409 if that takes
        /// more than 5 seconds).
        #[oai(name = "Idempotency-Key")]
        _idempotency_key: Header<Option<String>>,
        request: &Request,
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
            .create_order
            .execute(&caller.0, new_order, key.as_ref())
            .await
            .map_err(errors::create_order)?;
        let location = format!("/orders/{}", created.order.id());
        let replayed = created.replayed.then(|| "true".to_owned());
        Ok(CreateOrderResponse::Created(
            StrictJson(created.order.into()),
            location,
            replayed,
        ))
    }

    /// Get an order
    ///
    /// Another customer's order is a 404, as one that does not exist.
    #[oai(path = "/orders/:id", method = "get", operation_id = "get_order")]
    async fn get(
        &self,
        caller: Authenticated,
        /// The order's id, as `id` of its creation's answer.
        id: Path<String>,
    ) -> Result<OrderResponse, ApiError> {
        let order = self
            .get_order
            .execute(&caller.0, Violations::single("id", OrderId::parse(&id.0))?)
            .await
            .map_err(errors::get_order)?;
        Ok(OrderResponse::Ok(StrictJson(order.into())))
    }

    /// List orders
    ///
    /// Newest first. Follow `next_cursor` (passed back as `cursor`) for older orders.
    #[oai(path = "/orders", method = "get", operation_id = "list_orders")]
    async fn list(
        &self,
        caller: Authenticated,
        /// Only this customer's orders (a customer may name only itself).
        customer_id: Query<Option<String>>,
        /// Only orders in this status.
        status: Query<Option<String>>,
        /// Page size: at most this many orders.
        limit: Query<Option<String>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<OrderPageResponse, ApiError> {
        let mut v = Violations::default();
        let customer_id = customer_id.0.and_then(|c| v.check("customer_id", CustomerId::parse(c)));
        let status = status.0.and_then(|s| v.check("status", s.parse::<OrderStatus>()));
        let limit = limit.0.map(|l| v.check("limit", PageLimit::parse(&l)));
        let before = cursor.0.and_then(|c| v.check("cursor", OrderId::parse(&c)));
        v.finish()?;
        let query = OrderQuery {
            customer_id,
            status,
            limit: limit.flatten().unwrap_or(PageLimit::DEFAULT),
            before,
        };
        let page = self
            .list_orders
            .execute(&caller.0, query)
            .await
            .map_err(errors::list_orders)?;
        Ok(OrderPageResponse::Ok(StrictJson(page.into())))
    }

    /// Change an order's status
    ///
    /// Allowed: `created` to `sent` or `cancelled`, `sent` to `delivered`. Asking for the
    /// current status again changes nothing. Becoming `sent` publishes an `order.sent` event.
    #[oai(path = "/orders/:id/status", method = "patch", operation_id = "change_order_status")]
    async fn update_status(
        &self,
        caller: Authenticated,
        /// The order's id.
        id: Path<String>,
        body: StrictJson<UpdateStatusRequest>,
        trace: Data<&TraceContext>,
    ) -> Result<OrderResponse, ApiError> {
        let change = self
            .change_order_status
            .execute(
                &caller.0,
                Violations::single("id", OrderId::parse(&id.0))?,
                body.0.status.into(),
                trace.0,
            )
            .await
            .map_err(errors::change_order_status)?;
        Ok(OrderResponse::Ok(StrictJson(change.order.into())))
    }
}
