//! Pairing tickets: what one device shows (as text or a QR code) so another can join.
//!
//! A ticket holds the inviter's endpoint id and addresses, its age recipient, a random one-time
//! secret, an expiry and the role offered. The text form is `HEARTH1` followed by base32 (upper
//! case, so a QR code can use its compact alphanumeric mode) of a JSON body and an 8-byte tag:
//! a BLAKE3 hash of the body keyed with the ticket's secret, so a ticket cut short, mistyped or
//! edited without the secret is refused with a clear message.
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

const PREFIX: &str = "HEARTH1";

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
            other => Err(SyncError::NotAllowed(format!(
                "unknown role {other:?}: use partner, me or display"
            ))),
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
    /// The inviter's age recipient.
    pub recipient: String,
    /// The one-time secret, proved by the joiner.
    pub secret: [u8; 16],
    /// When the ticket expires (by the inviter's clock, which alone enforces it).
    pub expires: Timestamp,
    /// The role offered.
    pub role: Role,
}

const TAG_LEN: usize = 8;

/// The tag over a ticket's body, keyed with its secret.
fn tag(secret: &[u8; 16], body: &[u8]) -> [u8; TAG_LEN] {
    let key = blake3::derive_key("hearth ticket 1 tag", secret);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&blake3::keyed_hash(&key, body).as_bytes()[..TAG_LEN]);
    out
}

impl Ticket {
    /// The inviter's address for dialing.
    pub fn endpoint_addr(&self) -> EndpointAddr {
        let mut addr = EndpointAddr::from_parts(
            self.endpoint,
            self.addrs.iter().map(|a| TransportAddr::Ip(*a)),
        );
        if let Some(url) = self.relay.as_deref().and_then(|u| u.parse().ok()) {
            addr = addr.with_relay_url(url);
        }
        addr
    }

    /// The text form, for copy and paste and QR codes.
    pub fn to_text(&self) -> String {
        let mut body = serde_json::to_vec(self).unwrap_or_default();
        let sum = tag(&self.secret, &body);
        body.extend_from_slice(&sum);
        format!("{PREFIX}{}", BASE32_NOPAD.encode(&body))
    }

    /// Parses the text form; whitespace and line breaks inside are ignored, case too.
    pub fn parse(text: &str) -> Result<Ticket> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let Some(rest) = clean.strip_prefix(PREFIX) else {
            return Err(SyncError::BadTicket(
                "it does not start with HEARTH1".into(),
            ));
        };
        let bytes = BASE32_NOPAD.decode(rest.as_bytes()).map_err(|_| {
            SyncError::BadTicket("it has characters that do not belong or is cut short".into())
        })?;
        if bytes.len() <= TAG_LEN {
            return Err(SyncError::BadTicket("it is too short".into()));
        }
        let (body, sum) = bytes.split_at(bytes.len() - TAG_LEN);
        let changed = || SyncError::BadTicket("it was cut short or changed".into());
        let ticket: Ticket = serde_json::from_slice(body).map_err(|_| changed())?;
        if tag(&ticket.secret, body) != sum {
            return Err(changed());
        }
        if !ticket.recipient.starts_with("age1") {
            return Err(SyncError::BadTicket("it carries no age recipient".into()));
        }
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
            recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq".into(),
            secret: [9; 16],
            expires: Timestamp(1_767_225_600_000),
            role: Role::Partner,
        }
    }

    #[test]
    fn round_trips_and_tolerates_spacing() {
        let t = ticket();
        let text = t.to_text();
        assert!(text.starts_with("HEARTH1"));
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
            text.replace("HEARTH1", "HEARTH2"),
            format!("{text}!"),
        ] {
            assert!(
                matches!(Ticket::parse(&bad), Err(SyncError::BadTicket(_))),
                "{bad}"
            );
        }
    }
}
