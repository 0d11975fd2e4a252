//! HTTP API of the voucher service: one module per operation, each with its whole contract
//! (the [`Operation`] declaration, its parameters, its answers, its problems and how the use
//! case's errors become them); [`voucher`] is the voucher as every one answers it.

mod get_voucher;
mod list_vouchers;
mod voucher;

use std::sync::Arc;

use checkout_auth::TokenVerifier;
use checkout_http::{ApiError, HttpLimits, Operation, service_endpoint};
use poem::endpoint::BoxEndpoint;
use poem_openapi::Tags;

use crate::application::{
    ports::RepositoryError,
    usecases::{GetVoucher, ListVouchers},
};

/// The route table: every operation the API serves.
pub const OPERATIONS: [Operation; 2] = [list_vouchers::OPERATION, get_voucher::OPERATION];

#[derive(Tags)]
enum ApiTags {
    /// Vouchers earned by sent orders.
    Vouchers,
}

/// The public HTTP surface of the voucher service (see [`service_endpoint`]).
pub fn endpoint(
    list: ListVouchers,
    get: GetVoucher,
    verifier: Arc<TokenVerifier>,
    limits: &HttpLimits,
) -> BoxEndpoint<'static> {
    let apis = (list_vouchers::ListVouchersApi(list), get_voucher::GetVoucherApi(get));
    service_endpoint(apis, "Voucher service", DESCRIPTION, &OPERATIONS, verifier, limits)
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
Vouchers earned by orders. When the order service marks an order `sent`, it publishes an \
`order.sent` event; this service answers an order that totals **more than 100.00 EUR** (by \
default, `VOUCHER_THRESHOLD_CENTS`) with exactly **one 5.00 EUR voucher** \
(`VOUCHER_AMOUNT_CENTS`) for its customer, usually within milliseconds. An order never earns \
a second voucher, however often its event arrives.

A voucher is spent only through an order: its customer gives its code at checkout \
(`voucher_code` of the order service's `POST /orders`), which holds it for that order \
(`reserved`); the order being sent spends it (`redeemed`), the order being cancelled gives it \
back (`active` again). Past its `expires_at` (90 days after issue by default, \
`VOUCHER_VALIDITY_SECONDS`) a free voucher is `expired`; one held by an order stays with it. \
Each voucher shows its `history`. Its code is 16 Crockford base32 characters (80 random bits) \
in groups of four, such as `7K3M-QX9P-2HBD-W4RT`; lookups ignore case and hyphens.

Money is integer cents (`500` is 5.00 EUR); the only currency is EUR.

**Access.** Every operation needs an OAuth 2.0 bearer access token (\"Authorize\"); each \
operation says which scopes. A customer lists and reads its own vouchers only; \
another customer's voucher answers 404. Lookups are rate-limited per caller \
(429 with `Retry-After`), so codes cannot be guessed at speed.

**Errors** are RFC 9457 problem documents (`application/problem+json`); each `type` is a page \
explaining it (all of them: [/problems](/problems)). Every operation lists exactly the statuses \
it can answer with, each with an example.

**Clients.** The document is [/openapi.json](/openapi.json): generate a client from it (the \
project's tests do, with openapi-python-client).";
