use std::sync::Arc;

use crate::application::{
    domain::{
        ProductPage, ProductQuery,
        access::{self, AccessDenied, Principal},
    },
    ports::{ProductRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum ListProductsError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Lists the catalog by SKU, one page at a time.
pub struct ListProducts {
    products: Arc<dyn ProductRepository>,
}

impl ListProducts {
    pub fn new(products: Arc<dyn ProductRepository>) -> Self {
        Self { products }
    }

    /// # Errors
    /// [`ListProductsError::Forbidden`] for a token without any of the service's scopes, or
    /// a repository failure.
    pub async fn execute(&self, caller: &Principal, query: ProductQuery) -> Result<ProductPage, ListProductsError> {
        access::READ_CATALOG.check(caller)?;
        // One more than the page size: its presence says whether a next page exists.
        let page_size = query.limit.get();
        let mut products = self.products.list(&query, page_size + 1).await?;
        let next_after = if products.len() as u64 > page_size {
            products.truncate(page_size as usize);
            products.last().map(|p| p.sku.clone())
        } else {
            None
        };
        Ok(ProductPage { products, next_after })
    }
}
