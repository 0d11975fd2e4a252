use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, sea_query::Expr,
};

use super::repository_error;
use crate::{
    application::{
        domain::{Product, ProductName, ProductQuery, Sku, UnitPrice},
        ports::{BoxError, Deactivation, ProductRepository, PutOutcome, RepositoryError},
    },
    infrastructure::entities::products,
};

/// The catalog in PostgreSQL: `products`, and `catalog_version`, bumped in the transaction
/// of every write.
pub struct SeaOrmProductRepository {
    db: DatabaseConnection,
}

impl SeaOrmProductRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Creates or replaces one product; `created` says which it was (`xmax = 0` only for a row
/// this statement inserted).
const UPSERT: &str = r#"
INSERT INTO products (sku, name, unit_price_cents, currency, active, updated_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sku) DO UPDATE SET
    name = EXCLUDED.name,
    unit_price_cents = EXCLUDED.unit_price_cents,
    currency = EXCLUDED.currency,
    active = EXCLUDED.active,
    updated_at = EXCLUDED.updated_at
RETURNING (xmax = 0) AS created
"#;

/// Moves the catalog on; its row lock also orders concurrent writers, so versions and the
/// changes they stand for are read in the same order.
const BUMP: &str = "UPDATE catalog_version SET version = version + 1";

async fn upsert(tx: &DatabaseTransaction, product: &Product) -> Result<PutOutcome, RepositoryError> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        UPSERT,
        [
            product.sku.as_str().into(),
            product.name.as_str().into(),
            product.unit_price.cents().get().into(),
            product.currency.code().into(),
            product.active.into(),
            product.updated_at.into(),
        ],
    );
    let row = tx
        .query_one_raw(statement)
        .await
        .map_err(repository_error)?
        .ok_or_else(|| RepositoryError::Unexpected("the upsert returned no row".into()))?;
    let created: bool = row.try_get("", "created").map_err(repository_error)?;
    Ok(if created {
        PutOutcome::Created
    } else {
        PutOutcome::Replaced
    })
}

async fn bump(tx: &DatabaseTransaction) -> Result<(), RepositoryError> {
    tx.execute_unprepared(BUMP).await.map_err(repository_error)?;
    Ok(())
}

/// The product a row holds, checked by the domain; a row it refuses is a corrupt row.
fn to_domain(model: products::Model) -> Result<Product, RepositoryError> {
    let sku = model.sku.clone();
    let corrupt = |e: BoxError| RepositoryError::corrupt(format!("product {sku}"), e);
    Ok(Product {
        sku: Sku::parse(model.sku).map_err(|e| corrupt(e.into()))?,
        name: ProductName::parse(model.name).map_err(|e| corrupt(e.into()))?,
        unit_price: UnitPrice::new(model.unit_price_cents).map_err(|e| corrupt(e.into()))?,
        currency: model
            .currency
            .trim_end()
            .parse()
            .map_err(|e: checkout_domain::UnsupportedCurrency| corrupt(e.into()))?,
        active: model.active,
        updated_at: model.updated_at,
    })
}

async fn version_of(db: &impl ConnectionTrait) -> Result<u64, RepositoryError> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT version FROM catalog_version",
        ))
        .await
        .map_err(repository_error)?
        .ok_or_else(|| RepositoryError::Unexpected("catalog_version has no row".into()))?;
    let version: i64 = row.try_get("", "version").map_err(repository_error)?;
    u64::try_from(version).map_err(|e| RepositoryError::corrupt("catalog version", e))
}

#[async_trait]
impl ProductRepository for SeaOrmProductRepository {
    async fn find(&self, sku: &Sku) -> Result<Option<Product>, RepositoryError> {
        products::Entity::find_by_id(sku.as_str())
            .one(&self.db)
            .await
            .map_err(repository_error)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, query: &ProductQuery, limit: u64) -> Result<Vec<Product>, RepositoryError> {
        let mut select = products::Entity::find()
            .order_by_asc(products::Column::Sku)
            .limit(limit);
        if let Some(active) = query.active {
            select = select.filter(products::Column::Active.eq(active));
        }
        if let Some(after) = &query.after {
            select = select.filter(products::Column::Sku.gt(after.as_str()));
        }
        select
            .all(&self.db)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn put(&self, product: &Product) -> Result<PutOutcome, RepositoryError> {
        let (created, _) = self.put_all(std::slice::from_ref(product)).await?;
        Ok(if created == 1 {
            PutOutcome::Created
        } else {
            PutOutcome::Replaced
        })
    }

    async fn deactivate(&self, sku: &Sku, at: DateTime<Utc>) -> Result<Deactivation, RepositoryError> {
        let tx = self.db.begin().await.map_err(repository_error)?;
        bump(&tx).await?;
        let updated = products::Entity::update_many()
            .col_expr(products::Column::Active, Expr::value(false))
            .col_expr(products::Column::UpdatedAt, Expr::value(at))
            .filter(products::Column::Sku.eq(sku.as_str()))
            .filter(products::Column::Active.eq(true))
            .exec_with_returning(&tx)
            .await
            .map_err(repository_error)?;
        if let Some(model) = updated.into_iter().next() {
            tx.commit().await.map_err(repository_error)?;
            return Ok(Deactivation::Deactivated(to_domain(model)?));
        }
        // Nothing changed, so the catalog's version does not move either.
        tx.rollback().await.map_err(repository_error)?;
        Ok(match self.find(sku).await? {
            Some(product) => Deactivation::AlreadyInactive(product),
            None => Deactivation::NotFound,
        })
    }

    async fn put_all(&self, products: &[Product]) -> Result<(usize, usize), RepositoryError> {
        let tx = self.db.begin().await.map_err(repository_error)?;
        bump(&tx).await?;
        let (mut created, mut replaced) = (0, 0);
        for product in products {
            match upsert(&tx, product).await? {
                PutOutcome::Created => created += 1,
                PutOutcome::Replaced => replaced += 1,
            }
        }
        tx.commit().await.map_err(repository_error)?;
        Ok((created, replaced))
    }

    async fn all(&self) -> Result<(u64, Vec<Product>), RepositoryError> {
        // One snapshot for both reads: the products are exactly those of the version.
        let tx = self
            .db
            .begin_with_config(Some(IsolationLevel::RepeatableRead), None)
            .await
            .map_err(repository_error)?;
        let version = version_of(&tx).await?;
        let products = products::Entity::find()
            .order_by_asc(products::Column::Sku)
            .all(&tx)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await.map_err(repository_error)?;
        Ok((version, products))
    }

    async fn version(&self) -> Result<u64, RepositoryError> {
        version_of(&self.db).await
    }
}
