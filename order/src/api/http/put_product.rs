//! `PUT /products/{sku}`: its contract, request body, answers and problems.

use checkout_http::{
    ApiError, Authenticated, Documented, JsonBody, Operation, RateClass, StrictJson, Violations, problems::*,
};
use poem::http::Method;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, types::Example};
use serde::Deserialize;

use super::{
    ApiTags,
    order::Currency,
    product::{NameField, ProductDto, SkuField, UnitPriceField},
    repository,
};
use crate::application::{
    domain::{self, InvalidText, InvalidUnitPrice, ProductName, Sku, UnitPrice, access},
    ports::PutOutcome,
    usecases::{ProductChange, PutProduct, PutProductError},
};

pub const OPERATION: Operation = Operation {
    method: Method::PUT,
    path: "/products/{sku}",
    permission: access::WRITE_CATALOG,
    rate_limit: Some(RateClass::Write),
    takes_body: true,
    problems: &[
        VALIDATION,
        INVALID_JSON,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        REQUEST_TIMEOUT,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

/// A product as it is to be: every field is replaced.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct PutProductRequest {
    /// The name orders show on their lines.
    pub name: Documented<NameField>,
    /// Price of one unit in cents (6000 is 60.00 EUR); new orders use it, orders already
    /// taken keep theirs.
    pub unit_price_cents: Documented<UnitPriceField>,
    /// Defaults to EUR (also when null), the only currency accepted.
    #[oai(nullable)]
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Whether new orders can name it; defaults to `true`.
    #[oai(nullable)]
    #[serde(default)]
    pub active: Option<bool>,
}

impl JsonBody for PutProductRequest {
    fn rule(field: &str) -> Option<String> {
        Some(match field {
            "name" => InvalidText.to_string(),
            "unit_price_cents" => InvalidUnitPrice.to_string(),
            "currency" => domain::Currency::rule(),
            "active" => "must be true or false".to_owned(),
            _ => return None,
        })
    }
}

impl Example for PutProductRequest {
    fn example() -> Self {
        Self {
            name: Documented::new("The Rust Programming Language".into()),
            unit_price_cents: Documented::new(6000),
            currency: Some(Currency::EUR),
            active: Some(true),
        }
    }
}

#[derive(ApiResponse)]
enum PutProductResponse {
    /// The product was created.
    #[oai(status = 201)]
    Created(StrictJson<ProductDto>),
    /// The product was replaced (or was already so: the same request again changes nothing
    /// but `updated_at`).
    #[oai(status = 200)]
    Replaced(StrictJson<ProductDto>),
}

fn problem(err: PutProductError) -> ApiError {
    match err {
        PutProductError::Forbidden(denied) => ApiError::forbidden(&denied),
        PutProductError::Repository(e) => repository(e),
    }
}

pub struct PutProductApi(pub PutProduct);

#[OpenApi(tag = "ApiTags::Catalog")]
impl PutProductApi {
    /// Create or replace a product
    ///
    /// Idempotent. New orders on every replica use the new name and price within
    /// `ORDER_CATALOG_REFRESH_MS` (1 s by default), on this replica at once; orders already
    /// taken keep theirs.
    #[oai(path = "/products/:sku", method = "put", operation_id = "put_product")]
    async fn put_product(
        &self,
        caller: Authenticated,
        /// The product's SKU.
        sku: Path<Documented<SkuField>>,
        body: StrictJson<PutProductRequest>,
    ) -> Result<PutProductResponse, ApiError> {
        let mut v = Violations::default();
        let sku = v.check("sku", Sku::parse(sku.0.into_inner()));
        let body = body.0;
        let name = v.check("name", ProductName::parse(body.name.into_inner()));
        let unit_price = v.check("unit_price_cents", UnitPrice::new(body.unit_price_cents.0));
        v.finish()?;
        let (Some(sku), Some(name), Some(unit_price)) = (sku, name, unit_price) else {
            unreachable!("checked without violations");
        };
        let change = ProductChange {
            name,
            unit_price,
            active: body.active.unwrap_or(true),
        };
        let (product, outcome) = self.0.execute(&caller.0, sku, change).await.map_err(problem)?;
        let body = StrictJson(product.into());
        Ok(match outcome {
            PutOutcome::Created => PutProductResponse::Created(body),
            PutOutcome::Replaced => PutProductResponse::Replaced(body),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_the_same_through_serde_as_through_the_documents_types() {
        checkout_testing::assert_same_reading(&PutProductRequest::example());
        checkout_testing::assert_same_reading(&PutProductRequest {
            currency: None,
            active: None,
            ..PutProductRequest::example()
        });
    }
}
