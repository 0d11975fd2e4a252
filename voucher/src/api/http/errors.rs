//! How use-case errors become HTTP problems.

use shared::http::ApiError;

use crate::application::usecases::{GetVoucherError, ListVouchersError, RedeemVoucherError};

pub fn get_voucher(err: GetVoucherError) -> ApiError {
    match err {
        GetVoucherError::InvalidCode(e) => ApiError::bad_request("invalid-code", e.to_string()),
        GetVoucherError::NotFound(_) => ApiError::not_found("voucher-not-found", err.to_string()),
        GetVoucherError::Repository(e) => e.into(),
    }
}

pub fn list_vouchers(err: ListVouchersError) -> ApiError {
    match err {
        ListVouchersError::MissingFilter | ListVouchersError::InvalidLimit | ListVouchersError::InvalidCustomerId => {
            ApiError::bad_request("validation", err.to_string())
        }
        ListVouchersError::Repository(e) => e.into(),
    }
}

pub fn redeem_voucher(err: RedeemVoucherError) -> ApiError {
    match err {
        RedeemVoucherError::InvalidCode(e) => ApiError::bad_request("invalid-code", e.to_string()),
        RedeemVoucherError::NotFound(_) => ApiError::not_found("voucher-not-found", err.to_string()),
        RedeemVoucherError::AlreadyRedeemed(_) => ApiError::conflict("already-redeemed", err.to_string()),
        RedeemVoucherError::Repository(e) => e.into(),
    }
}
