//! `POST /vouchers/{code}/redeem`: its contract, answer and problems.

use checkout_http::{
    ApiError, Authenticated, Documented, Operation, ProblemType, RateClass, StrictJson, Violations, problems::*,
};
use poem::http::Method;
use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{
    ApiTags,
    get_voucher::VOUCHER_NOT_FOUND,
    repository,
    voucher::{VoucherCodeParam, VoucherDto},
};
use crate::application::{
    domain::{VoucherCode, access},
    usecases::{RedeemVoucher, RedeemVoucherError},
};

pub const OPERATION: Operation = Operation {
    method: Method::POST,
    path: "/vouchers/{code}/redeem",
    permission: access::REDEEM,
    // An unknown code is a 404 here too, so redeeming counts as a lookup: codes cannot be
    // harvested by guessing at speed.
    rate_limit: Some(RateClass::Lookup),
    takes_body: false,
    problems: &[
        VALIDATION,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        VOUCHER_NOT_FOUND,
        ALREADY_REDEEMED,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

pub const ALREADY_REDEEMED: ProblemType = ProblemType::new(
    "already-redeemed",
    409,
    "The voucher was redeemed before: a voucher is redeemed once. Nothing was changed.",
    "the voucher was already redeemed",
);

#[derive(ApiResponse)]
enum RedeemVoucherResponse {
    /// The voucher, now redeemed.
    #[oai(status = 200)]
    Ok(StrictJson<VoucherDto>),
}

fn problem(err: RedeemVoucherError) -> ApiError {
    match err {
        RedeemVoucherError::Forbidden(e) => ApiError::forbidden(&e),
        RedeemVoucherError::NotFound => ApiError::not_found(VOUCHER_NOT_FOUND.kind, err.to_string()),
        RedeemVoucherError::AlreadyRedeemed(_) => ApiError::conflict(ALREADY_REDEEMED.kind, err.to_string()),
        RedeemVoucherError::Repository(e) => repository(e),
    }
}

pub struct RedeemVoucherApi(pub RedeemVoucher);

#[OpenApi(tag = "ApiTags::Vouchers")]
impl RedeemVoucherApi {
    /// Redeem a voucher
    ///
    /// Succeeds once; every later attempt is a 409.
    #[oai(path = "/vouchers/:code/redeem", method = "post", operation_id = "redeem_voucher")]
    async fn redeem_voucher(
        &self,
        caller: Authenticated,
        /// Voucher code; case-insensitive, hyphens optional.
        code: Path<Documented<VoucherCodeParam>>,
    ) -> Result<RedeemVoucherResponse, ApiError> {
        let code = Violations::single("code", VoucherCode::parse(&code.0.0))?;
        let voucher = self.0.execute(&caller.0, &code).await.map_err(problem)?;
        Ok(RedeemVoucherResponse::Ok(StrictJson(voucher.into())))
    }
}
