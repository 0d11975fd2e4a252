use std::sync::Arc;

use chrono::{SubsecRound, Utc};

use crate::application::{
    domain::{Currency, Product, ProductName, Sku, UnitPrice},
    ports::{ProductRepository, RepositoryError},
};

/// One row of a catalog file, every part already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow {
    pub sku: Sku,
    pub name: ProductName,
    pub unit_price: UnitPrice,
}

/// How many products an import created and replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub created: usize,
    pub replaced: usize,
}

/// Writes a whole catalog file (`order catalog import`): every row becomes an active
/// product, created or replaced, all in one transaction, so a failure writes nothing.
/// Products the file does not name are left as they are. The running replicas take the
/// change within their refresh interval.
pub struct ImportCatalog {
    products: Arc<dyn ProductRepository>,
}

impl ImportCatalog {
    pub fn new(products: Arc<dyn ProductRepository>) -> Self {
        Self { products }
    }

    /// # Errors
    /// A repository failure; then nothing was written.
    pub async fn execute(&self, rows: Vec<CatalogRow>) -> Result<Imported, RepositoryError> {
        let now = Utc::now().trunc_subsecs(6);
        let products: Vec<Product> = rows
            .into_iter()
            .map(|row| Product {
                sku: row.sku,
                name: row.name,
                unit_price: row.unit_price,
                currency: Currency::Eur,
                active: true,
                updated_at: now,
            })
            .collect();
        let (created, replaced) = self.products.put_all(&products).await?;
        tracing::info!(created, replaced, "catalog imported");
        Ok(Imported { created, replaced })
    }
}

/// Reads the active catalog, by SKU, for `order catalog export` (which writes it in the
/// format `order catalog import` reads).
pub struct ExportCatalog {
    products: Arc<dyn ProductRepository>,
}

impl ExportCatalog {
    pub fn new(products: Arc<dyn ProductRepository>) -> Self {
        Self { products }
    }

    /// # Errors
    /// A repository failure.
    pub async fn execute(&self) -> Result<Vec<CatalogRow>, RepositoryError> {
        let (_, products) = self.products.all().await?;
        Ok(products
            .into_iter()
            .filter(|p| p.active)
            .map(|p| CatalogRow {
                sku: p.sku,
                name: p.name,
                unit_price: p.unit_price,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::MockProductRepository;

    fn row(sku: &str, cents: i64) -> CatalogRow {
        CatalogRow {
            sku: Sku::parse(sku).unwrap(),
            name: ProductName::parse(format!("Product {sku}")).unwrap(),
            unit_price: UnitPrice::new(cents).unwrap(),
        }
    }

    #[tokio::test]
    async fn every_row_becomes_an_active_product_in_one_write() {
        let mut repo = MockProductRepository::new();
        repo.expect_put_all()
            .withf(|products| {
                products.len() == 2 && products.iter().all(|p| p.active) && products[1].unit_price.cents().get() == 250
            })
            .times(1)
            .returning(|_| Ok((1, 1)));
        let imported = ImportCatalog::new(Arc::new(repo))
            .execute(vec![row("A", 100), row("B", 250)])
            .await
            .unwrap();
        assert_eq!(
            imported,
            Imported {
                created: 1,
                replaced: 1
            }
        );
    }

    #[tokio::test]
    async fn the_export_holds_the_active_products_only() {
        let mut repo = MockProductRepository::new();
        repo.expect_all().returning(|| {
            let product = |sku: &str, active| Product {
                sku: Sku::parse(sku).unwrap(),
                name: ProductName::parse("P").unwrap(),
                unit_price: UnitPrice::new(1).unwrap(),
                currency: Currency::Eur,
                active,
                updated_at: Utc::now(),
            };
            Ok((4, vec![product("A", true), product("B", false), product("C", true)]))
        });
        let rows = ExportCatalog::new(Arc::new(repo)).execute().await.unwrap();
        let skus: Vec<_> = rows.iter().map(|r| r.sku.as_str()).collect();
        assert_eq!(skus, ["A", "C"]);
    }
}
