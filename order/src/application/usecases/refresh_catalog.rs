use std::sync::Arc;

use crate::application::ports::{Catalog, ProductRepository, RepositoryError};

/// Brings this replica's copy of the catalog up to the stored one: reloads it whole when the
/// stored version has moved on. Run at start, after every write through this replica, and
/// every `ORDER_CATALOG_REFRESH_MS` (so a change through another replica reaches this one's
/// new orders within that interval and a reload).
#[derive(Clone)]
pub struct RefreshCatalog {
    products: Arc<dyn ProductRepository>,
    catalog: Arc<dyn Catalog>,
}

impl RefreshCatalog {
    pub fn new(products: Arc<dyn ProductRepository>, catalog: Arc<dyn Catalog>) -> Self {
        Self { products, catalog }
    }

    /// Whether the copy was reloaded.
    ///
    /// # Errors
    /// A repository failure; the copy stays as it was.
    pub async fn execute(&self) -> Result<bool, RepositoryError> {
        if self.products.version().await? <= self.catalog.version() {
            return Ok(false);
        }
        let (version, products) = self.products.all().await?;
        let count = products.len();
        self.catalog.replace(version, products);
        tracing::info!(version, products = count, "catalog loaded");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::{MockCatalog, MockProductRepository};

    async fn refresh(stored: u64, copy: u64) -> (bool, Option<u64>) {
        let mut repo = MockProductRepository::new();
        repo.expect_version().returning(move || Ok(stored));
        repo.expect_all().returning(move || Ok((stored, Vec::new())));
        let mut catalog = MockCatalog::new();
        catalog.expect_version().return_const(copy);
        let replaced = Arc::new(std::sync::Mutex::new(None));
        let seen = replaced.clone();
        catalog
            .expect_replace()
            .returning(move |version, _| *seen.lock().unwrap() = Some(version));
        let reloaded = RefreshCatalog::new(Arc::new(repo), Arc::new(catalog))
            .execute()
            .await
            .unwrap();
        let version = *replaced.lock().unwrap();
        (reloaded, version)
    }

    #[tokio::test]
    async fn the_copy_is_reloaded_only_when_the_stored_catalog_moved_on() {
        assert_eq!(refresh(3, 2).await, (true, Some(3)));
        assert_eq!(refresh(3, 3).await, (false, None));
    }
}
