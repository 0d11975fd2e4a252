use std::{cmp::Ordering, future::Future, iter::Peekable, sync::Arc, vec};

use chrono::Utc;

use crate::application::{
    domain::{CopiedVoucher, Difference, Voucher, VoucherId, compare},
    ports::{OrderCopy, RepositoryError, VoucherRepository},
};

/// What a reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Vouchers seen, in either service.
    pub compared: u64,
    pub differences: Vec<Difference>,
}

/// Compares every voucher of the voucher service with the order service's copy
/// ([`compare`]): what an operator runs to check that the services agree, once events have
/// settled (an event still on its way shows as a difference until it arrives).
pub struct Reconcile {
    vouchers: Arc<dyn VoucherRepository>,
    copy: Arc<dyn OrderCopy>,
    page_size: u64,
}

impl Reconcile {
    pub fn new(vouchers: Arc<dyn VoucherRepository>, copy: Arc<dyn OrderCopy>, page_size: u64) -> Self {
        Self {
            vouchers,
            copy,
            page_size: page_size.max(1),
        }
    }

    /// Walks both sides by voucher id, a page at a time, and pairs them up.
    ///
    /// # Errors
    /// A repository failure of either side.
    pub async fn execute(&self) -> Result<Report, RepositoryError> {
        let now = Utc::now();
        let mut report = Report::default();
        let (mut here, mut copy) = (Side::default(), Side::default());
        loop {
            here.refill(self.page_size, Voucher::id, |after| {
                self.vouchers.page(after, self.page_size)
            })
            .await?;
            copy.refill(
                self.page_size,
                |v: &CopiedVoucher| v.id,
                |after| self.copy.page(after, self.page_size),
            )
            .await?;
            let (mine, theirs) = match (here.items.peek(), copy.items.peek()) {
                (None, None) => break,
                (Some(_), None) => (here.items.next(), None),
                (None, Some(_)) => (None, copy.items.next()),
                (Some(mine), Some(theirs)) => match mine.id().cmp(&theirs.id) {
                    Ordering::Less => (here.items.next(), None),
                    Ordering::Greater => (None, copy.items.next()),
                    Ordering::Equal => (here.items.next(), copy.items.next()),
                },
            };
            report.compared += 1;
            report.differences.extend(compare(mine.as_ref(), theirs.as_ref(), now));
        }
        Ok(report)
    }
}

/// One side of the walk: its vouchers a page at a time, by id.
struct Side<T> {
    items: Peekable<vec::IntoIter<T>>,
    /// The id of the last voucher read, where the next page starts.
    after: Option<VoucherId>,
    /// The last page read was short: there is no more.
    done: bool,
}

impl<T> Default for Side<T> {
    fn default() -> Self {
        Self {
            items: Vec::new().into_iter().peekable(),
            after: None,
            done: false,
        }
    }
}

impl<T> Side<T> {
    /// Reads the next page with `fetch` once the current one is used up.
    async fn refill<F, Fut>(&mut self, limit: u64, id: fn(&T) -> VoucherId, fetch: F) -> Result<(), RepositoryError>
    where
        F: FnOnce(Option<VoucherId>) -> Fut,
        Fut: Future<Output = Result<Vec<T>, RepositoryError>>,
    {
        if self.done || self.items.peek().is_some() {
            return Ok(());
        }
        let page = fetch(self.after).await?;
        self.done = (page.len() as u64) < limit;
        self.after = page.last().map(id).or(self.after);
        self.items = page.into_iter().peekable();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{
        domain::{CopiedVoucher, Holder, Voucher, fixtures},
        ports::{MockOrderCopy, MockVoucherRepository},
    };

    fn copy_of(voucher: &Voucher) -> CopiedVoucher {
        CopiedVoucher {
            id: voucher.id(),
            code_digest: voucher.code().digest(),
            customer_id: voucher.customer_id().as_str().to_owned(),
            amount_cents: voucher.value().amount.get(),
            expires_at: voucher.expires_at(),
            holder: Holder::Free,
        }
    }

    /// `items` served `page` at a time, by id, as the ports do.
    fn pages<T: Clone + Send + 'static>(
        items: Vec<T>,
        id: fn(&T) -> VoucherId,
    ) -> impl Fn(Option<VoucherId>, u64) -> Vec<T> {
        move |after, limit| {
            items
                .iter()
                .filter(|item| after.is_none_or(|after| id(item) > after))
                .take(limit as usize)
                .cloned()
                .collect()
        }
    }

    #[tokio::test]
    async fn every_voucher_of_either_side_is_paired_by_id_across_pages() {
        // Ids sort by creation: a, b, c, d.
        let [a, b, c, d] = [(); 4].map(|_| fixtures::voucher());
        let here = vec![a.clone(), b.clone(), d.clone()];
        let copy = vec![copy_of(&a), copy_of(&c), copy_of(&d)];
        let mut vouchers = MockVoucherRepository::new();
        let serve_here = pages(here, |v: &Voucher| v.id());
        vouchers
            .expect_page()
            .returning(move |after, limit| Ok(serve_here(after, limit)));
        let mut order_copy = MockOrderCopy::new();
        let serve_copy = pages(copy, |v: &CopiedVoucher| v.id);
        order_copy
            .expect_page()
            .returning(move |after, limit| Ok(serve_copy(after, limit)));
        let report = Reconcile::new(Arc::new(vouchers), Arc::new(order_copy), 2)
            .execute()
            .await
            .unwrap();
        assert_eq!(report.compared, 4);
        assert_eq!(
            report.differences,
            [Difference::MissingFromCopy(b.id()), Difference::UnknownHere(c.id())]
        );
    }

    #[tokio::test]
    async fn a_failure_of_either_side_is_reported() {
        let mut vouchers = MockVoucherRepository::new();
        vouchers.expect_page().returning(|_, _| Ok(Vec::new()));
        let mut order_copy = MockOrderCopy::new();
        order_copy
            .expect_page()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
        let err = Reconcile::new(Arc::new(vouchers), Arc::new(order_copy), 10)
            .execute()
            .await
            .unwrap_err();
        assert!(matches!(err, RepositoryError::Unavailable(_)));
    }
}
