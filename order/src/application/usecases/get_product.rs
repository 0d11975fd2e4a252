use std::sync::Arc;

use crate::application::{
    domain::{
        Product, Sku,
        access::{self, AccessDenied, Principal},
    },
    ports::{ProductRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum GetProductError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error("no product has this SKU")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Reads one product, active or not.
pub struct GetProduct {
    products: Arc<dyn ProductRepository>,
}

impl GetProduct {
    pub fn new(products: Arc<dyn ProductRepository>) -> Self {
        Self { products }
    }

    /// # Errors
    /// [`GetProductError::Forbidden`] for a token without any of the service's scopes,
    /// [`GetProductError::NotFound`], or a repository failure.
    pub async fn execute(&self, caller: &Principal, sku: &Sku) -> Result<Product, GetProductError> {
        access::READ_CATALOG.check(caller)?;
        self.products.find(sku).await?.ok_or(GetProductError::NotFound)
    }
}
