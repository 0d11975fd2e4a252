//! `GET /vouchers`: its contract, parameters, answer and problems.

use checkout_http::{
    ApiError, Authenticated, CustomerIdParam, Documented, Operation, PageLimitParam, RateClass, Rule, StrictJson,
    Violations, problems::*, uuid_schema,
};
use poem::http::Method;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, registry::MetaSchema, types::Example};
use serde::Serialize;
use uuid::Uuid;

use super::{ApiTags, repository, voucher::VoucherDto};
use crate::application::{
    domain::{CustomerId, PageLimit, access},
    usecases::{ListVouchers, ListVouchersError, VoucherFilters},
};

pub const OPERATION: Operation = Operation {
    method: Method::GET,
    path: "/vouchers",
    permission: access::READ,
    // Every answer to "is this a voucher code?" counts against the lookup limit.
    rate_limit: Some(RateClass::Lookup),
    takes_body: false,
    problems: &[
        VALIDATION,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        OTHER_CUSTOMER,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

/// The order whose voucher is asked for.
pub enum OrderIdParam {}

impl Rule for OrderIdParam {
    type Value = String;

    fn schema() -> MetaSchema {
        uuid_schema("0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d")
    }
}

/// Vouchers matching the filters, newest first.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct VoucherListDto {
    /// Up to `limit` vouchers, newest first.
    pub items: Vec<VoucherDto>,
}

impl Example for VoucherListDto {
    fn example() -> Self {
        Self {
            items: vec![VoucherDto::example()],
        }
    }
}

#[derive(ApiResponse)]
enum ListVouchersResponse {
    /// Matching vouchers, newest first.
    #[oai(status = 200)]
    Ok(StrictJson<VoucherListDto>),
}

fn problem(err: ListVouchersError) -> ApiError {
    match err {
        ListVouchersError::Forbidden(e) => ApiError::forbidden(&e),
        ListVouchersError::MissingFilter(e) => ApiError::bad_request(VALIDATION.kind, e.to_string()),
        ListVouchersError::Repository(e) => repository(e),
    }
}

pub struct ListVouchersApi(pub ListVouchers);

#[OpenApi(tag = "ApiTags::Vouchers")]
impl ListVouchersApi {
    /// List vouchers
    ///
    /// By customer, by order, or both. A customer's listing is of its own vouchers, with or
    /// without `customer_id`; support staff must give `customer_id` or `order_id` (or both),
    /// without either the answer is 400.
    #[oai(path = "/vouchers", method = "get", operation_id = "list_vouchers")]
    async fn list_vouchers(
        &self,
        caller: Authenticated,
        /// Only this customer's vouchers (a customer may name only itself).
        customer_id: Query<Option<Documented<CustomerIdParam>>>,
        /// Only the voucher this order earned.
        order_id: Query<Option<Documented<OrderIdParam>>>,
        /// Page size.
        limit: Query<Option<Documented<PageLimitParam>>>,
    ) -> Result<ListVouchersResponse, ApiError> {
        let mut v = Violations::default();
        let customer_id = customer_id
            .0
            .and_then(|c| v.check("customer_id", CustomerId::parse(c.into_inner())));
        let order_id = order_id
            .0
            .and_then(|o| v.check("order_id", Uuid::try_parse(&o.0).map_err(|_| "must be a UUID")));
        let limit = limit.0.map(|l| v.check("limit", PageLimit::parse(&l.0)));
        v.finish()?;
        let filters = VoucherFilters {
            customer_id,
            order_id,
            limit: limit.flatten().unwrap_or(PageLimit::DEFAULT),
        };
        let vouchers = self.0.execute(&caller.0, filters).await.map_err(problem)?;
        Ok(ListVouchersResponse::Ok(StrictJson(VoucherListDto {
            items: vouchers.into_iter().map(Into::into).collect(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_is_the_same_json_through_serde_as_through_the_documents_types() {
        checkout_testing::assert_same_json(&VoucherListDto::example());
        checkout_testing::assert_same_json(&VoucherListDto { items: Vec::new() });
    }
}
