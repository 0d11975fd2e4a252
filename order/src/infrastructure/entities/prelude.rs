pub use super::{orders::Entity as Orders, outbox::Entity as Outbox};
