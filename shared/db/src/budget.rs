//! Whether a service's pool fits the database's connection limit, checked at start: every
//! replica of a service opens a pool of its own, and a server out of connections refuses the
//! next one (`53300 too_many_connections`).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// The database's connection limit and what this pool asks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionBudget {
    /// `max_connections` less the slots reserved for superusers.
    pub usable: i64,
    /// Client connections open now, this pool's first one included.
    pub in_use: i64,
    /// This pool's size (`*_DB_MAX_CONNECTIONS`).
    pub pool: i64,
}

impl ConnectionBudget {
    /// Whether this pool can grow to its size with the connections open now.
    pub fn fits(&self) -> bool {
        self.in_use - 1 + self.pool <= self.usable
    }

    /// How many more pools of this size the database has room for after this one is full
    /// (other replicas, say), with the connections open now.
    pub fn more_pools(&self) -> i64 {
        ((self.usable - (self.in_use - 1 + self.pool)) / self.pool.max(1)).max(0)
    }
}

/// Reads the budget of a pool of `pool` connections from the database `db` is open on.
///
/// # Errors
/// The database does not answer.
pub async fn connection_budget(db: &DatabaseConnection, pool: u32) -> Result<ConnectionBudget, DbErr> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT current_setting('max_connections')::bigint \
                - current_setting('superuser_reserved_connections')::bigint, \
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::Custom("the connection budget query returned no row".to_owned()))?;
    Ok(ConnectionBudget {
        usable: row.try_get_by_index(0)?,
        in_use: row.try_get_by_index(1)?,
        pool: i64::from(pool),
    })
}

/// Logs the budget of the pool just opened on `db`: a warning, naming `variable`, when the
/// pool cannot grow to its size; otherwise how many more pools of its size would fit. A
/// budget that cannot be read is no reason not to start, so that is only logged too.
pub async fn log_connection_budget(db: &DatabaseConnection, pool: u32, variable: &str) {
    match connection_budget(db, pool).await {
        Ok(budget) if budget.fits() => tracing::info!(
            usable = budget.usable,
            in_use = budget.in_use,
            pool = budget.pool,
            more_pools = budget.more_pools(),
            "database connection budget: the pool fits; replicas x {variable} must stay within `usable`"
        ),
        Ok(budget) => tracing::warn!(
            usable = budget.usable,
            in_use = budget.in_use,
            pool = budget.pool,
            "database connection budget exceeded: this pool cannot grow to {variable} with the \
             connections already open; lower {variable}, run fewer replicas or raise max_connections"
        ),
        Err(error) => tracing::warn!(%error, "cannot read the database connection budget"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_fits_when_the_open_connections_leave_room_for_it() {
        let budget = |in_use, pool| ConnectionBudget {
            usable: 97,
            in_use,
            pool,
        };
        // Alone on a default server: 16 of 97, room for 5 more pools of 16.
        assert!(budget(1, 16).fits());
        assert_eq!(budget(1, 16).more_pools(), 5);
        // Five other pools of 16 are open: this one takes the last 16 + 1.
        assert!(budget(81, 16).fits());
        assert_eq!(budget(81, 16).more_pools(), 0);
        // Six are open: this one cannot grow to 16.
        assert!(!budget(97, 16).fits());
        assert_eq!(budget(97, 16).more_pools(), 0);
    }
}
