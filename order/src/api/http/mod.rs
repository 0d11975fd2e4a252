//! HTTP API of the order service: one module per operation, each with its whole contract
//! (the [`Operation`] declaration, its parameters and bodies, its answers, its problems and
//! how the use case's errors become them); [`order`] is the order as every one answers it.

mod change_order_status;
mod create_order;
mod get_order;
mod list_orders;
mod order;

use std::sync::Arc;

use checkout_auth::TokenVerifier;
use checkout_http::{ApiError, HttpLimits, Operation, service_endpoint};
use poem::endpoint::BoxEndpoint;
use poem_openapi::Tags;

use crate::application::{
    ports::RepositoryError,
    usecases::{ChangeOrderStatus, CreateOrder, GetOrder, ListOrders},
};

/// The route table: every operation the API serves.
pub const OPERATIONS: [Operation; 4] = [
    create_order::OPERATION,
    get_order::OPERATION,
    list_orders::OPERATION,
    change_order_status::OPERATION,
];

#[derive(Tags)]
enum ApiTags {
    /// Orders and their lifecycle.
    Orders,
}

/// The public HTTP surface of the order service (see [`service_endpoint`]).
pub fn endpoint(
    create: CreateOrder,
    get: GetOrder,
    list: ListOrders,
    change_status: ChangeOrderStatus,
    verifier: Arc<TokenVerifier>,
    limits: &HttpLimits,
) -> BoxEndpoint<'static> {
    let apis = (
        create_order::CreateOrderApi(create),
        get_order::GetOrderApi(get),
        list_orders::ListOrdersApi(list),
        change_order_status::ChangeOrderStatusApi(change_status),
    );
    service_endpoint(apis, "Order service", DESCRIPTION, &OPERATIONS, verifier, limits)
}

/// 503 for an unavailable database, 500 for anything else; either way the cause is logged
/// and not returned.
fn repository(err: RepositoryError) -> ApiError {
    match &err {
        RepositoryError::Unavailable(_) => ApiError::unavailable(&err),
        RepositoryError::Unexpected(_) => ApiError::internal(&err),
    }
}

/// The document's description of the API.
const DESCRIPTION: &str = "\
Takes orders, serves them, and moves them through their lifecycle:

    created ──> sent ──> delivered
       └──────> cancelled

Nothing goes back, and asking for the current status again changes nothing. When an order \
becomes `sent`, the service publishes an `order.sent` event; the **voucher service** answers an \
order that totals **more than 100.00 EUR** (by default) with exactly one **5.00 EUR** voucher \
for its customer.

Money is integer cents (`6000` is 60.00 EUR); the only currency is EUR. The server computes an \
order's total from its items. Unknown fields and repeated keys in a body are refused.

**Access.** Every operation needs an OAuth 2.0 bearer access token (\"Authorize\"); each \
operation says which scopes. A customer (the token's subject) orders, reads and lists for \
itself only; another customer's order answers 404.

**Retries.** `POST /orders` takes an `Idempotency-Key`: the same key and body within 24 hours \
replay the first answer (`Idempotent-Replayed: true`) and create nothing.

**Errors** are RFC 9457 problem documents (`application/problem+json`); each `type` is a page \
explaining it (all of them: [/problems](/problems)). Every operation lists exactly the statuses \
it can answer with, each with an example.

**Clients.** The document is [/openapi.json](/openapi.json): generate a client from it (the \
project's tests do, with openapi-python-client).";
