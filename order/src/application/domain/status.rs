//! Where an order is in its lifecycle, and which moves the lifecycle allows.

use std::{fmt, str::FromStr};

/// Lifecycle of an order: `created -> sent -> delivered`, or `created -> cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Created,
    Sent,
    Delivered,
    Cancelled,
}

/// A name that is not a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of {names}", names = OrderStatus::names())]
pub struct UnknownStatus(pub String);

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [Self::Created, Self::Sent, Self::Delivered, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether an order in this status may move to `next`. Staying put is not a move.
    /// This is the whole lifecycle: nothing goes back to `created`, `delivered` and
    /// `cancelled` are final.
    pub fn can_become(self, next: OrderStatus) -> bool {
        matches!(
            (self, next),
            (Self::Created, Self::Sent) | (Self::Created, Self::Cancelled) | (Self::Sent, Self::Delivered)
        )
    }

    /// The statuses an order can be moved to (every status but the initial one).
    pub fn targets() -> impl Iterator<Item = OrderStatus> {
        Self::ALL
            .into_iter()
            .filter(|s| Self::ALL.iter().any(|from| from.can_become(*s)))
    }

    fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        checkout_domain::by_name(&Self::ALL, Self::as_str, s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_documented_moves_are_allowed() {
        use OrderStatus::*;
        let allowed = [(Created, Sent), (Created, Cancelled), (Sent, Delivered)];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        let err = "shipped".parse::<OrderStatus>().unwrap_err();
        assert_eq!(err.to_string(), "must be one of created, sent, delivered, cancelled");
    }

    #[test]
    fn every_status_but_created_is_a_target() {
        use OrderStatus::*;
        assert_eq!(OrderStatus::targets().collect::<Vec<_>>(), [Sent, Delivered, Cancelled]);
    }
}
