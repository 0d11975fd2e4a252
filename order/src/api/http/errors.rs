//! How use-case errors become HTTP problems: the only place that maps them.

use checkout_http::{ApiError, FieldError};

use crate::application::{
    domain::InvalidOrder,
    ports::RepositoryError,
    usecases::{ChangeOrderStatusError, CreateOrderError, GetOrderError, ListOrdersError},
};

/// 503 for an unavailable database, 500 for anything else; either way the cause is logged
/// and not returned.
pub fn repository(err: RepositoryError) -> ApiError {
    match &err {
        RepositoryError::Unavailable(_) => ApiError::unavailable(&err),
        RepositoryError::Unexpected(_) => ApiError::internal(&err),
    }
}

pub fn create_order(err: CreateOrderError) -> ApiError {
    match err {
        CreateOrderError::Forbidden(denied) => ApiError::forbidden(&denied),
        CreateOrderError::Invalid(InvalidOrder::ItemCount(e)) => {
            ApiError::invalid(vec![FieldError::new("items", e.to_string())])
        }
        CreateOrderError::Invalid(e @ InvalidOrder::TotalMismatch { .. }) => ApiError::internal(&e),
        CreateOrderError::KeyReused => ApiError::unprocessable("idempotency-key-reused", err.to_string()),
        CreateOrderError::KeyInFlight => ApiError::conflict("idempotency-key-in-flight", err.to_string()),
        CreateOrderError::Repository(e) => repository(e),
    }
}

pub fn get_order(err: GetOrderError) -> ApiError {
    match err {
        GetOrderError::Forbidden(denied) => ApiError::forbidden(&denied),
        GetOrderError::NotFound(_) => ApiError::not_found("order-not-found", err.to_string()),
        GetOrderError::Repository(e) => repository(e),
    }
}

pub fn list_orders(err: ListOrdersError) -> ApiError {
    match err {
        ListOrdersError::Forbidden(denied) => ApiError::forbidden(&denied),
        ListOrdersError::Repository(e) => repository(e),
    }
}

pub fn change_order_status(err: ChangeOrderStatusError) -> ApiError {
    match err {
        ChangeOrderStatusError::Forbidden(denied) => ApiError::forbidden(&denied),
        ChangeOrderStatusError::NotFound(_) => ApiError::not_found("order-not-found", err.to_string()),
        ChangeOrderStatusError::Refused(_) => ApiError::conflict("invalid-transition", err.to_string()),
        ChangeOrderStatusError::Contended(_) => ApiError::conflict("concurrent-update", err.to_string()),
        ChangeOrderStatusError::Repository(e) => repository(e),
    }
}
