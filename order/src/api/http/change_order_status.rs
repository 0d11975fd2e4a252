//! `PATCH /orders/{id}/status`: its contract, request body, answer and problems.

use checkout_contract::trace::TraceContext;
use checkout_http::{
    ApiError, Authenticated, Documented, JsonBody, Operation, ProblemType, RateClass, StrictJson, Violations,
    problems::*,
};
use poem::{http::Method, web::Data};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, types::Example};
use serde::Deserialize;

use super::{
    ApiTags,
    get_order::ORDER_NOT_FOUND,
    order::{OrderDto, OrderIdParam},
    repository,
};
use crate::application::{
    domain::{OrderId, OrderStatus, access},
    usecases::{ChangeOrderStatus, ChangeOrderStatusError},
};

pub const OPERATION: Operation = Operation {
    method: Method::PATCH,
    path: "/orders/{id}/status",
    permission: access::CHANGE_STATUS,
    rate_limit: Some(RateClass::Write),
    takes_body: true,
    problems: &[
        VALIDATION,
        INVALID_JSON,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        ORDER_NOT_FOUND,
        REQUEST_TIMEOUT,
        INVALID_TRANSITION,
        CONCURRENT_UPDATE,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

pub const INVALID_TRANSITION: ProblemType = ProblemType::new(
    "invalid-transition",
    409,
    "The lifecycle does not allow this change: `created` goes to `sent` or `cancelled`, \
     `sent` to `delivered`, and nothing goes back. Nothing was changed.",
    "an order cannot go from delivered to cancelled",
);

pub const CONCURRENT_UPDATE: ProblemType = ProblemType::new(
    "concurrent-update",
    409,
    "Other changes of the same order won every retry of this one. Nothing was changed; read \
     the order and try again.",
    "order 0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d kept changing under concurrent updates; retry",
);

/// A status an order can be moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    Sent,
    Delivered,
    Cancelled,
}

/// The status to move an order to.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatusRequest {
    /// `sent` (from `created`; publishes `order.sent`), `delivered` (from `sent`) or
    /// `cancelled` (from `created`).
    pub status: TargetStatus,
}

impl JsonBody for UpdateStatusRequest {
    fn rule(field: &str) -> Option<String> {
        (field == "status").then(|| {
            let targets: Vec<_> = OrderStatus::targets().map(OrderStatus::as_str).collect();
            format!("must be one of {}", targets.join(", "))
        })
    }
}

impl Example for UpdateStatusRequest {
    fn example() -> Self {
        Self {
            status: TargetStatus::Sent,
        }
    }
}

impl From<TargetStatus> for OrderStatus {
    fn from(status: TargetStatus) -> Self {
        match status {
            TargetStatus::Sent => Self::Sent,
            TargetStatus::Delivered => Self::Delivered,
            TargetStatus::Cancelled => Self::Cancelled,
        }
    }
}

#[derive(ApiResponse)]
enum ChangeOrderStatusResponse {
    /// The order.
    #[oai(status = 200)]
    Ok(StrictJson<OrderDto>),
}

fn problem(err: ChangeOrderStatusError) -> ApiError {
    match err {
        ChangeOrderStatusError::Forbidden(denied) => ApiError::forbidden(&denied),
        ChangeOrderStatusError::NotFound(_) => ApiError::not_found(ORDER_NOT_FOUND.kind, err.to_string()),
        ChangeOrderStatusError::Refused(_) => ApiError::conflict(INVALID_TRANSITION.kind, err.to_string()),
        ChangeOrderStatusError::Contended(_) => ApiError::conflict(CONCURRENT_UPDATE.kind, err.to_string()),
        ChangeOrderStatusError::Repository(e) => repository(e),
    }
}

pub struct ChangeOrderStatusApi(pub ChangeOrderStatus);

#[OpenApi(tag = "ApiTags::Orders")]
impl ChangeOrderStatusApi {
    /// Change an order's status
    ///
    /// Allowed: `created` to `sent` or `cancelled`, `sent` to `delivered`. Asking for the
    /// current status again changes nothing. Becoming `sent` publishes an `order.sent` event.
    #[oai(path = "/orders/:id/status", method = "patch", operation_id = "change_order_status")]
    async fn change_order_status(
        &self,
        caller: Authenticated,
        /// The order's id.
        id: Path<Documented<OrderIdParam>>,
        body: StrictJson<UpdateStatusRequest>,
        trace: Data<&TraceContext>,
    ) -> Result<ChangeOrderStatusResponse, ApiError> {
        let change = self
            .0
            .execute(
                &caller.0,
                Violations::single("id", OrderId::parse(&id.0.0))?,
                body.0.status.into(),
                trace.0,
            )
            .await
            .map_err(problem)?;
        Ok(ChangeOrderStatusResponse::Ok(StrictJson(change.order.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::domain::UnknownStatus;

    #[test]
    fn a_request_reads_the_same_through_serde_as_through_the_documents_types() {
        for status in [TargetStatus::Sent, TargetStatus::Delivered, TargetStatus::Cancelled] {
            checkout_testing::assert_same_reading(&UpdateStatusRequest { status });
        }
    }

    #[test]
    fn status_rules_name_the_domain_statuses() {
        assert_eq!(
            UpdateStatusRequest::rule("status").unwrap(),
            "must be one of sent, delivered, cancelled"
        );
        assert_eq!(
            UnknownStatus("x".into()).to_string(),
            "must be one of created, sent, delivered, cancelled"
        );
    }
}
