//! How use-case errors become HTTP problems.

use shared::http::ApiError;

use crate::application::usecases::{ChangeOrderStatusError, CreateOrderError, GetOrderError, ListOrdersError};

pub fn create_order(err: CreateOrderError) -> ApiError {
    match err {
        CreateOrderError::Invalid(e) => ApiError::bad_request("validation", e.to_string()),
        CreateOrderError::KeyReused => ApiError::unprocessable("idempotency-key-reused", err.to_string()),
        CreateOrderError::KeyInFlight => ApiError::conflict("idempotency-key-in-flight", err.to_string()),
        CreateOrderError::Repository(e) => e.into(),
    }
}

pub fn get_order(err: GetOrderError) -> ApiError {
    match err {
        GetOrderError::NotFound(_) => ApiError::not_found("order-not-found", err.to_string()),
        GetOrderError::Repository(e) => e.into(),
    }
}

pub fn list_orders(err: ListOrdersError) -> ApiError {
    match err {
        ListOrdersError::InvalidLimit | ListOrdersError::InvalidCustomerId => {
            ApiError::bad_request("validation", err.to_string())
        }
        ListOrdersError::Repository(e) => e.into(),
    }
}

pub fn change_order_status(err: ChangeOrderStatusError) -> ApiError {
    match err {
        ChangeOrderStatusError::NotFound(_) => ApiError::not_found("order-not-found", err.to_string()),
        ChangeOrderStatusError::InvalidTransition { .. } => ApiError::conflict("invalid-transition", err.to_string()),
        ChangeOrderStatusError::Repository(e) => e.into(),
    }
}
