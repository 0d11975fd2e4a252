//! One use case per module. Each takes its ports as `Arc<dyn Port>` and has its own error enum.

mod get_voucher;
mod issue_voucher;
mod list_vouchers;
mod reconcile;
mod record_usage;

pub use get_voucher::{GetVoucher, GetVoucherError};
pub use issue_voucher::{IssueOutcome, IssueVoucher, IssueVoucherError};
pub use list_vouchers::{ListVouchers, ListVouchersError, VoucherFilters};
pub use reconcile::{Reconcile, Report};
pub use record_usage::{RecordUsage, UsageNews};
