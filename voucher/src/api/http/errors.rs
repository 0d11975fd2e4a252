//! How use-case errors become HTTP problems: the only place that maps them.

use checkout_http::ApiError;

use crate::application::{
    ports::RepositoryError,
    usecases::{GetVoucherError, ListVouchersError, RedeemVoucherError},
};

/// 503 for an unavailable database, 500 for anything else; either way the cause is logged
/// and not returned.
pub fn repository(err: RepositoryError) -> ApiError {
    match &err {
        RepositoryError::Unavailable(_) => ApiError::unavailable(&err),
        RepositoryError::Unexpected(_) => ApiError::internal(&err),
    }
}

pub fn get_voucher(err: GetVoucherError) -> ApiError {
    match err {
        GetVoucherError::Forbidden(e) => ApiError::forbidden(&e),
        GetVoucherError::NotFound => ApiError::not_found("voucher-not-found", err.to_string()),
        GetVoucherError::Repository(e) => repository(e),
    }
}

pub fn list_vouchers(err: ListVouchersError) -> ApiError {
    match err {
        ListVouchersError::Forbidden(e) => ApiError::forbidden(&e),
        ListVouchersError::MissingFilter(e) => ApiError::bad_request("validation", e.to_string()),
        ListVouchersError::Repository(e) => repository(e),
    }
}

pub fn redeem_voucher(err: RedeemVoucherError) -> ApiError {
    match err {
        RedeemVoucherError::Forbidden(e) => ApiError::forbidden(&e),
        RedeemVoucherError::NotFound => ApiError::not_found("voucher-not-found", err.to_string()),
        RedeemVoucherError::AlreadyRedeemed(_) => ApiError::conflict("already-redeemed", err.to_string()),
        RedeemVoucherError::Repository(e) => repository(e),
    }
}
