//! `GET /orders/{id}`: its contract, answer and problems.

use checkout_http::{ApiError, Authenticated, Documented, Operation, ProblemType, StrictJson, Violations, problems::*};
use poem::http::Method;
use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{
    ApiTags,
    order::{OrderDto, OrderIdParam},
    repository,
};
use crate::application::{
    domain::{OrderId, access},
    usecases::{GetOrder, GetOrderError},
};

pub const OPERATION: Operation = Operation {
    method: Method::GET,
    path: "/orders/{id}",
    permission: access::READ,
    // An order id is a UUID, not worth guessing: only the writes are rate-limited.
    rate_limit: None,
    takes_body: false,
    problems: &[
        VALIDATION,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        ORDER_NOT_FOUND,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

pub const ORDER_NOT_FOUND: ProblemType = ProblemType::new(
    "order-not-found",
    404,
    "No order has this id, or it is another customer's: both answers are the same, so that \
     ids cannot be probed.",
    "order 0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d not found",
);

#[derive(ApiResponse)]
enum GetOrderResponse {
    /// The order.
    #[oai(status = 200)]
    Ok(StrictJson<OrderDto>),
}

fn problem(err: GetOrderError) -> ApiError {
    match err {
        GetOrderError::Forbidden(denied) => ApiError::forbidden(&denied),
        GetOrderError::NotFound(_) => ApiError::not_found(ORDER_NOT_FOUND.kind, err.to_string()),
        GetOrderError::Repository(e) => repository(e),
    }
}

pub struct GetOrderApi(pub GetOrder);

#[OpenApi(tag = "ApiTags::Orders")]
impl GetOrderApi {
    /// Get an order
    ///
    /// Another customer's order is a 404, as one that does not exist.
    #[oai(path = "/orders/:id", method = "get", operation_id = "get_order")]
    async fn get_order(
        &self,
        caller: Authenticated,
        /// The order's id, as `id` of its creation's answer.
        id: Path<Documented<OrderIdParam>>,
    ) -> Result<GetOrderResponse, ApiError> {
        let order = self
            .0
            .execute(&caller.0, Violations::single("id", OrderId::parse(&id.0.0))?)
            .await
            .map_err(problem)?;
        Ok(GetOrderResponse::Ok(StrictJson(order.into())))
    }
}
