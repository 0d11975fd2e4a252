use checkout_http::{ApiError, Authenticated, StrictJson, Violations};
use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Path, Query},
};
use uuid::Uuid;

use super::{
    dto::{VoucherDto, VoucherListDto},
    errors,
};
use crate::application::{
    domain::{CustomerId, PageLimit, VoucherCode},
    usecases::{GetVoucher, ListVouchers, RedeemVoucher, VoucherFilters},
};

#[derive(Tags)]
enum ApiTags {
    /// Vouchers earned by sent orders.
    Vouchers,
}

#[derive(ApiResponse)]
enum VoucherResponse {
    /// The voucher.
    #[oai(status = 200)]
    Ok(StrictJson<VoucherDto>),
}

#[derive(ApiResponse)]
enum VoucherListResponse {
    /// Matching vouchers, newest first.
    #[oai(status = 200)]
    Ok(StrictJson<VoucherListDto>),
}

/// The vouchers resource.
pub struct VoucherApi {
    get_voucher: GetVoucher,
    list_vouchers: ListVouchers,
    redeem_voucher: RedeemVoucher,
}

impl VoucherApi {
    pub fn new(get_voucher: GetVoucher, list_vouchers: ListVouchers, redeem_voucher: RedeemVoucher) -> Self {
        Self {
            get_voucher,
            list_vouchers,
            redeem_voucher,
        }
    }
}

#[OpenApi(tag = "ApiTags::Vouchers")]
impl VoucherApi {
    /// List vouchers
    ///
    /// By customer, by order, or both. A customer's listing is of its own vouchers, with or
    /// without `customer_id`; support staff must give `customer_id` or `order_id` (or both),
    /// without either the answer is 400.
    #[oai(path = "/vouchers", method = "get", operation_id = "list_vouchers")]
    async fn list(
        &self,
        caller: Authenticated,
        /// Only this customer's vouchers (a customer may name only itself).
        customer_id: Query<Option<String>>,
        /// Only the voucher this order earned.
        order_id: Query<Option<String>>,
        /// Page size.
        limit: Query<Option<String>>,
    ) -> Result<VoucherListResponse, ApiError> {
        let mut v = Violations::default();
        let customer_id = customer_id.0.and_then(|c| v.check("customer_id", CustomerId::parse(c)));
        let order_id = order_id
            .0
            .and_then(|o| v.check("order_id", Uuid::try_parse(&o).map_err(|_| "must be a UUID")));
        let limit = limit.0.map(|l| v.check("limit", PageLimit::parse(&l)));
        v.finish()?;
        let filters = VoucherFilters {
            customer_id,
            order_id,
            limit: limit.flatten().unwrap_or(PageLimit::DEFAULT),
        };
        let vouchers = self
            .list_vouchers
            .execute(&caller.0, filters)
            .await
            .map_err(errors::list_vouchers)?;
        Ok(VoucherListResponse::Ok(StrictJson(VoucherListDto {
            items: vouchers.into_iter().map(Into::into).collect(),
        })))
    }

    /// Get a voucher by code
    ///
    /// Codes are case-insensitive and hyphens are optional.
    #[oai(path = "/vouchers/:code", method = "get", operation_id = "get_voucher")]
    async fn get(
        &self,
        caller: Authenticated,
        /// Voucher code; case-insensitive, hyphens optional.
        code: Path<String>,
    ) -> Result<VoucherResponse, ApiError> {
        let voucher = self
            .get_voucher
            .execute(&caller.0, &Violations::single("code", VoucherCode::parse(&code.0))?)
            .await
            .map_err(errors::get_voucher)?;
        Ok(VoucherResponse::Ok(StrictJson(voucher.into())))
    }

    /// Redeem a voucher
    ///
    /// Succeeds once; every later attempt is a 409.
    #[oai(path = "/vouchers/:code/redeem", method = "post", operation_id = "redeem_voucher")]
    async fn redeem(
        &self,
        caller: Authenticated,
        /// Voucher code; case-insensitive, hyphens optional.
        code: Path<String>,
    ) -> Result<VoucherResponse, ApiError> {
        let voucher = self
            .redeem_voucher
            .execute(&caller.0, &Violations::single("code", VoucherCode::parse(&code.0))?)
            .await
            .map_err(errors::redeem_voucher)?;
        Ok(VoucherResponse::Ok(StrictJson(voucher.into())))
    }
}
