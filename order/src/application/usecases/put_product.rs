use std::sync::Arc;

use chrono::{SubsecRound, Utc};

use super::RefreshCatalog;
use crate::application::{
    domain::{
        Currency, Product, ProductName, Sku, UnitPrice,
        access::{self, AccessDenied, Principal},
    },
    ports::{ProductRepository, PutOutcome, RepositoryError},
};

/// A product as a `PUT` states it, every part already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductChange {
    pub name: ProductName,
    pub unit_price: UnitPrice,
    pub active: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PutProductError {
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Creates a product or replaces the one with its SKU; this replica's catalog takes the
/// change at once, the others within their refresh interval. Orders already taken keep the
/// name and price they were taken at.
pub struct PutProduct {
    products: Arc<dyn ProductRepository>,
    refresh: RefreshCatalog,
}

impl PutProduct {
    pub fn new(products: Arc<dyn ProductRepository>, refresh: RefreshCatalog) -> Self {
        Self { products, refresh }
    }

    /// # Errors
    /// [`PutProductError::Forbidden`] without `catalog:write`, or a repository failure (then
    /// nothing was written).
    #[tracing::instrument(name = "put_product", skip_all, fields(sku = %sku.as_str()))]
    pub async fn execute(
        &self,
        caller: &Principal,
        sku: Sku,
        change: ProductChange,
    ) -> Result<(Product, PutOutcome), PutProductError> {
        access::WRITE_CATALOG.check(caller)?;
        let product = Product {
            sku,
            name: change.name,
            unit_price: change.unit_price,
            currency: Currency::Eur,
            active: change.active,
            // PostgreSQL keeps microseconds; so does the answer.
            updated_at: Utc::now().trunc_subsecs(6),
        };
        let outcome = self.products.put(&product).await?;
        tracing::info!(
            unit_price_cents = product.unit_price.cents().get(),
            active = product.active,
            ?outcome,
            "product written"
        );
        refresh_after_write(&self.refresh).await;
        Ok((product, outcome))
    }
}

/// Reloads this replica's catalog after a write; a failure only delays it to the next round
/// of the refresh worker, so it is logged, not returned (the write itself is stored).
pub(super) async fn refresh_after_write(refresh: &RefreshCatalog) {
    if let Err(e) = refresh.execute().await {
        tracing::warn!(error.message = %checkout_runtime::error::Chain(&e), "the catalog is reloaded on the next refresh");
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;
    use crate::application::ports::{MockCatalog, MockProductRepository};

    fn change() -> ProductChange {
        ProductChange {
            name: ProductName::parse("Mug").unwrap(),
            unit_price: UnitPrice::new(1250).unwrap(),
            active: true,
        }
    }

    fn catalog_reloaded(times: usize) -> MockCatalog {
        let mut catalog = MockCatalog::new();
        catalog.expect_version().return_const(1u64);
        catalog.expect_replace().times(times).return_const(());
        catalog
    }

    #[tokio::test]
    async fn a_customer_cannot_write_the_catalog_and_nothing_is_written() {
        let mut repo = MockProductRepository::new();
        repo.expect_put().never();
        let repo: Arc<dyn ProductRepository> = Arc::new(repo);
        let refresh = RefreshCatalog::new(repo.clone(), Arc::new(catalog_reloaded(0)));
        let customer = Principal::new("alice", [Scope::OrdersWrite, Scope::OrdersRead, Scope::OrdersAdmin]);
        let err = PutProduct::new(repo, refresh)
            .execute(&customer, Sku::parse("MUG-3").unwrap(), change())
            .await
            .unwrap_err();
        assert!(matches!(err, PutProductError::Forbidden(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_written_product_is_in_this_replicas_catalog_at_once() {
        let mut repo = MockProductRepository::new();
        repo.expect_put()
            .withf(|p| p.sku.as_str() == "MUG-3" && p.unit_price.cents().get() == 1250 && p.active)
            .times(1)
            .returning(|_| Ok(PutOutcome::Created));
        repo.expect_version().returning(|| Ok(2));
        repo.expect_all().times(1).returning(|| Ok((2, Vec::new())));
        let repo: Arc<dyn ProductRepository> = Arc::new(repo);
        let refresh = RefreshCatalog::new(repo.clone(), Arc::new(catalog_reloaded(1)));
        let staff = Principal::new("pim", [Scope::CatalogWrite]);
        let (product, outcome) = PutProduct::new(repo, refresh)
            .execute(&staff, Sku::parse("MUG-3").unwrap(), change())
            .await
            .unwrap();
        assert_eq!((product.name.as_str(), outcome), ("Mug", PutOutcome::Created));
    }
}
