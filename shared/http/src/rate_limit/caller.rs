//! Who a request counts against.

use std::net::IpAddr;

use poem::Request;

use checkout_auth::{AuthError, Principal};

/// Who is counted: a token's subject, or an address when there is no valid token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Caller {
    Subject(String),
    Address(IpAddr),
    /// No address known (an in-process test client).
    Unknown,
}

impl Caller {
    pub(super) fn of(req: &Request, verified: Option<&Result<Principal, AuthError>>) -> Self {
        if let Some(Ok(principal)) = verified {
            return Self::Subject(principal.subject().to_owned());
        }
        match req.remote_addr().as_socket_addr() {
            Some(address) => Self::Address(network_of(address.ip())),
            None => Self::Unknown,
        }
    }

    pub(super) fn label(&self) -> &'static str {
        match self {
            Self::Subject(_) => "subject",
            Self::Address(_) | Self::Unknown => "address",
        }
    }
}

/// An IPv4 address as it is; an IPv6 address as its /64 network (an IPv4-mapped one as IPv4).
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn an_ipv6_caller_is_counted_by_its_64_network_and_a_mapped_ipv4_one_as_ipv4() {
        let a: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(network_of(a.into()), network_of(b.into()));
        assert_eq!(network_of(a.into()), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        let other: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_ne!(network_of(a.into()), network_of(other.into()));
        let mapped = Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped();
        assert_eq!(network_of(mapped.into()), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
    }
}
