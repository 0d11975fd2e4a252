//! One use case per module. Each takes its ports as `Arc<dyn Port>` and has its own error enum.

mod acknowledge_events;
mod change_order_status;
mod create_order;
mod deactivate_product;
mod get_order;
mod get_product;
mod import_catalog;
mod list_orders;
mod list_products;
mod purge_expired;
mod put_product;
mod record_voucher;
mod refresh_catalog;

pub use acknowledge_events::AcknowledgeEvents;
pub use change_order_status::{ChangeOrderStatus, ChangeOrderStatusError, StatusChange};
pub use create_order::{CreateOrder, CreateOrderError, Created, NewOrder};
pub use deactivate_product::{DeactivateProduct, DeactivateProductError};
pub use get_order::{GetOrder, GetOrderError};
pub use get_product::{GetProduct, GetProductError};
pub use import_catalog::{CatalogRow, ExportCatalog, ImportCatalog, Imported};
pub use list_orders::{ListOrders, ListOrdersError};
pub use list_products::{ListProducts, ListProductsError};
pub use purge_expired::{PurgeExpired, Purged};
pub use put_product::{ProductChange, PutProduct, PutProductError};
pub use record_voucher::RecordVoucher;
pub use refresh_catalog::RefreshCatalog;
