//! `voucher reconcile`: the operator's comparison of both services' view of every voucher.

use crate::application::usecases::Reconcile;

/// Prints every difference `reconcile` finds between the voucher database and the order
/// service's copy, then a summary; `true` when they agree.
///
/// # Errors
/// Either database cannot be read.
pub async fn reconcile(reconcile: &Reconcile) -> anyhow::Result<bool> {
    let report = reconcile.execute().await?;
    for difference in &report.differences {
        println!("{difference}");
    }
    println!(
        "compared {} vouchers: {}",
        report.compared,
        match report.differences.len() {
            0 => "both services agree".to_owned(),
            n => format!("{n} differences"),
        }
    );
    Ok(report.differences.is_empty())
}
