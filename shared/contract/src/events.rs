//! Wire contract of the events published on the bus. This module is the only thing both
//! services must agree on; each service maps it to and from its own types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Default channel (pub/sub) on which order-sent events travel.
pub const CHANNEL_ORDER_SENT: &str = "order.sent";
/// Value of `event_type` for [`OrderSent`].
pub const ORDER_SENT_EVENT_TYPE: &str = "order.sent";
/// Newest schema version of [`OrderSent`] this build understands and produces.
pub const ORDER_SENT_SCHEMA_VERSION: u32 = 1;

/// An order's status became `sent`. Published once per order by the order service's outbox.
///
/// Consumers ignore unknown fields, so fields may be added without a version bump; a change
/// that alters the meaning of an existing field bumps `schema_version`.
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
    /// Order total in minor units (cents).
    pub total_cents: i64,
    /// ISO 4217 currency code.
    pub currency: String,
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
            request_id: None,
            traceparent: None,
        }
    }

    /// The same event, carrying the correlation of the request that caused it.
    pub fn with_trace(self, trace: &crate::trace::TraceContext) -> Self {
        Self {
            request_id: trace.request_id.clone(),
            traceparent: trace.traceparent.clone(),
            ..self
        }
    }

    /// The correlation the event carries.
    pub fn trace(&self) -> crate::trace::TraceContext {
        crate::trace::TraceContext {
            request_id: self.request_id.clone(),
            traceparent: self.traceparent.clone(),
        }
    }

    /// Serializes the event to its JSON wire form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("OrderSent has only infallibly serializable fields")
    }

    /// Parses and checks an event from its JSON wire form.
    ///
    /// # Errors
    /// [`DecodeError::Malformed`] when the payload is not a JSON object with the contract's
    /// fields and types, [`DecodeError::WrongEventType`] for another event type, and
    /// [`DecodeError::UnsupportedSchemaVersion`] for a version newer than this build knows.
    pub fn from_json(payload: &[u8]) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Envelope {
            event_type: Option<String>,
            schema_version: Option<u32>,
        }
        // Check the envelope first, so a newer schema is reported as such even when its
        // fields no longer match this version's shape.
        let envelope: Envelope = serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if let Some(event_type) = envelope.event_type
            && event_type != ORDER_SENT_EVENT_TYPE
        {
            return Err(DecodeError::WrongEventType(event_type));
        }
        if let Some(version) = envelope.schema_version
            && version > ORDER_SENT_SCHEMA_VERSION
        {
            return Err(DecodeError::UnsupportedSchemaVersion(version));
        }
        serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))
    }
}

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
    /// The event could not be processed and is kept in the dead-letter stream.
    DeadLettered,
}

impl AckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::AlreadyIssued => "already_issued",
            Self::NotEligible => "not_eligible",
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

/// Why a payload could not be read as an [`OrderSent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed order.sent event: {0}")]
    Malformed(String),
    #[error("unexpected event_type {0:?}, expected \"order.sent\"")]
    WrongEventType(String),
    #[error("unsupported schema_version {0}, this consumer understands up to 1")]
    UnsupportedSchemaVersion(u32),
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
                "event_id",
                "event_type",
                "occurred_at",
                "order_id",
                "schema_version",
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
            Err(DecodeError::UnsupportedSchemaVersion(2))
        );
    }

    #[test]
    fn another_event_type_is_rejected() {
        let mut value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        value["event_type"] = "order.created".into();
        assert_eq!(
            OrderSent::from_json(value.to_string().as_bytes()),
            Err(DecodeError::WrongEventType("order.created".into()))
        );
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
}
