use std::sync::Arc;

use chrono::{SubsecRound, Utc};

use super::{RefreshCatalog, put_product::refresh_after_write};
use crate::application::{
    domain::{
        Product, Sku,
        access::{self, AccessDenied, Principal},
    },
    ports::{ProductRepository, RepositoryError},
};

#[derive(Debug, thiserror::Error)]
pub enum DeactivateProductError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error("no product has this SKU")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Takes a product out of sale: new orders can no longer name it; it stays in the catalog,
/// and orders that have it keep their lines. Deactivating an inactive product changes nothing.
pub struct DeactivateProduct {
    products: Arc<dyn ProductRepository>,
    refresh: RefreshCatalog,
}

impl DeactivateProduct {
    pub fn new(products: Arc<dyn ProductRepository>, refresh: RefreshCatalog) -> Self {
        Self { products, refresh }
    }

    /// The product, now inactive.
    ///
    /// # Errors
    /// [`DeactivateProductError::Forbidden`] without `catalog:write`,
    /// [`DeactivateProductError::NotFound`], or a repository failure.
    #[tracing::instrument(name = "deactivate_product", skip_all, fields(sku = %sku.as_str()))]
    pub async fn execute(&self, caller: &Principal, sku: &Sku) -> Result<Product, DeactivateProductError> {
        access::WRITE_CATALOG.check(caller)?;
        let mut product = self.products.find(sku).await?.ok_or(DeactivateProductError::NotFound)?;
        if !product.active {
            return Ok(product);
        }
        product.active = false;
        product.updated_at = Utc::now().trunc_subsecs(6);
        self.products.put(&product).await?;
        tracing::info!("product deactivated");
        refresh_after_write(&self.refresh).await;
        Ok(product)
    }
}
