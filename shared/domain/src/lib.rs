//! Value types both services' domains share, because the event between them carries them:
//! money with its currency, and the customer's id (a free-text identifier); and the page
//! size both services' listings take, and the voucher code (the voucher service draws it,
//! the order service reads it at checkout). Each service's
//! own domain module re-exports what it uses; the rules here are defined nowhere else.

mod customer;
mod money;
mod page;
mod text;
mod voucher_code;

pub use customer::{CustomerId, InvalidText};
pub use money::{Cents, Currency, Money, NegativeAmount, UnsupportedCurrency};
pub use page::{InvalidPageLimit, PageLimit};
/// The value of `all` named `name`: how the domains' enums (statuses, currencies) read
/// their names back.
pub fn by_name<T: Copy>(all: &[T], name_of: fn(T) -> &'static str, name: &str) -> Option<T> {
    all.iter().copied().find(|value| name_of(*value) == name)
}

pub use text::{MAX_TEXT_CHARS, TEXT_PATTERN, is_clean_text, parse_text};
pub use voucher_code::{InvalidCode, VOUCHER_CODE_LEN, VOUCHER_CODE_PATTERN, VoucherCode};
