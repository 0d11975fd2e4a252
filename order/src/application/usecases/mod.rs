//! One use case per module. Each takes its ports as `Arc<dyn Port>` and has its own error enum.

mod acknowledge_events;
mod change_order_status;
mod create_order;
mod get_order;
mod list_orders;
mod purge_expired;
mod relay_events;

pub use acknowledge_events::AcknowledgeEvents;
pub use change_order_status::{ChangeOrderStatus, ChangeOrderStatusError, StatusChange};
pub use create_order::{CreateOrder, CreateOrderError, Created, NewOrder};
pub use get_order::{GetOrder, GetOrderError};
pub use list_orders::{ListOrders, ListOrdersError};
pub use purge_expired::{PurgeExpired, Purged};
pub use relay_events::{RelayEvents, RelayReport};
