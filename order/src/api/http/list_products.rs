//! `GET /products`: its contract, parameters, answer and problems.

use checkout_http::{
    ApiError, Authenticated, Documented, Operation, PageLimitParam, Rule, StrictJson, Violations, problems::*,
};
use poem::http::Method;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, registry::MetaSchema, types::Example};
use serde::Serialize;

use super::{
    ApiTags,
    product::{ProductDto, SkuField},
    repository,
};
use crate::application::{
    domain::{PageLimit, ProductQuery, Sku, access},
    usecases::{ListProducts, ListProductsError},
};

pub const OPERATION: Operation = Operation {
    method: Method::GET,
    path: "/products",
    permission: access::READ_CATALOG,
    rate_limit: None,
    takes_body: false,
    problems: &[VALIDATION, INVALID_TOKEN, INSUFFICIENT_SCOPE, UNAVAILABLE, TIMEOUT],
};

/// The `active` filter: `true` or `false`.
pub enum ActiveParam {}

impl Rule for ActiveParam {
    type Value = String;

    fn schema() -> MetaSchema {
        MetaSchema {
            enum_items: vec!["true".into(), "false".into()],
            example: Some("true".into()),
            ..MetaSchema::new("string")
        }
    }
}

/// A page of products, by SKU.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct ProductPageDto {
    /// Up to `limit` products, by SKU.
    pub items: Vec<ProductDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Example for ProductPageDto {
    fn example() -> Self {
        Self {
            items: vec![ProductDto::example()],
            next_cursor: Some("BOOK-1".into()),
        }
    }
}

#[derive(ApiResponse)]
enum ListProductsResponse {
    /// A page of products, by SKU.
    #[oai(status = 200)]
    Ok(StrictJson<ProductPageDto>),
}

fn problem(err: ListProductsError) -> ApiError {
    match err {
        ListProductsError::Forbidden(denied) => ApiError::forbidden(&denied),
        ListProductsError::Repository(e) => repository(e),
    }
}

pub struct ListProductsApi(pub ListProducts);

#[OpenApi(tag = "ApiTags::Catalog")]
impl ListProductsApi {
    /// List products
    ///
    /// By SKU. Follow `next_cursor` (passed back as `cursor`) for the next page.
    #[oai(path = "/products", method = "get", operation_id = "list_products")]
    async fn list_products(
        &self,
        caller: Authenticated,
        /// Only active products (`true`: what can be ordered) or only deactivated ones.
        active: Query<Option<Documented<ActiveParam>>>,
        /// Page size: at most this many products.
        limit: Query<Option<Documented<PageLimitParam>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<Documented<SkuField>>>,
    ) -> Result<ListProductsResponse, ApiError> {
        let mut v = Violations::default();
        let active = active
            .0
            .and_then(|a| v.check("active", a.0.parse::<bool>().map_err(|_| "must be true or false")));
        let limit = limit.0.map(|l| v.check("limit", PageLimit::parse(&l.0)));
        let after = cursor.0.and_then(|c| v.check("cursor", Sku::parse(c.into_inner())));
        v.finish()?;
        let query = ProductQuery {
            active,
            limit: limit.flatten().unwrap_or(PageLimit::DEFAULT),
            after,
        };
        let page = self.0.execute(&caller.0, query).await.map_err(problem)?;
        Ok(ListProductsResponse::Ok(StrictJson(ProductPageDto {
            items: page.products.into_iter().map(Into::into).collect(),
            next_cursor: page.next_after.map(|sku| sku.as_str().to_owned()),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_the_same_json_through_serde_as_through_the_documents_types() {
        checkout_testing::assert_same_json(&ProductPageDto::example());
        checkout_testing::assert_same_json(&ProductPageDto {
            items: Vec::new(),
            next_cursor: None,
        });
    }
}
