//! Wire contract of the events published on the bus. This module is the only thing both
//! services must agree on; each service maps it to and from its own types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// What every event of the contract is: its type and the newest schema version of it this
/// build understands, its JSON wire form, and the correlation it carries.
///
/// Consumers ignore unknown fields, so fields may be added without a version bump; a change
/// that alters the meaning of an existing field bumps the version.
pub trait Event: Serialize + DeserializeOwned {
    /// The value of its `event_type` field.
    const EVENT_TYPE: &'static str;
    /// The newest `schema_version` this build understands and produces.
    const SCHEMA_VERSION: u32;

    fn event_id(&self) -> Uuid;

    /// When what it tells of happened.
    fn occurred_at(&self) -> DateTime<Utc>;

    /// The correlation the event carries.
    fn trace(&self) -> crate::trace::TraceContext;

    /// Serializes the event to its JSON wire form.
    fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events have only infallibly serializable fields")
    }

    /// Parses and checks an event from its JSON wire form.
    ///
    /// # Errors
    /// [`DecodeError::Malformed`] when the payload is not a JSON object with the contract's
    /// fields and types, [`DecodeError::WrongEventType`] for another event type, and
    /// [`DecodeError::UnsupportedSchemaVersion`] for a version newer than this build knows.
    fn from_json(payload: &[u8]) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Envelope {
            event_type: Option<String>,
            schema_version: Option<u32>,
        }
        // Check the envelope first, so a newer schema is reported as such even when its
        // fields no longer match this version's shape.
        let envelope: Envelope = serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if let Some(event_type) = envelope.event_type
            && event_type != Self::EVENT_TYPE
        {
            return Err(DecodeError::WrongEventType {
                found: event_type,
                expected: Self::EVENT_TYPE,
            });
        }
        if let Some(version) = envelope.schema_version
            && version > Self::SCHEMA_VERSION
        {
            return Err(DecodeError::UnsupportedSchemaVersion {
                found: version,
                newest: Self::SCHEMA_VERSION,
            });
        }
        serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))
    }
}

/// The [`Event`] of a contract type with the correlation fields every event has
/// (`event_id`, `occurred_at`, `request_id`, `traceparent`), and its `with_trace`.
macro_rules! event {
    ($event:ty, $event_type:expr, $version:expr) => {
        impl Event for $event {
            const EVENT_TYPE: &'static str = $event_type;
            const SCHEMA_VERSION: u32 = $version;

            fn event_id(&self) -> Uuid {
                self.event_id
            }

            fn occurred_at(&self) -> DateTime<Utc> {
                self.occurred_at
            }

            fn trace(&self) -> crate::trace::TraceContext {
                crate::trace::TraceContext {
                    request_id: self.request_id.clone(),
                    traceparent: self.traceparent.clone(),
                }
            }
        }

        impl $event {
            /// The same event, carrying the correlation of the request that caused it.
            pub fn with_trace(self, trace: &crate::trace::TraceContext) -> Self {
                Self {
                    request_id: trace.request_id.clone(),
                    traceparent: trace.traceparent.clone(),
                    ..self
                }
            }
        }
    };
}

/// Default channel (pub/sub) or stream on which the order service's events travel:
/// [`OrderSent`], and for orders that use a voucher [`OrderPlaced`] and [`OrderCancelled`]
/// ([`OrderEvent`] reads any of them). It is named after the first of them.
pub const CHANNEL_ORDER_SENT: &str = "order.sent";
/// Value of `event_type` for [`OrderSent`].
pub const ORDER_SENT_EVENT_TYPE: &str = "order.sent";
/// Newest schema version of [`OrderSent`] this build understands and produces.
pub const ORDER_SENT_SCHEMA_VERSION: u32 = 1;

/// An order's status became `sent`. Published once per order by the order service's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSent {
    /// Identifier of this event, stable across re-publishes (the outbox row's id).
    pub event_id: Uuid,
    /// Always [`ORDER_SENT_EVENT_TYPE`].
    pub event_type: String,
    pub schema_version: u32,
    pub occurred_at: DateTime<Utc>,
    pub order_id: Uuid,
    pub customer_id: String,
    /// What the customer pays, in minor units (cents): `subtotal_cents - discount_cents`.
    pub total_cents: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The sum of the order's lines; absent in events of earlier versions (then it is
    /// `total_cents`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotal_cents: Option<i64>,
    /// What the order's voucher took off; absent in events of earlier versions (then 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_cents: Option<i64>,
    /// The voucher the order used, now spent; absent if it used none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher_id: Option<Uuid>,
    /// `x-request-id` of the request that sent the order, for following it across services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// W3C `traceparent` of that request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl OrderSent {
    pub fn new(
        event_id: Uuid,
        occurred_at: DateTime<Utc>,
        order_id: Uuid,
        customer_id: String,
        total_cents: i64,
        currency: String,
    ) -> Self {
        Self {
            event_id,
            event_type: ORDER_SENT_EVENT_TYPE.to_owned(),
            schema_version: ORDER_SENT_SCHEMA_VERSION,
            occurred_at,
            order_id,
            customer_id,
            total_cents,
            currency,
            subtotal_cents: Some(total_cents),
            discount_cents: Some(0),
            voucher_id: None,
            request_id: None,
            traceparent: None,
        }
    }

    /// The same event of an order that used `voucher_id` for `discount_cents` off its
    /// subtotal (`total_cents` stays what the customer pays).
    pub fn with_voucher(self, voucher_id: Uuid, discount_cents: i64) -> Self {
        Self {
            subtotal_cents: Some(self.total_cents + discount_cents),
            discount_cents: Some(discount_cents),
            voucher_id: Some(voucher_id),
            ..self
        }
    }
}

event!(OrderSent, ORDER_SENT_EVENT_TYPE, ORDER_SENT_SCHEMA_VERSION);

/// Value of `event_type` for [`OrderPlaced`].
pub const ORDER_PLACED_EVENT_TYPE: &str = "order.placed";

/// An order that uses a voucher was placed: the voucher is held for it. Published once per
/// such order (orders without a voucher concern no other service at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    /// Identifier of this event, stable across re-publishes (the outbox row's id).
    pub event_id: Uuid,
    /// Always [`ORDER_PLACED_EVENT_TYPE`].
    pub event_type: String,
    pub schema_version: u32,
    /// When the order was created.
    pub occurred_at: DateTime<Utc>,
    pub order_id: Uuid,
    pub customer_id: String,
    /// The voucher the order holds.
    pub voucher_id: Uuid,
    /// The sum of the order's lines, in minor units (cents).
    pub subtotal_cents: i64,
    /// What the voucher takes off it.
    pub discount_cents: i64,
    /// What the customer pays: `subtotal_cents - discount_cents`.
    pub total_cents: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// `x-request-id` of the request that placed the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// W3C `traceparent` of that request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// Value of `event_type` for [`OrderCancelled`].
pub const ORDER_CANCELLED_EVENT_TYPE: &str = "order.cancelled";

/// An order that used a voucher was cancelled: the voucher is free again (usable by another
/// order until it expires). Published once per such order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// Identifier of this event, stable across re-publishes (the outbox row's id).
    pub event_id: Uuid,
    /// Always [`ORDER_CANCELLED_EVENT_TYPE`].
    pub event_type: String,
    pub schema_version: u32,
    /// When the order was cancelled.
    pub occurred_at: DateTime<Utc>,
    pub order_id: Uuid,
    pub customer_id: String,
    /// The voucher the order held, given back.
    pub voucher_id: Uuid,
    /// `x-request-id` of the request that cancelled the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// W3C `traceparent` of that request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

event!(OrderPlaced, ORDER_PLACED_EVENT_TYPE, 1);
event!(OrderCancelled, ORDER_CANCELLED_EVENT_TYPE, 1);

/// `$body` for the event an [`OrderEvent`] holds, whichever it is.
macro_rules! each_order_event {
    ($event:expr, $e:ident => $body:expr) => {
        match $event {
            OrderEvent::Placed($e) => $body,
            OrderEvent::Sent($e) => $body,
            OrderEvent::Cancelled($e) => $body,
        }
    };
}

/// Any event of the order service's channel, read by its `event_type`; it serializes as the
/// event it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OrderEvent {
    Placed(OrderPlaced),
    Sent(OrderSent),
    Cancelled(OrderCancelled),
}

impl OrderEvent {
    /// Parses and checks an event of the order service from its JSON wire form.
    ///
    /// # Errors
    /// As [`Event::from_json`]; [`DecodeError::WrongEventType`] names `order.sent` as
    /// expected for a type that is none of the three.
    pub fn from_json(payload: &[u8]) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Envelope {
            event_type: Option<String>,
        }
        let envelope: Envelope = serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        match envelope.event_type.as_deref() {
            Some(ORDER_PLACED_EVENT_TYPE) => OrderPlaced::from_json(payload).map(Self::Placed),
            Some(ORDER_CANCELLED_EVENT_TYPE) => OrderCancelled::from_json(payload).map(Self::Cancelled),
            // Events of the first version carry no type: they are all `order.sent`.
            _ => OrderSent::from_json(payload).map(Self::Sent),
        }
    }

    pub fn event_id(&self) -> Uuid {
        each_order_event!(self, e => e.event_id)
    }

    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Placed(_) => OrderPlaced::EVENT_TYPE,
            Self::Sent(_) => OrderSent::EVENT_TYPE,
            Self::Cancelled(_) => OrderCancelled::EVENT_TYPE,
        }
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        each_order_event!(self, e => e.occurred_at)
    }

    pub fn order_id(&self) -> Uuid {
        each_order_event!(self, e => e.order_id)
    }

    pub fn trace(&self) -> crate::trace::TraceContext {
        each_order_event!(self, e => e.trace())
    }

    /// The event's JSON wire form.
    pub fn to_json(&self) -> String {
        each_order_event!(self, e => e.to_json())
    }

    /// The same event, carrying the correlation of the request that caused it.
    #[must_use]
    pub fn with_trace(self, trace: &crate::trace::TraceContext) -> Self {
        match self {
            Self::Placed(e) => Self::Placed(e.with_trace(trace)),
            Self::Sent(e) => Self::Sent(e.with_trace(trace)),
            Self::Cancelled(e) => Self::Cancelled(e.with_trace(trace)),
        }
    }
}

/// Default stream on which `voucher.issued` events travel, whatever the transport of the
/// order service's events: the order service's copy of the vouchers is built from it, so it
/// must not miss one, and a stream keeps each entry until the copy has it.
pub const STREAM_VOUCHER_ISSUED: &str = "voucher.issued";
/// Value of `event_type` for [`VoucherIssued`].
pub const VOUCHER_ISSUED_EVENT_TYPE: &str = "voucher.issued";

/// A voucher was issued. Published once per voucher by the voucher service's outbox, sealed
/// with the voucher service's own key; the order service keeps what it needs to accept the
/// voucher at checkout. The code itself never travels: `code_digest` is enough to recognise
/// it when a customer gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherIssued {
    /// Identifier of this event, stable across re-publishes (the outbox row's id).
    pub event_id: Uuid,
    /// Always [`VOUCHER_ISSUED_EVENT_TYPE`].
    pub event_type: String,
    pub schema_version: u32,
    /// When the voucher was issued.
    pub occurred_at: DateTime<Utc>,
    pub voucher_id: Uuid,
    /// `checkout_domain::VoucherCode::digest` of its code: SHA-256 of the canonical form,
    /// lowercase hex.
    pub code_digest: String,
    /// The customer who may spend it, and nobody else.
    pub customer_id: String,
    /// Its value in minor units (cents).
    pub amount_cents: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// From this instant on, no new order can take it.
    pub expires_at: DateTime<Utc>,
    /// The sent order that earned it.
    pub order_id: Uuid,
    /// `x-request-id` of the request that sent that order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// W3C `traceparent` of that request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

event!(VoucherIssued, VOUCHER_ISSUED_EVENT_TYPE, 1);

/// The pub/sub channel on which the voucher service acknowledges the events of `channel`.
pub fn ack_channel(channel: &str) -> String {
    format!("{channel}.ack")
}

/// What the consumer did with an acknowledged event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckOutcome {
    /// A voucher was issued.
    Issued,
    /// A voucher for the order already existed (a re-publish).
    AlreadyIssued,
    /// The order does not earn a voucher.
    NotEligible,
    /// What the event tells of an order's voucher (held, given back, spent) was recorded,
    /// or already had been.
    Recorded,
    /// The event could not be processed and is kept in the dead-letter stream.
    DeadLettered,
}

impl AckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::AlreadyIssued => "already_issued",
            Self::NotEligible => "not_eligible",
            Self::Recorded => "recorded",
            Self::DeadLettered => "dead_lettered",
        }
    }
}

/// Published by the voucher service (pub/sub transport) once the fate of an event is durably
/// recorded: its transaction committed, the voucher was already there, the order is not
/// eligible, or the event is in the dead-letter stream. Until the order service hears it,
/// the event stays in its outbox and is published again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAck {
    /// The [`OrderSent::event_id`] acknowledged.
    pub event_id: Uuid,
    pub outcome: AckOutcome,
}

impl EventAck {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("EventAck has only infallibly serializable fields")
    }

    /// # Errors
    /// The payload is not an acknowledgement.
    pub fn from_json(payload: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(payload)
    }
}

/// Why a payload could not be read as an event of the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed event: {0}")]
    Malformed(String),
    #[error("unexpected event_type {found:?}, expected {expected:?}")]
    WrongEventType { found: String, expected: &'static str },
    #[error("unsupported schema_version {found}, this consumer understands up to {newest}")]
    UnsupportedSchemaVersion { found: u32, newest: u32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OrderSent {
        OrderSent::new(
            Uuid::new_v4(),
            Utc::now(),
            Uuid::new_v4(),
            "cust-1".into(),
            12_000,
            "EUR".into(),
        )
    }

    #[test]
    fn an_event_survives_a_round_trip() {
        let event = sample();
        assert_eq!(OrderSent::from_json(event.to_json().as_bytes()), Ok(event));
    }

    #[test]
    fn the_wire_form_has_the_contract_fields() {
        let value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "currency",
                "customer_id",
                "discount_cents",
                "event_id",
                "event_type",
                "occurred_at",
                "order_id",
                "schema_version",
                "subtotal_cents",
                "total_cents"
            ]
        );
        assert_eq!(value["event_type"], "order.sent");
        assert_eq!(value["schema_version"], 1);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        value["added_later"] = serde_json::json!({"x": 1});
        assert!(OrderSent::from_json(value.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn a_newer_schema_version_is_rejected_by_name() {
        let payload = br#"{"event_type":"order.sent","schema_version":2,"order":{}}"#;
        assert_eq!(
            OrderSent::from_json(payload),
            Err(DecodeError::UnsupportedSchemaVersion { found: 2, newest: 1 })
        );
    }

    #[test]
    fn another_event_type_is_rejected() {
        let mut value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        value["event_type"] = "order.created".into();
        assert_eq!(
            OrderSent::from_json(value.to_string().as_bytes()),
            Err(DecodeError::WrongEventType {
                found: "order.created".into(),
                expected: "order.sent"
            })
        );
    }

    #[test]
    fn a_voucher_issued_event_survives_a_round_trip_and_is_not_an_order_sent() {
        let event = VoucherIssued {
            event_id: Uuid::new_v4(),
            event_type: VOUCHER_ISSUED_EVENT_TYPE.into(),
            schema_version: 1,
            occurred_at: Utc::now(),
            voucher_id: Uuid::new_v4(),
            code_digest: "ab".repeat(32),
            customer_id: "cust-1".into(),
            amount_cents: 500,
            currency: "EUR".into(),
            expires_at: Utc::now(),
            order_id: Uuid::new_v4(),
            request_id: None,
            traceparent: None,
        };
        let json = event.to_json();
        assert!(!json.contains("\"code\""), "the code never travels: {json}");
        assert_eq!(VoucherIssued::from_json(json.as_bytes()), Ok(event));
        assert!(matches!(
            OrderSent::from_json(json.as_bytes()),
            Err(DecodeError::WrongEventType { .. })
        ));
        assert!(matches!(
            VoucherIssued::from_json(sample().to_json().as_bytes()),
            Err(DecodeError::WrongEventType { .. })
        ));
    }

    #[test]
    fn an_acknowledgement_survives_a_round_trip_in_its_wire_form() {
        let ack = EventAck {
            event_id: Uuid::new_v4(),
            outcome: AckOutcome::AlreadyIssued,
        };
        let json = ack.to_json();
        assert_eq!(
            json,
            format!(r#"{{"event_id":"{}","outcome":"already_issued"}}"#, ack.event_id)
        );
        assert_eq!(EventAck::from_json(json.as_bytes()).unwrap(), ack);
        assert!(EventAck::from_json(br#"{"event_id":"x","outcome":"issued"}"#).is_err());
        assert_eq!(ack_channel("order.sent"), "order.sent.ack");
    }

    #[test]
    fn garbage_and_wrong_types_are_malformed() {
        assert!(matches!(
            OrderSent::from_json(b"not json"),
            Err(DecodeError::Malformed(_))
        ));
        let mut value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        value["total_cents"] = "12000".into();
        assert!(matches!(
            OrderSent::from_json(value.to_string().as_bytes()),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn each_order_event_is_read_by_its_type_and_keeps_its_fields() {
        let voucher_id = Uuid::new_v4();
        let placed = OrderPlaced {
            event_id: Uuid::new_v4(),
            event_type: ORDER_PLACED_EVENT_TYPE.into(),
            schema_version: 1,
            occurred_at: Utc::now(),
            order_id: Uuid::new_v4(),
            customer_id: "cust-1".into(),
            voucher_id,
            subtotal_cents: 10_400,
            discount_cents: 500,
            total_cents: 9_900,
            currency: "EUR".into(),
            request_id: Some("req-1".into()),
            traceparent: None,
        };
        let cancelled = OrderCancelled {
            event_id: Uuid::new_v4(),
            event_type: ORDER_CANCELLED_EVENT_TYPE.into(),
            schema_version: 1,
            occurred_at: Utc::now(),
            order_id: placed.order_id,
            customer_id: "cust-1".into(),
            voucher_id,
            request_id: None,
            traceparent: None,
        };
        let sent = sample().with_voucher(voucher_id, 500);
        assert_eq!(
            (sent.subtotal_cents, sent.discount_cents, sent.voucher_id),
            (Some(12_500), Some(500), Some(voucher_id))
        );
        for event in [
            OrderEvent::Placed(placed.clone()),
            OrderEvent::Sent(sent),
            OrderEvent::Cancelled(cancelled),
        ] {
            let read = OrderEvent::from_json(event.to_json().as_bytes()).unwrap();
            assert_eq!(read, event);
            assert_eq!(read.event_type(), event.event_type());
        }
        assert!(matches!(
            OrderSent::from_json(placed.to_json().as_bytes()),
            Err(DecodeError::WrongEventType { .. })
        ));
        let mut other: serde_json::Value = serde_json::from_str(&placed.to_json()).unwrap();
        other["event_type"] = "order.lost".into();
        assert_eq!(
            OrderEvent::from_json(other.to_string().as_bytes()),
            Err(DecodeError::WrongEventType {
                found: "order.lost".into(),
                expected: "order.sent"
            })
        );
    }

    #[test]
    fn an_order_sent_of_the_first_version_reads_without_subtotal_discount_or_voucher() {
        let payload = br#"{"event_id":"0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d","event_type":"order.sent","schema_version":1,"occurred_at":"2026-11-23T18:40:00Z","order_id":"0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5e","customer_id":"c","total_cents":100,"currency":"EUR"}"#;
        let OrderEvent::Sent(sent) = OrderEvent::from_json(payload).unwrap() else {
            panic!("an order.sent")
        };
        assert_eq!(
            (sent.subtotal_cents, sent.discount_cents, sent.voucher_id),
            (None, None, None)
        );
    }
}
