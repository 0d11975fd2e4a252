//! `DELETE /products/{sku}`: its contract, answer and problems.

use checkout_http::{ApiError, Authenticated, Documented, Operation, RateClass, StrictJson, Violations, problems::*};
use poem::http::Method;
use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{
    ApiTags,
    get_product::PRODUCT_NOT_FOUND,
    product::{ProductDto, SkuField},
    repository,
};
use crate::application::{
    domain::{Sku, access},
    usecases::{DeactivateProduct, DeactivateProductError},
};

pub const OPERATION: Operation = Operation {
    method: Method::DELETE,
    path: "/products/{sku}",
    permission: access::WRITE_CATALOG,
    rate_limit: Some(RateClass::Write),
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

#[derive(ApiResponse)]
enum DeleteProductResponse {
    /// The product, now inactive (deactivating it again changes nothing).
    #[oai(status = 200)]
    Ok(StrictJson<ProductDto>),
}

fn problem(err: DeactivateProductError) -> ApiError {
    match err {
        DeactivateProductError::Forbidden(denied) => ApiError::forbidden(&denied),
        DeactivateProductError::NotFound => ApiError::not_found(PRODUCT_NOT_FOUND.kind, err.to_string()),
        DeactivateProductError::Repository(e) => repository(e),
    }
}

pub struct DeleteProductApi(pub DeactivateProduct);

#[OpenApi(tag = "ApiTags::Catalog")]
impl DeleteProductApi {
    /// Deactivate a product
    ///
    /// New orders can no longer name it; it stays in the catalog (`active: false`) and orders
    /// that have it keep their lines. Put it again to sell it again.
    #[oai(path = "/products/:sku", method = "delete", operation_id = "delete_product")]
    async fn delete_product(
        &self,
        caller: Authenticated,
        /// The product's SKU.
        sku: Path<Documented<SkuField>>,
    ) -> Result<DeleteProductResponse, ApiError> {
        let sku = Violations::single("sku", Sku::parse(sku.0.into_inner()))?;
        let product = self.0.execute(&caller.0, &sku).await.map_err(problem)?;
        Ok(DeleteProductResponse::Ok(StrictJson(product.into())))
    }
}
