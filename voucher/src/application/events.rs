//! The events the voucher service emits, built from the domain: the one place the domain
//! meets the wire contract on the way out.

use checkout_contract::{
    events::{Event, VOUCHER_ISSUED_EVENT_TYPE, VoucherIssued},
    trace::TraceContext,
};
use uuid::Uuid;

use super::domain::Voucher;

/// The `voucher.issued` event of a voucher just issued, carrying the correlation of the
/// sent order's event that earned it.
pub fn voucher_issued(voucher: &Voucher, trace: &TraceContext) -> VoucherIssued {
    VoucherIssued {
        event_id: Uuid::now_v7(),
        event_type: VOUCHER_ISSUED_EVENT_TYPE.to_owned(),
        schema_version: VoucherIssued::SCHEMA_VERSION,
        occurred_at: voucher.issued_at(),
        voucher_id: voucher.id().as_uuid(),
        code_digest: voucher.code().digest(),
        customer_id: voucher.customer_id().as_str().to_owned(),
        amount_cents: voucher.value().amount.get(),
        currency: voucher.value().currency.code().to_owned(),
        expires_at: voucher.expires_at(),
        order_id: voucher.order_id(),
        request_id: trace.request_id.clone(),
        traceparent: trace.traceparent.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::domain::fixtures::voucher;

    #[test]
    fn the_event_tells_of_the_voucher_without_its_code() {
        let voucher = voucher();
        let trace = TraceContext {
            request_id: Some("req-1".into()),
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        };
        let event = voucher_issued(&voucher, &trace);
        assert_eq!(event.voucher_id, voucher.id().as_uuid());
        assert_eq!(event.code_digest, voucher.code().digest());
        assert_eq!(
            (event.amount_cents, event.currency.as_str(), event.customer_id.as_str()),
            (500, "EUR", "cust-3")
        );
        assert_eq!(
            (event.occurred_at, event.expires_at),
            (voucher.issued_at(), voucher.expires_at())
        );
        assert_eq!(event.order_id, voucher.order_id());
        assert_eq!(event.trace(), trace);
        assert!(!event.to_json().contains(voucher.code().as_str()));
    }
}
