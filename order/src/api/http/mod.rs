//! HTTP API of the order service: one module per operation, each with its whole contract
//! (the [`Operation`] declaration, its parameters and bodies, its answers, its problems and
//! how the use case's errors become them); [`order`] is the order as every one answers it.

mod change_order_status;
mod create_order;
mod delete_product;
mod get_order;
mod get_product;
mod list_orders;
mod list_products;
mod order;
mod product;
mod put_product;

use std::sync::Arc;

use checkout_auth::TokenVerifier;
use checkout_http::{ApiError, HttpLimits, Operation, service_endpoint};
use poem::endpoint::BoxEndpoint;
use poem_openapi::Tags;

use crate::application::{
    ports::RepositoryError,
    usecases::{
        ChangeOrderStatus, CreateOrder, DeactivateProduct, GetOrder, GetProduct, ListOrders, ListProducts, PutProduct,
    },
};

/// The route table: every operation the API serves.
pub const OPERATIONS: [Operation; 8] = [
    list_products::OPERATION,
    get_product::OPERATION,
    put_product::OPERATION,
    delete_product::OPERATION,
    create_order::OPERATION,
    get_order::OPERATION,
    list_orders::OPERATION,
    change_order_status::OPERATION,
];

#[derive(Tags)]
enum ApiTags {
    /// The shop's products and their prices, which new orders are priced from.
    Catalog,
    /// Orders and their lifecycle.
    Orders,
}

/// The use cases the operations drive.
pub struct UseCases {
    pub list_products: ListProducts,
    pub get_product: GetProduct,
    pub put_product: PutProduct,
    pub deactivate_product: DeactivateProduct,
    pub create_order: CreateOrder,
    pub get_order: GetOrder,
    pub list_orders: ListOrders,
    pub change_order_status: ChangeOrderStatus,
}

/// The public HTTP surface of the order service (see [`service_endpoint`]).
pub fn endpoint(use_cases: UseCases, verifier: Arc<TokenVerifier>, limits: &HttpLimits) -> BoxEndpoint<'static> {
    let apis = (
        list_products::ListProductsApi(use_cases.list_products),
        get_product::GetProductApi(use_cases.get_product),
        put_product::PutProductApi(use_cases.put_product),
        delete_product::DeleteProductApi(use_cases.deactivate_product),
        create_order::CreateOrderApi(use_cases.create_order),
        get_order::GetOrderApi(use_cases.get_order),
        list_orders::ListOrdersApi(use_cases.list_orders),
        change_order_status::ChangeOrderStatusApi(use_cases.change_order_status),
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
order that totals **more than 100.00 EUR** (by default, what the customer paid) with exactly \
one **5.00 EUR** voucher for its customer.

**Vouchers.** A customer spends a voucher by giving its `voucher_code` with `POST /orders`: its \
amount comes off the subtotal (never more than the subtotal), and the voucher is held for that \
order: spent when the order is `sent`, given back when it is `cancelled`. A code that cannot be \
used is a 422 of its own kind (`voucher-unknown`, also for another customer's code; \
`voucher-expired`; `voucher-used`; `voucher-held`), and nothing is stored.

Money is integer cents (`6000` is 60.00 EUR); the only currency is EUR. Prices are the \
shop's: an order names products of the **catalog** (`GET /products`) and quantities, and the \
server copies each product's name and price onto the order's line and computes the total; a \
later change of the catalog never changes an order. Unknown fields and repeated keys in a body \
are refused.

**Access.** Every operation needs an OAuth 2.0 bearer access token (\"Authorize\"); each \
operation says which scopes. A customer (the token's subject) orders, reads and lists for \
itself only; another customer's order answers 404. Every caller reads the catalog; writing it \
needs `catalog:write`.

**Retries.** `POST /orders` takes an `Idempotency-Key`: the same key and body within 24 hours \
replay the first answer (`Idempotent-Replayed: true`) and create nothing.

**Errors** are RFC 9457 problem documents (`application/problem+json`); each `type` is a page \
explaining it (all of them: [/problems](/problems)). Every operation lists exactly the statuses \
it can answer with, each with an example.

**Clients.** The document is [/openapi.json](/openapi.json): generate a client from it (the \
project's tests do, with openapi-python-client).";
