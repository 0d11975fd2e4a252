//! The replica's copy of the catalog, in memory: what new orders are priced from.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use crate::application::{
    domain::{Product, Sku},
    ports::Catalog,
};

/// The catalog at one version, swapped whole when a newer one is loaded: a reader holds the
/// lock only to clone an `Arc`.
#[derive(Default)]
pub struct MemoryCatalog {
    copy: RwLock<Arc<Copy>>,
}

#[derive(Default)]
struct Copy {
    version: u64,
    active: HashMap<String, Product>,
}

impl MemoryCatalog {
    fn current(&self) -> Arc<Copy> {
        self.copy
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Catalog for MemoryCatalog {
    fn active(&self, sku: &Sku) -> Option<Product> {
        self.current().active.get(sku.as_str()).cloned()
    }

    fn version(&self) -> u64 {
        self.current().version
    }

    fn replace(&self, version: u64, products: Vec<Product>) {
        let active = products
            .into_iter()
            .filter(|p| p.active)
            .map(|p| (p.sku.as_str().to_owned(), p))
            .collect();
        let mut copy = self.copy.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Two reloads may finish out of order: the older one must not win.
        if version >= copy.version {
            *copy = Arc::new(Copy { version, active });
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::application::domain::{Currency, ProductName, UnitPrice};

    fn product(sku: &str, cents: i64, active: bool) -> Product {
        Product {
            sku: Sku::parse(sku).unwrap(),
            name: ProductName::parse("P").unwrap(),
            unit_price: UnitPrice::new(cents).unwrap(),
            currency: Currency::Eur,
            active,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn only_active_products_are_found_and_an_older_load_never_replaces_a_newer_one() {
        let catalog = MemoryCatalog::default();
        let sku = |s: &str| Sku::parse(s).unwrap();
        catalog.replace(2, vec![product("A", 100, true), product("B", 100, false)]);
        assert_eq!(catalog.active(&sku("A")).unwrap().unit_price.cents().get(), 100);
        assert!(catalog.active(&sku("B")).is_none());
        catalog.replace(1, vec![product("A", 999, true)]);
        assert_eq!(catalog.active(&sku("A")).unwrap().unit_price.cents().get(), 100);
        catalog.replace(3, vec![product("A", 150, true)]);
        assert_eq!(
            (
                catalog.version(),
                catalog.active(&sku("A")).unwrap().unit_price.cents().get()
            ),
            (3, 150)
        );
    }
}
