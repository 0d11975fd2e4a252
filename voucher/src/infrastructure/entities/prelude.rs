pub use super::vouchers::Entity as Vouchers;
