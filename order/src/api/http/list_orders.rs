//! `GET /orders`: its contract, parameters, answer and problems.

use checkout_http::{
    ApiError, Authenticated, CustomerIdParam, Documented, Operation, PageLimitParam, Rule, StrictJson, Violations,
    problems::*,
};
use poem::http::Method;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, registry::MetaSchema, types::Example};
use serde::Serialize;
use uuid::Uuid;

use super::{
    ApiTags,
    order::{EXAMPLE_ID, OrderDto, OrderIdParam},
    repository,
};
use crate::application::{
    domain::{CustomerId, OrderId, OrderPage, OrderQuery, OrderStatus, PageLimit, access},
    usecases::{ListOrders, ListOrdersError},
};

pub const OPERATION: Operation = Operation {
    method: Method::GET,
    path: "/orders",
    permission: access::READ,
    rate_limit: None,
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

/// The `status` filter: one of the domain's statuses.
pub enum StatusParam {}

impl Rule for StatusParam {
    type Value = String;

    fn schema() -> MetaSchema {
        MetaSchema {
            enum_items: OrderStatus::ALL.map(|s| s.as_str().into()).into(),
            example: Some("created".into()),
            ..MetaSchema::new("string")
        }
    }
}

/// A page of orders, newest first.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct OrderPageDto {
    /// Up to `limit` orders, newest first.
    pub items: Vec<OrderDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Uuid>,
}

impl Example for OrderPageDto {
    fn example() -> Self {
        Self {
            items: vec![OrderDto::example()],
            next_cursor: Some(EXAMPLE_ID),
        }
    }
}

impl From<OrderPage> for OrderPageDto {
    fn from(page: OrderPage) -> Self {
        OrderPageDto {
            items: page.orders.into_iter().map(Into::into).collect(),
            next_cursor: page.next_before.map(|id| id.as_uuid()),
        }
    }
}

#[derive(ApiResponse)]
enum ListOrdersResponse {
    /// A page of orders, newest first.
    #[oai(status = 200)]
    Ok(StrictJson<OrderPageDto>),
}

fn problem(err: ListOrdersError) -> ApiError {
    match err {
        ListOrdersError::Forbidden(denied) => ApiError::forbidden(&denied),
        ListOrdersError::Repository(e) => repository(e),
    }
}

pub struct ListOrdersApi(pub ListOrders);

#[OpenApi(tag = "ApiTags::Orders")]
impl ListOrdersApi {
    /// List orders
    ///
    /// Newest first. Follow `next_cursor` (passed back as `cursor`) for older orders.
    #[oai(path = "/orders", method = "get", operation_id = "list_orders")]
    async fn list_orders(
        &self,
        caller: Authenticated,
        /// Only this customer's orders (a customer may name only itself).
        customer_id: Query<Option<Documented<CustomerIdParam>>>,
        /// Only orders in this status.
        status: Query<Option<Documented<StatusParam>>>,
        /// Page size: at most this many orders.
        limit: Query<Option<Documented<PageLimitParam>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<Documented<OrderIdParam>>>,
    ) -> Result<ListOrdersResponse, ApiError> {
        let mut v = Violations::default();
        let customer_id = customer_id
            .0
            .and_then(|c| v.check("customer_id", CustomerId::parse(c.into_inner())));
        let status = status.0.and_then(|s| v.check("status", s.0.parse::<OrderStatus>()));
        let limit = limit.0.map(|l| v.check("limit", PageLimit::parse(&l.0)));
        let before = cursor.0.and_then(|c| v.check("cursor", OrderId::parse(&c.0)));
        v.finish()?;
        let query = OrderQuery {
            customer_id,
            status,
            limit: limit.flatten().unwrap_or(PageLimit::DEFAULT),
            before,
        };
        let page = self.0.execute(&caller.0, query).await.map_err(problem)?;
        Ok(ListOrdersResponse::Ok(StrictJson(page.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_the_same_json_through_serde_as_through_the_documents_types() {
        let last = OrderPageDto::example();
        checkout_testing::assert_same_json(&OrderPageDto {
            next_cursor: None,
            ..last
        });
        checkout_testing::assert_same_json(&OrderPageDto::example());
    }
}
