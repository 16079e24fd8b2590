//! Pairing tickets: what one device shows (as text or a QR code) so another can join.
//!
//! A ticket holds the inviter's endpoint id and addresses, a random one-time secret, an expiry
//! and the role offered; the inviter's other facts (its age recipient, the journal's members)
//! come in the signed welcome once the secret is proved. The text form is `HEARTH2` followed by
//! base32 (upper case, so a QR code can use its compact alphanumeric mode) of a compact binary
//! body and an 8-byte tag: a BLAKE3 hash of the body keyed with the ticket's secret, so a ticket
//! cut short, mistyped or edited without the secret is refused with a clear message. With one
//! address it is about 120 characters, with four under 200.
//!
//! Body: role (1 byte: 0 partner, 1 me, 2 display), endpoint id (32), secret (16), expiry
//! (6 bytes, big-endian milliseconds since the epoch), the address count (1) and each address
//! (4 or 6 for the family, the IP's 4 or 16 bytes, the port's 2), then the relay URL's length
//! (1) and its bytes.
//!
//! The ticket's copy of the role is only what the inviter offers, for the joiner to check its
//! own setup against: the inviter decides the role from the invitation it stored, whatever a
//! ticket says (whoever holds a ticket holds its secret, and can recompute the tag).

use std::net::SocketAddr;

use data_encoding::BASE32_NOPAD;
use hearth_core::Timestamp;
use iroh::{EndpointAddr, EndpointId, TransportAddr};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};

const PREFIX: &str = "HEARTH2";

/// At most this many addresses go into a ticket (IPv4 first), to keep it short to type.
pub(crate) const MAX_TICKET_ADDRS: usize = 4;

/// The role a ticket offers the device that joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The partner's own device: they join the journal as the second person.
    Partner,
    /// Another device of the inviter: it also gets the inviter's private journal.
    Me,
    /// The home display: shared journal only.
    Display,
}

impl std::str::FromStr for Role {
    type Err = SyncError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "partner" => Ok(Role::Partner),
            "me" => Ok(Role::Me),
            "display" => Ok(Role::Display),
            other => Err(SyncError::UnknownRole(other.to_owned())),
        }
    }
}

/// A pairing ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The inviter's endpoint id.
    pub endpoint: EndpointId,
    /// Addresses where the inviter listens.
    pub addrs: Vec<SocketAddr>,
    /// A relay URL where the inviter can be reached, if relays are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
    /// The one-time secret, proved by the joiner.
    pub secret: [u8; 16],
    /// When the ticket expires (by the inviter's clock, which alone enforces it).
    pub expires: Timestamp,
    /// The role offered.
    pub role: Role,
}

const TAG_LEN: usize = 8;

/// The largest expiry six bytes hold.
const EXPIRY_MAX: u64 = (1 << 48) - 1;

const TAG_DOMAIN: &str = "hearth ticket 1 tag";

/// The tag over a ticket's body, keyed with its secret (`domain` tells kinds of ticket apart).
fn tag(domain: &str, secret: &[u8; 16], body: &[u8]) -> [u8; TAG_LEN] {
    let key = blake3::derive_key(domain, secret);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&blake3::keyed_hash(&key, body).as_bytes()[..TAG_LEN]);
    out
}

/// An endpoint's address for dialing, from what a ticket carries: its id, socket addresses and
/// relay (one that does not parse is left out).
pub(crate) fn endpoint_addr(
    id: EndpointId,
    addrs: &[SocketAddr],
    relay: Option<&str>,
) -> EndpointAddr {
    let mut addr = EndpointAddr::from_parts(id, addrs.iter().map(|a| TransportAddr::Ip(*a)));
    if let Some(url) = relay.and_then(|u| u.parse().ok()) {
        addr = addr.with_relay_url(url);
    }
    addr
}

/// Takes `n` bytes off the front of `r`.
pub(crate) fn take<'a>(r: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, rest) = r.split_at_checked(n)?;
    *r = rest;
    Some(head)
}

/// Appends where a device listens: the address count (1 byte), each address (4 or 6 for the
/// family, the IP's 4 or 16 bytes, the port's 2; at most [`MAX_TICKET_ADDRS`]), the relay URL's
/// length (1) and its bytes.
pub(crate) fn encode_place(out: &mut Vec<u8>, addrs: &[SocketAddr], relay: Option<&str>) {
    let addrs = &addrs[..addrs.len().min(MAX_TICKET_ADDRS)];
    out.push(addrs.len() as u8);
    for a in addrs {
        match a {
            SocketAddr::V4(v4) => {
                out.push(4);
                out.extend_from_slice(&v4.ip().octets());
            }
            SocketAddr::V6(v6) => {
                out.push(6);
                out.extend_from_slice(&v6.ip().octets());
            }
        }
        out.extend_from_slice(&a.port().to_be_bytes());
    }
    let relay = relay.unwrap_or("").as_bytes();
    let relay = &relay[..relay.len().min(usize::from(u8::MAX))];
    out.push(relay.len() as u8);
    out.extend_from_slice(relay);
}

/// Reads what [`encode_place`] wrote.
pub(crate) fn decode_place(r: &mut &[u8]) -> Option<(Vec<SocketAddr>, Option<String>)> {
    let count = usize::from(take(r, 1)?[0]);
    if count > MAX_TICKET_ADDRS {
        return None;
    }
    let mut addrs = Vec::with_capacity(count);
    for _ in 0..count {
        let ip: std::net::IpAddr = match take(r, 1)?[0] {
            4 => <[u8; 4]>::try_from(take(r, 4)?).ok()?.into(),
            6 => <[u8; 16]>::try_from(take(r, 16)?).ok()?.into(),
            _ => return None,
        };
        let port = u16::from_be_bytes(take(r, 2)?.try_into().ok()?);
        addrs.push(SocketAddr::new(ip, port));
    }
    let relay = match usize::from(take(r, 1)?[0]) {
        0 => None,
        n => Some(String::from_utf8(take(r, n)?.to_vec()).ok()?),
    };
    Some((addrs, relay))
}

/// The text form of a ticket body: `prefix`, then base32 of the body and its tag.
pub(crate) fn seal_text(
    prefix: &str,
    domain: &str,
    secret: &[u8; 16],
    mut body: Vec<u8>,
) -> String {
    let sum = tag(domain, secret, &body);
    body.extend_from_slice(&sum);
    format!("{prefix}{}", BASE32_NOPAD.encode(&body))
}

/// A ticket's text without whitespace, in upper case.
pub(crate) fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Reads a ticket's text made by [`seal_text`]: `decode` reads the body and gives the secret
/// its tag is keyed with.
pub(crate) fn open_text<T>(
    clean: &str,
    prefix: &'static str,
    decode: impl FnOnce(&[u8]) -> Option<([u8; 16], T)>,
    domain: &str,
) -> std::result::Result<T, TicketProblem> {
    let rest = clean
        .strip_prefix(prefix)
        .ok_or(TicketProblem::WrongStart { expected: prefix })?;
    let bytes = BASE32_NOPAD
        .decode(rest.as_bytes())
        .map_err(|_| TicketProblem::NotBase32)?;
    if bytes.len() <= TAG_LEN {
        return Err(TicketProblem::TooShort);
    }
    let (body, sum) = bytes.split_at(bytes.len() - TAG_LEN);
    let (secret, ticket) = decode(body).ok_or(TicketProblem::Changed)?;
    if tag(domain, &secret, body) != sum {
        return Err(TicketProblem::Changed);
    }
    Ok(ticket)
}

/// What is wrong with a ticket's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TicketProblem {
    /// A ticket of the first format, from an older Hearth.
    #[error("it comes from an older version of Hearth")]
    OlderVersion,
    /// Not a Hearth ticket at all.
    #[error("it does not start with {expected}")]
    WrongStart {
        /// How a ticket of the kind asked for starts.
        expected: &'static str,
    },
    /// Letters outside the ticket's alphabet, or a cut in the middle of a letter group.
    #[error("it has characters that do not belong or is cut short")]
    NotBase32,
    /// Shorter than any ticket.
    #[error("it is too short")]
    TooShort,
    /// The checksum does not match: cut short or changed.
    #[error("it was cut short or changed")]
    Changed,
    /// A pairing ticket where a mailbox ticket was asked for.
    #[error("it is a pairing ticket; a mailbox ticket starts with HEARTHBOX1")]
    PairingTicket,
}

impl Ticket {
    /// The inviter's address for dialing.
    pub fn endpoint_addr(&self) -> EndpointAddr {
        endpoint_addr(self.endpoint, &self.addrs, self.relay.as_deref())
    }

    /// The text form, for copy and paste and QR codes.
    pub fn to_text(&self) -> String {
        seal_text(PREFIX, TAG_DOMAIN, &self.secret, self.encode())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        out.push(match self.role {
            Role::Partner => 0,
            Role::Me => 1,
            Role::Display => 2,
        });
        out.extend_from_slice(self.endpoint.as_bytes());
        out.extend_from_slice(&self.secret);
        let expires = u64::try_from(self.expires.0).unwrap_or(0).min(EXPIRY_MAX);
        out.extend_from_slice(&expires.to_be_bytes()[2..]);
        encode_place(&mut out, &self.addrs, self.relay.as_deref());
        out
    }

    fn decode(body: &[u8]) -> Option<Ticket> {
        let mut r = body;
        let role = match take(&mut r, 1)?[0] {
            0 => Role::Partner,
            1 => Role::Me,
            2 => Role::Display,
            _ => return None,
        };
        let endpoint = EndpointId::from_bytes(take(&mut r, 32)?.try_into().ok()?).ok()?;
        let secret: [u8; 16] = take(&mut r, 16)?.try_into().ok()?;
        let mut expires = [0u8; 8];
        expires[2..].copy_from_slice(take(&mut r, 6)?);
        let expires = Timestamp(i64::try_from(u64::from_be_bytes(expires)).ok()?);
        let (addrs, relay) = decode_place(&mut r)?;
        if !r.is_empty() {
            return None;
        }
        Some(Ticket {
            endpoint,
            addrs,
            relay,
            secret,
            expires,
            role,
        })
    }

    /// Parses the text form; whitespace and line breaks inside are ignored, case too.
    pub fn parse(text: &str) -> Result<Ticket> {
        let clean = clean_text(text);
        if !clean.starts_with(PREFIX) && clean.starts_with("HEARTH1") {
            return Err(SyncError::BadTicket(TicketProblem::OlderVersion));
        }
        let ticket = open_text(
            &clean,
            PREFIX,
            |body| Ticket::decode(body).map(|t| (t.secret, t)),
            TAG_DOMAIN,
        )
        .map_err(SyncError::BadTicket)?;
        Ok(ticket)
    }

    /// The bytes to put in a QR code.
    pub fn qr_bytes(&self) -> Vec<u8> {
        self.to_text().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            endpoint: iroh::SecretKey::from_bytes(&[7; 32]).public(),
            addrs: vec!["127.0.0.1:4242".parse().unwrap()],
            relay: None,
            secret: [9; 16],
            expires: Timestamp(1_767_225_600_000),
            role: Role::Partner,
        }
    }

    #[test]
    fn round_trips_and_tolerates_spacing() {
        let t = ticket();
        let text = t.to_text();
        assert!(text.starts_with("HEARTH2"));
        assert!(text.len() < 130, "{} characters", text.len());
        let four = Ticket {
            addrs: vec![
                "192.168.1.20:4242".parse().unwrap(),
                "10.0.0.5:4242".parse().unwrap(),
                "[fd00::1234:5678:9abc:def0]:4242".parse().unwrap(),
                "[fe80::1]:4242".parse().unwrap(),
            ],
            ..ticket()
        };
        let long = four.to_text();
        assert!(long.len() < 200, "{} characters", long.len());
        assert_eq!(Ticket::parse(&long).unwrap(), four);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(Ticket::parse(&text).unwrap(), t);
        let spaced = format!("  {}\n{} ", &text[..20].to_lowercase(), &text[20..]);
        assert_eq!(Ticket::parse(&spaced).unwrap(), t);
    }

    #[test]
    fn malformed_tickets_are_refused() {
        let text = ticket().to_text();
        for bad in [
            String::new(),
            "hello".to_owned(),
            text[..text.len() - 3].to_owned(),
            text[..12].to_owned(),
            format!("{}A", &text[..text.len() - 1]),
            text.replace("HEARTH2", "HEARTH3"),
            text.replace("HEARTH2", "HEARTH1"),
            format!("{text}!"),
        ] {
            assert!(
                matches!(Ticket::parse(&bad), Err(SyncError::BadTicket(_))),
                "{bad}"
            );
        }
    }
}
