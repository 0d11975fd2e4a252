//! `GET /products/{sku}`: its contract, answer and problems.

use checkout_http::{ApiError, Authenticated, Documented, Operation, ProblemType, StrictJson, Violations, problems::*};
use poem::http::Method;
use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{
    ApiTags,
    product::{ProductDto, SkuField},
    repository,
};
use crate::application::{
    domain::{Sku, access},
    usecases::{GetProduct, GetProductError},
};

pub const OPERATION: Operation = Operation {
    method: Method::GET,
    path: "/products/{sku}",
    permission: access::READ_CATALOG,
    rate_limit: None,
    takes_body: false,
    problems: &[
        VALIDATION,
        INVALID_TOKEN,
        INSUFFICIENT_SCOPE,
        PRODUCT_NOT_FOUND,
        UNAVAILABLE,
        TIMEOUT,
    ],
};

pub const PRODUCT_NOT_FOUND: ProblemType = ProblemType::new(
    "product-not-found",
    404,
    "No product, active or not, has this SKU. Nothing was changed.",
    "no product has this SKU",
);

#[derive(ApiResponse)]
enum GetProductResponse {
    /// The product, active or not.
    #[oai(status = 200)]
    Ok(StrictJson<ProductDto>),
}

fn problem(err: GetProductError) -> ApiError {
    match err {
        GetProductError::Forbidden(denied) => ApiError::forbidden(&denied),
        GetProductError::NotFound => ApiError::not_found(PRODUCT_NOT_FOUND.kind, err.to_string()),
        GetProductError::Repository(e) => repository(e),
    }
}

pub struct GetProductApi(pub GetProduct);

#[OpenApi(tag = "ApiTags::Catalog")]
impl GetProductApi {
    /// Get a product
    ///
    /// Deactivated products are found too (`active: false`).
    #[oai(path = "/products/:sku", method = "get", operation_id = "get_product")]
    async fn get_product(
        &self,
        caller: Authenticated,
        /// The product's SKU.
        sku: Path<Documented<SkuField>>,
    ) -> Result<GetProductResponse, ApiError> {
        let sku = Violations::single("sku", Sku::parse(sku.0.into_inner()))?;
        let product = self.0.execute(&caller.0, &sku).await.map_err(problem)?;
        Ok(GetProductResponse::Ok(StrictJson(product.into())))
    }
}
