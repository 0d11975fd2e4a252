use std::sync::Arc;

use chrono::{SubsecRound, Utc};

use super::{RefreshCatalog, put_product::refresh_after_write};
use crate::application::{
    domain::{
        Product, Sku,
        access::{self, AccessDenied, Principal},
    },
    ports::{Deactivation, ProductRepository, RepositoryError},
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
        // PostgreSQL keeps microseconds; so does the answer.
        match self.products.deactivate(sku, Utc::now().trunc_subsecs(6)).await? {
            Deactivation::Deactivated(product) => {
                tracing::info!("product deactivated");
                refresh_after_write(&self.refresh).await;
                Ok(product)
            }
            Deactivation::AlreadyInactive(product) => Ok(product),
            Deactivation::NotFound => Err(DeactivateProductError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;
    use crate::application::{
        domain::{Currency, ProductName, UnitPrice},
        ports::{MockCatalog, MockProductRepository},
    };

    fn mug(active: bool) -> Product {
        Product {
            sku: Sku::parse("MUG-3").unwrap(),
            name: ProductName::parse("Mug").unwrap(),
            unit_price: UnitPrice::new(1250).unwrap(),
            currency: Currency::Eur,
            active,
            updated_at: Utc::now().trunc_subsecs(6),
        }
    }

    fn merchandiser() -> Principal {
        Principal::new("shop", [Scope::CatalogWrite])
    }

    /// The use case over `repo`, with a catalog that must be reloaded `reloads` times.
    fn deactivate(mut repo: MockProductRepository, reloads: usize) -> DeactivateProduct {
        repo.expect_version().times(reloads).returning(|| Ok(2));
        repo.expect_all().times(reloads).returning(|| Ok((2, vec![mug(false)])));
        let mut catalog = MockCatalog::new();
        catalog.expect_version().return_const(1u64);
        catalog.expect_replace().times(reloads).return_const(());
        let repo: Arc<dyn ProductRepository> = Arc::new(repo);
        DeactivateProduct::new(repo.clone(), RefreshCatalog::new(repo, Arc::new(catalog)))
    }

    #[tokio::test]
    async fn a_customer_cannot_deactivate_and_nothing_is_written() {
        let mut repo = MockProductRepository::new();
        repo.expect_deactivate().never();
        let customer = Principal::new("alice", [Scope::OrdersWrite, Scope::OrdersRead, Scope::OrdersAdmin]);
        let err = deactivate(repo, 0)
            .execute(&customer, &Sku::parse("MUG-3").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, DeactivateProductError::Forbidden(_)), "{err:?}");
    }

    #[tokio::test]
    async fn deactivating_writes_only_the_flag_and_reloads_this_replicas_catalog() {
        let mut repo = MockProductRepository::new();
        // One statement that names the product and the time; no read-then-write of the row.
        repo.expect_find().never();
        repo.expect_put().never();
        repo.expect_deactivate()
            .withf(|sku, _| sku.as_str() == "MUG-3")
            .times(1)
            .returning(|_, at| {
                Ok(Deactivation::Deactivated(Product {
                    updated_at: at,
                    ..mug(false)
                }))
            });
        let product = deactivate(repo, 1)
            .execute(&merchandiser(), &Sku::parse("MUG-3").unwrap())
            .await
            .unwrap();
        assert!(!product.active);
    }

    #[tokio::test]
    async fn deactivating_an_inactive_product_answers_it_and_reloads_nothing() {
        let inactive = mug(false);
        let stored = inactive.clone();
        let mut repo = MockProductRepository::new();
        repo.expect_deactivate()
            .returning(move |_, _| Ok(Deactivation::AlreadyInactive(stored.clone())));
        let product = deactivate(repo, 0)
            .execute(&merchandiser(), &Sku::parse("MUG-3").unwrap())
            .await
            .unwrap();
        assert_eq!(product, inactive);
    }

    #[tokio::test]
    async fn an_unknown_sku_is_not_found() {
        let mut repo = MockProductRepository::new();
        repo.expect_deactivate().returning(|_, _| Ok(Deactivation::NotFound));
        let err = deactivate(repo, 0)
            .execute(&merchandiser(), &Sku::parse("NOPE-1").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, DeactivateProductError::NotFound), "{err:?}");
    }
}
