//! `GET /vouchers/{code}`: its contract, answer and problems.

use checkout_http::{
    ApiError, Authenticated, Documented, Operation, ProblemType, RateClass, StrictJson, Violations, problems::*,
};
use poem::http::Method;
use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{
    ApiTags, repository,
    voucher::{VoucherCodeParam, VoucherDto},
};
use crate::application::{
    domain::{VoucherCode, access},
    usecases::{GetVoucher, GetVoucherError},
};

pub const OPERATION: Operation = Operation {
    method: Method::GET,
    path: "/vouchers/{code}",
    permission: access::READ,
    rate_limit: Some(RateClass::Lookup),
    takes_body: false,
    problems: &[
        VALIDATION,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        VOUCHER_NOT_FOUND,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

pub const VOUCHER_NOT_FOUND: ProblemType = ProblemType::new(
    "voucher-not-found",
    404,
    "No voucher has this code, or it is another customer's: both answers are the same, so \
     that codes cannot be probed.",
    "no voucher has this code",
);

#[derive(ApiResponse)]
enum GetVoucherResponse {
    /// The voucher.
    #[oai(status = 200)]
    Ok(StrictJson<VoucherDto>),
}

fn problem(err: GetVoucherError) -> ApiError {
    match err {
        GetVoucherError::Forbidden(e) => ApiError::forbidden(&e),
        GetVoucherError::NotFound => ApiError::not_found(VOUCHER_NOT_FOUND.kind, err.to_string()),
        GetVoucherError::Repository(e) => repository(e),
    }
}

pub struct GetVoucherApi(pub GetVoucher);

#[OpenApi(tag = "ApiTags::Vouchers")]
impl GetVoucherApi {
    /// Get a voucher by code
    ///
    /// Codes are case-insensitive and hyphens are optional.
    #[oai(path = "/vouchers/:code", method = "get", operation_id = "get_voucher")]
    async fn get_voucher(
        &self,
        caller: Authenticated,
        /// Voucher code; case-insensitive, hyphens optional.
        code: Path<Documented<VoucherCodeParam>>,
    ) -> Result<GetVoucherResponse, ApiError> {
        let code = Violations::single("code", VoucherCode::parse(&code.0.0))?;
        let voucher = self.0.execute(&caller.0, &code).await.map_err(problem)?;
        Ok(GetVoucherResponse::Ok(StrictJson(voucher.into())))
    }
}
