//! Membership: which devices belong to the journal, whose they are, and who may receive whose
//! private journal, decided by statements each device signs with its ed25519 device key (the
//! key whose public half is its iroh endpoint id). No field of the journal that a member can
//! simply write decides any of it, and no clock does.
//!
//! # Statements
//!
//! A statement is a canonical binary body (see [`Statement::encode`], prefixed with the domain
//! `hearth/member/1`) and a signature over it by the device named as its signer. Its id is the
//! BLAKE3 hash of the body; it is kept in the shared journal under `devices/m/<id>`, so
//! concurrent statements never clash and a statement cannot be changed without changing its id.
//! Each statement names the statements its signer had seen (`deps`, the heads of what it knew):
//! that is the only notion of "before" the rules use.
//!
//! - **Add** (`device`, its age recipient, owner, kind, name, Automerge actor) with a role:
//!   - `founder`: the device that started the journal, signed by itself. Only the founder this
//!     device has pinned (in its sealed store) counts; every other founding statement is ignored.
//!   - `me`: another device of the signer's own person.
//!   - `partner`: the other person's device. Allowed only while that person has no current
//!     device and the journal would not hold a third person, so one partner can never mint a
//!     device for the other while the other has one.
//!   - `display`: a home display (owner "home").
//!
//!   Adding a device that was revoked again (with a statement that has seen the revocation)
//!   lets it back in; a device keeps its first owner and kind.
//! - **Revoke** (`device`): any current personal device may revoke any device (a partner may
//!   revoke the other's lost phone, so that the other can be admitted again on a new one).
//!
//! # Rules
//!
//! - A statement counts only if its signature is good, everything it depends on is present,
//!   and it was allowed in the state made by the statements it depends on: its signer was then
//!   a current personal device (a display adds and revokes nothing) and the role's conditions
//!   held. A revoked device's statements made after it had seen its revocation count for
//!   nothing.
//! - Revocations made concurrently (neither signer had seen the other's) are decided by
//!   seniority: they are taken in order of their signers' standing in the chain (a device whose
//!   admission had seen fewer statements comes first, then by statement id), and a revocation
//!   whose signer was revoked by an earlier-taken concurrent one is void. The device that
//!   admitted another always outranks it, so a device taken from its owner cannot keep the
//!   owner's older devices out by revoking them at the same moment they revoke it.
//! - A person's **own devices** (who may receive their private journal) are their current
//!   devices linked to this one by `me` additions (in either direction); a device the partner
//!   added for them is never one of them by that alone. Devices also pin their own devices in
//!   their sealed store at `me` pairings.
//! - The journal's people are the owners of its valid personal devices: at most two.
//!
//! Every honest device evaluates the same statements the same way, so devices that hold the
//! same statements agree on the members. Statements are self-authenticating, so a device that
//! another refuses (because a statement it has not seen yet revoked it) may still hand that
//! device its statements; the sync crate does so, and a revocation that lost to seniority then
//! stops counting everywhere.
//!
//! What this does not protect against: whoever holds a device's key (and its passphrase, if it
//! has one) acts as that device until it is revoked, and the journal's founding device outranks
//! every other in concurrent revocations: keep it sealed with a passphrase.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ids::{Id, PartnerId, Timestamp};
use crate::keys::{hex_decode_vec, hex_encode};
use crate::model::{DeviceKind, DeviceOwner, NewDevice};

/// The domain prefix of every statement body.
pub const DOMAIN: &[u8] = b"hearth/member/1\n";
/// The largest statement body accepted, in bytes.
pub const MAX_STATEMENT: usize = 4096;
/// The most statements evaluated; beyond that the rest are ignored (a journal holds a few dozen).
pub const MAX_STATEMENTS: usize = 1024;
/// The most statements one statement may depend on.
pub const MAX_DEPS: usize = 64;
/// The key prefix of statements inside the shared journal's `devices` map.
pub const KEY_PREFIX: &str = "m/";
const SIG_LEN: usize = 64;

/// A statement's id: the BLAKE3 hash of its body.
pub type StatementId = [u8; 32];

/// Why an add was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddRole {
    /// The device that started the journal, added by itself.
    Founder,
    /// The other person's device, added by a partner.
    Partner,
    /// Another device of the signer's own person.
    Me,
    /// A home display.
    Display,
}

impl AddRole {
    fn code(self) -> u8 {
        match self {
            AddRole::Founder => 0,
            AddRole::Partner => 1,
            AddRole::Me => 2,
            AddRole::Display => 3,
        }
    }

    fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => AddRole::Founder,
            1 => AddRole::Partner,
            2 => AddRole::Me,
            3 => AddRole::Display,
            _ => return None,
        })
    }
}

/// The facts about a device that an add statement vouches for (its endpoint id, age recipient,
/// owner, kind, name and Automerge actor id): the same record a caller gives to add a device.
pub type DeviceEntry = NewDevice;

/// What a statement says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Act {
    /// A device is a member.
    Add {
        /// Why.
        role: AddRole,
        /// The device.
        device: DeviceEntry,
    },
    /// A device is no longer a member.
    Revoke {
        /// Its endpoint id.
        device: String,
    },
}

/// A membership statement (unsigned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The signing device's endpoint id.
    pub signer: String,
    /// When it was made, by the signer's clock: shown, never used to decide anything.
    pub at: Timestamp,
    /// The statements the signer had seen (sorted, no duplicates).
    pub deps: Vec<StatementId>,
    /// What it says.
    pub act: Act,
}

/// Why a statement could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// The body is over [`MAX_STATEMENT`].
    #[error("the statement is {0} bytes, over the limit of {MAX_STATEMENT}")]
    TooLarge(usize),
    /// The body does not parse.
    #[error("the statement is malformed: {0}")]
    Malformed(&'static str),
    /// The signature does not verify against the signer's key.
    #[error("the statement's signature does not match its signer")]
    BadSignature,
    /// The key it is stored under is not its id.
    #[error("the statement is stored under a key that is not its id")]
    WrongKey,
}

/// Why a well-signed statement does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// A founding statement by a device other than the pinned founder.
    #[error("it founds another journal (not the founder this device trusts)")]
    NotTheFounder,
    /// This device has no founder pinned yet.
    #[error("this device does not know the journal's founder yet")]
    NoFounder,
    /// The signer was not a current member when it signed.
    #[error("its signer was not a current member when it signed")]
    SignerNotMember,
    /// The signer is a home display.
    #[error("a home display adds and revokes nothing")]
    SignerIsDisplay,
    /// The role does not fit the device described.
    #[error("the role does not fit the device: {0}")]
    RoleMismatch(&'static str),
    /// A partner tried to add a device for a person who already has one.
    #[error("that person already has a device; only their own devices may add another")]
    PersonHasDevices,
    /// It would bring a third person into the journal.
    #[error("the journal already has two people")]
    ThirdPerson,
    /// A device's owner or kind cannot change.
    #[error("the device is already recorded with another owner or kind")]
    OwnerChanged,
    /// The target device is not in the journal.
    #[error("there is no such device to revoke")]
    UnknownDevice,
    /// Statements it depends on are missing here.
    #[error("statements it depends on have not arrived")]
    Pending,
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), StatementError> {
    let len =
        u16::try_from(s.len()).map_err(|_| StatementError::Malformed("a text is too long"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_key(out: &mut Vec<u8>, hex: &str) -> Result<(), StatementError> {
    let bytes = endpoint_bytes(hex).ok_or(StatementError::Malformed(
        "a device id is not 32 bytes of hex",
    ))?;
    out.extend_from_slice(&bytes);
    Ok(())
}

/// The 32 bytes of an endpoint id in hex, if it is one.
pub fn endpoint_bytes(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    hex_decode_vec(hex)?.try_into().ok()
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StatementError> {
        if self.rest.len() < n {
            return Err(StatementError::Malformed("it is cut short"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, StatementError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, StatementError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn i64(&mut self) -> Result<i64, StatementError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(i64::from_be_bytes(a))
    }

    fn id(&mut self) -> Result<[u8; 32], StatementError> {
        let mut a = [0u8; 32];
        a.copy_from_slice(self.take(32)?);
        Ok(a)
    }

    fn str(&mut self) -> Result<String, StatementError> {
        let n = usize::from(self.u16()?);
        let b = self.take(n)?;
        let s =
            std::str::from_utf8(b).map_err(|_| StatementError::Malformed("a text is not UTF-8"))?;
        if s.chars().any(char::is_control) {
            return Err(StatementError::Malformed(
                "a text holds a control character",
            ));
        }
        Ok(s.to_owned())
    }
}

impl Statement {
    /// The canonical body: the domain, then every field in a fixed order with fixed widths or
    /// a length prefix. Two devices encode the same statement to the same bytes.
    pub fn encode(&self) -> Result<Vec<u8>, StatementError> {
        let mut out = DOMAIN.to_vec();
        put_key(&mut out, &self.signer)?;
        out.extend_from_slice(&self.at.0.to_be_bytes());
        if self.deps.len() > MAX_DEPS {
            return Err(StatementError::Malformed(
                "it depends on too many statements",
            ));
        }
        let mut deps = self.deps.clone();
        deps.sort_unstable();
        deps.dedup();
        out.extend_from_slice(&(deps.len() as u16).to_be_bytes());
        for d in &deps {
            out.extend_from_slice(d);
        }
        match &self.act {
            Act::Add { role, device } => {
                out.push(1);
                out.push(role.code());
                put_key(&mut out, &device.endpoint_id)?;
                put_str(&mut out, &device.age_recipient)?;
                match &device.owner {
                    DeviceOwner::Home => out.push(0),
                    DeviceOwner::Partner(p) => {
                        out.push(1);
                        put_str(&mut out, p.as_str())?;
                    }
                }
                put_str(&mut out, device.kind.as_str())?;
                put_str(&mut out, &device.name)?;
                put_str(&mut out, &device.actor)?;
            }
            Act::Revoke { device } => {
                out.push(2);
                put_key(&mut out, device)?;
            }
        }
        if out.len() > MAX_STATEMENT {
            return Err(StatementError::TooLarge(out.len()));
        }
        Ok(out)
    }

    /// Reads a body written by [`Statement::encode`]; anything else is refused.
    pub fn decode(body: &[u8]) -> Result<Statement, StatementError> {
        if body.len() > MAX_STATEMENT {
            return Err(StatementError::TooLarge(body.len()));
        }
        let rest = body.strip_prefix(DOMAIN).ok_or(StatementError::Malformed(
            "it is not a Hearth membership statement",
        ))?;
        let mut r = Reader { rest };
        let signer = hex_encode(&r.id()?);
        let at = Timestamp(r.i64()?);
        let n = usize::from(r.u16()?);
        if n > MAX_DEPS {
            return Err(StatementError::Malformed(
                "it depends on too many statements",
            ));
        }
        let mut deps = Vec::with_capacity(n);
        for _ in 0..n {
            deps.push(r.id()?);
        }
        if deps.windows(2).any(|w| w[0] >= w[1]) {
            return Err(StatementError::Malformed(
                "its dependencies are not in order",
            ));
        }
        let act = match r.u8()? {
            1 => {
                let role =
                    AddRole::from_code(r.u8()?).ok_or(StatementError::Malformed("unknown role"))?;
                let endpoint_id = hex_encode(&r.id()?);
                let age_recipient = r.str()?;
                let owner = match r.u8()? {
                    0 => DeviceOwner::Home,
                    1 => DeviceOwner::Partner(Id::from(r.str()?)),
                    _ => return Err(StatementError::Malformed("unknown owner")),
                };
                let kind = DeviceKind::from(r.str()?);
                let name = r.str()?;
                let actor = r.str()?;
                Act::Add {
                    role,
                    device: DeviceEntry {
                        endpoint_id,
                        age_recipient,
                        owner,
                        kind,
                        name,
                        actor,
                    },
                }
            }
            2 => Act::Revoke {
                device: hex_encode(&r.id()?),
            },
            _ => return Err(StatementError::Malformed("unknown act")),
        };
        if !r.rest.is_empty() {
            return Err(StatementError::Malformed("there are bytes after its end"));
        }
        Ok(Statement {
            signer,
            at,
            deps,
            act,
        })
    }

    /// Signs the statement with a device's ed25519 secret seed, which must be the signer's.
    pub fn sign(&self, seed: &[u8; 32]) -> Result<SignedStatement, StatementError> {
        let key = SigningKey::from_bytes(seed);
        if hex_encode(key.verifying_key().as_bytes()) != self.signer {
            return Err(StatementError::BadSignature);
        }
        let body = self.encode()?;
        let sig = key.sign(&body).to_bytes();
        Ok(SignedStatement {
            id: *blake3::hash(&body).as_bytes(),
            statement: Statement::decode(&body)?,
            body,
            sig,
        })
    }
}

/// A statement with a verified signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedStatement {
    /// Its id.
    pub id: StatementId,
    /// Its body.
    pub body: Vec<u8>,
    /// The signature over the body.
    pub sig: [u8; SIG_LEN],
    /// The statement the body holds.
    pub statement: Statement,
}

impl SignedStatement {
    /// The stored form: body then signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.body.clone();
        out.extend_from_slice(&self.sig);
        out
    }

    /// The key it is stored under in the journal.
    pub fn key(&self) -> String {
        format!("{KEY_PREFIX}{}", hex_encode(&self.id))
    }

    /// Reads a stored statement and checks its signature against the signer it names.
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedStatement, StatementError> {
        if bytes.len() > MAX_STATEMENT + SIG_LEN {
            return Err(StatementError::TooLarge(bytes.len()));
        }
        if bytes.len() < SIG_LEN {
            return Err(StatementError::Malformed("it is cut short"));
        }
        let (body, sig) = bytes.split_at(bytes.len() - SIG_LEN);
        let statement = Statement::decode(body)?;
        let signer = endpoint_bytes(&statement.signer).ok_or(StatementError::BadSignature)?;
        let key = VerifyingKey::from_bytes(&signer).map_err(|_| StatementError::BadSignature)?;
        let mut sig_bytes = [0u8; SIG_LEN];
        sig_bytes.copy_from_slice(sig);
        key.verify_strict(body, &Signature::from_bytes(&sig_bytes))
            .map_err(|_| StatementError::BadSignature)?;
        Ok(SignedStatement {
            id: *blake3::hash(body).as_bytes(),
            body: body.to_vec(),
            sig: sig_bytes,
            statement,
        })
    }
}

/// Whether a device may sync now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Standing {
    /// A current member.
    Member,
    /// Revoked by a statement that counts.
    Revoked {
        /// The device whose statement revoked it.
        by: String,
    },
    /// Named in the journal, but by nothing that counts.
    Unverified {
        /// Why not.
        reason: String,
    },
}

/// A device as the checked statements describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberDevice {
    /// What its first valid addition says.
    pub entry: DeviceEntry,
    /// The role of that addition.
    pub role: AddRole,
    /// Who signed that addition.
    pub added_by: String,
    /// When, by the signer's clock.
    pub added_at: Timestamp,
    /// The revocation that counts, if any: signer and time.
    pub revoked: Option<(String, Timestamp)>,
    /// Its standing in the chain: how many statements its first addition had seen, then that
    /// statement's id. Smaller is more senior.
    pub seniority: (u32, StatementId),
}

/// One statement as checked here, for `hearth devices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedStatement {
    /// Its key in the journal.
    pub key: String,
    /// The statement, if it could be read.
    pub statement: Option<Statement>,
    /// `None` if it counts, else why not.
    pub problem: Option<String>,
}

/// The journal's membership as this device checks it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Membership {
    root: Option<String>,
    devices: BTreeMap<String, MemberDevice>,
    me_links: Vec<(String, String)>,
    checked: Vec<CheckedStatement>,
    frontier: Vec<StatementId>,
}

/// What the statements in one causal context add up to.
#[derive(Default)]
struct Ctx {
    devices: BTreeMap<String, MemberDevice>,
}

impl Ctx {
    fn current(&self, id: &str) -> Option<&MemberDevice> {
        self.devices.get(id).filter(|d| d.revoked.is_none())
    }

    fn persons(&self) -> BTreeSet<PartnerId> {
        self.devices
            .values()
            .filter(|d| d.entry.kind == DeviceKind::Personal)
            .filter_map(|d| match &d.entry.owner {
                DeviceOwner::Partner(p) => Some(p.clone()),
                DeviceOwner::Home => None,
            })
            .collect()
    }
}

struct Graph<'a> {
    stmts: Vec<&'a SignedStatement>,
    /// Ancestors of each statement, as a bit set over statement indices.
    ancestors: Vec<Vec<u64>>,
    valid: Vec<bool>,
    /// Each statement's seniority: how many statements its context holds, then its id.
    weight: Vec<(u32, StatementId)>,
}

fn bit(set: &[u64], i: usize) -> bool {
    set.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

impl Graph<'_> {
    /// The state made by the valid statements among `members` (indices in topological order).
    fn state(&self, members: &[usize]) -> Ctx {
        let mut ctx = Ctx::default();
        let mut adds_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut first_add: BTreeMap<String, usize> = BTreeMap::new();
        let mut revokes = Vec::new();
        for &i in members {
            if !self.valid[i] {
                continue;
            }
            let s = &self.stmts[i].statement;
            match &s.act {
                Act::Add { role, device } => {
                    adds_of
                        .entry(device.endpoint_id.as_str())
                        .or_default()
                        .push(i);
                    if !ctx.devices.contains_key(&device.endpoint_id) {
                        first_add.insert(device.endpoint_id.clone(), i);
                        ctx.devices.insert(
                            device.endpoint_id.clone(),
                            MemberDevice {
                                entry: device.clone(),
                                role: *role,
                                added_by: s.signer.clone(),
                                added_at: s.at,
                                revoked: None,
                                seniority: self.weight[i],
                            },
                        );
                    }
                }
                Act::Revoke { .. } => revokes.push(i),
            }
        }
        // Seniority of a device: the weight of its first valid addition.
        let seniority = |dev: &str| {
            first_add
                .get(dev)
                .map(|&i| self.weight[i])
                .unwrap_or((u32::MAX, [0xff; 32]))
        };
        revokes.sort_by_key(|&i| (seniority(&self.stmts[i].statement.signer), self.weight[i].1));
        let mut effective: BTreeMap<String, usize> = BTreeMap::new();
        for r in revokes {
            let s = &self.stmts[r].statement;
            let Act::Revoke { device } = &s.act else {
                continue;
            };
            // Void if its signer was revoked by a concurrent revocation taken earlier.
            if let Some(&against) = effective.get(&s.signer)
                && !bit(&self.ancestors[against], r)
            {
                continue;
            }
            // Undone by a later addition that had seen it.
            let undone = adds_of
                .get(device.as_str())
                .is_some_and(|adds| adds.iter().any(|&a| bit(&self.ancestors[a], r)));
            if !undone {
                effective.entry(device.clone()).or_insert(r);
            }
        }
        for (dev, r) in effective {
            if let Some(d) = ctx.devices.get_mut(&dev) {
                let s = &self.stmts[r].statement;
                d.revoked = Some((s.signer.clone(), s.at));
            }
        }
        ctx
    }
}

fn permitted(
    root: Option<&str>,
    s: &Statement,
    deps_empty: bool,
    ctx: &Ctx,
) -> Result<(), Refusal> {
    if let Act::Add {
        role: AddRole::Founder,
        device,
    } = &s.act
    {
        let root = root.ok_or(Refusal::NoFounder)?;
        if s.signer != root || device.endpoint_id != root || !deps_empty {
            return Err(Refusal::NotTheFounder);
        }
        if device.kind != DeviceKind::Personal || device.owner == DeviceOwner::Home {
            return Err(Refusal::RoleMismatch("the founder is a person's device"));
        }
        return Ok(());
    }
    let signer = ctx.current(&s.signer).ok_or(Refusal::SignerNotMember)?;
    if signer.entry.kind != DeviceKind::Personal {
        return Err(Refusal::SignerIsDisplay);
    }
    let DeviceOwner::Partner(signer_person) = &signer.entry.owner else {
        return Err(Refusal::SignerIsDisplay);
    };
    match &s.act {
        Act::Revoke { device } => {
            if ctx.devices.contains_key(device) {
                Ok(())
            } else {
                Err(Refusal::UnknownDevice)
            }
        }
        Act::Add { role, device } => {
            if let Some(known) = ctx.devices.get(&device.endpoint_id)
                && (known.entry.owner != device.owner || known.entry.kind != device.kind)
            {
                return Err(Refusal::OwnerChanged);
            }
            match role {
                AddRole::Founder => Err(Refusal::NotTheFounder),
                AddRole::Display => {
                    if device.kind == DeviceKind::Display && device.owner == DeviceOwner::Home {
                        Ok(())
                    } else {
                        Err(Refusal::RoleMismatch("a display belongs to the home"))
                    }
                }
                AddRole::Me => {
                    if device.kind == DeviceKind::Personal
                        && device.owner == DeviceOwner::Partner(signer_person.clone())
                    {
                        Ok(())
                    } else {
                        Err(Refusal::RoleMismatch(
                            "a `me` device belongs to the signer's person",
                        ))
                    }
                }
                AddRole::Partner => {
                    let DeviceOwner::Partner(other) = &device.owner else {
                        return Err(Refusal::RoleMismatch(
                            "a partner's device belongs to a person",
                        ));
                    };
                    if device.kind != DeviceKind::Personal || other == signer_person {
                        return Err(Refusal::RoleMismatch(
                            "a partner's device belongs to the other person",
                        ));
                    }
                    let has_device = ctx.devices.values().any(|d| {
                        d.revoked.is_none()
                            && d.entry.endpoint_id != device.endpoint_id
                            && d.entry.owner == device.owner
                    });
                    if has_device {
                        return Err(Refusal::PersonHasDevices);
                    }
                    let mut persons = ctx.persons();
                    persons.insert(signer_person.clone());
                    persons.insert(other.clone());
                    if persons.len() > 2 {
                        return Err(Refusal::ThirdPerson);
                    }
                    Ok(())
                }
            }
        }
    }
}

impl Membership {
    /// Checks every statement (stored `key` and bytes) against the pinned founder `root`.
    pub fn evaluate<'a>(
        root: Option<&str>,
        stored: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Membership {
        let mut checked = Vec::new();
        let mut good: Vec<SignedStatement> = Vec::new();
        let mut stored: Vec<(&str, &[u8])> = stored.into_iter().collect();
        stored.sort_by(|a, b| a.0.cmp(b.0));
        for (key, bytes) in stored.into_iter().take(MAX_STATEMENTS) {
            match SignedStatement::from_bytes(bytes) {
                Ok(s) if s.key() == key => good.push(s),
                Ok(s) => checked.push(CheckedStatement {
                    key: key.to_owned(),
                    statement: Some(s.statement),
                    problem: Some(StatementError::WrongKey.to_string()),
                }),
                Err(e) => checked.push(CheckedStatement {
                    key: key.to_owned(),
                    statement: None,
                    problem: Some(e.to_string()),
                }),
            }
        }
        let index: BTreeMap<StatementId, usize> =
            good.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let n = good.len();
        // Topological order (dependencies first, ties by id); a statement whose dependencies
        // are missing, or depend on missing ones, waits.
        let mut pending = vec![false; n];
        let mut indegree = vec![0usize; n];
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, s) in good.iter().enumerate() {
            for d in &s.statement.deps {
                match index.get(d) {
                    Some(&j) => {
                        indegree[i] += 1;
                        children[j].push(i);
                    }
                    None => pending[i] = true,
                }
            }
        }
        let mut ready: BTreeSet<(StatementId, usize)> = (0..n)
            .filter(|&i| indegree[i] == 0)
            .map(|i| (good[i].id, i))
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some((_, i)) = ready.pop_first() {
            order.push(i);
            for &c in &children[i] {
                if pending[i] {
                    pending[c] = true;
                }
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    ready.insert((good[c].id, c));
                }
            }
        }
        let words = n.div_ceil(64).max(1);
        let mut graph = Graph {
            stmts: good.iter().collect(),
            ancestors: vec![vec![0u64; words]; n],
            valid: vec![false; n],
            weight: vec![(0, [0; 32]); n],
        };
        let mut verdicts: Vec<Option<Refusal>> = vec![None; n];
        let mut position = vec![0usize; n];
        for (p, &i) in order.iter().enumerate() {
            position[i] = p;
        }
        for &i in &order {
            let mut anc = vec![0u64; words];
            for d in &good[i].statement.deps {
                if let Some(&j) = index.get(d) {
                    for (w, a) in anc.iter_mut().zip(&graph.ancestors[j]) {
                        *w |= a;
                    }
                    anc[j / 64] |= 1 << (j % 64);
                }
            }
            let count: u32 = anc.iter().map(|w| w.count_ones()).sum();
            graph.ancestors[i] = anc;
            graph.weight[i] = (count, good[i].id);
            if pending[i] {
                verdicts[i] = Some(Refusal::Pending);
                continue;
            }
            let mut members: Vec<usize> = (0..n).filter(|&j| bit(&graph.ancestors[i], j)).collect();
            members.sort_by_key(|&j| position[j]);
            let ctx = graph.state(&members);
            match permitted(
                root,
                &good[i].statement,
                good[i].statement.deps.is_empty(),
                &ctx,
            ) {
                Ok(()) => graph.valid[i] = true,
                Err(r) => verdicts[i] = Some(r),
            }
        }
        // Statements in a cycle cannot exist (ids hash their dependencies); anything left out of
        // the order is treated as waiting.
        let final_state = graph.state(&order);
        let mut me_links = Vec::new();
        for &i in &order {
            if let (
                true,
                Act::Add {
                    role: AddRole::Me,
                    device,
                },
            ) = (graph.valid[i], &good[i].statement.act)
            {
                me_links.push((good[i].statement.signer.clone(), device.endpoint_id.clone()));
            }
        }
        for (i, s) in good.iter().enumerate() {
            let problem = if order.contains(&i) {
                verdicts[i].as_ref().map(|r| r.to_string())
            } else {
                Some(Refusal::Pending.to_string())
            };
            checked.push(CheckedStatement {
                key: s.key(),
                statement: Some(s.statement.clone()),
                problem,
            });
        }
        let mut is_dep = vec![false; n];
        for s in &good {
            for d in &s.statement.deps {
                if let Some(&j) = index.get(d) {
                    is_dep[j] = true;
                }
            }
        }
        let mut frontier: Vec<StatementId> = (0..n)
            .filter(|&i| !is_dep[i] && !pending[i])
            .map(|i| good[i].id)
            .collect();
        frontier.sort_unstable();
        frontier.truncate(MAX_DEPS);
        Membership {
            root: root.map(str::to_owned),
            devices: final_state.devices,
            me_links,
            checked,
            frontier,
        }
    }

    /// The founder this evaluation trusted.
    pub fn root(&self) -> Option<&str> {
        self.root.as_deref()
    }

    /// Every device some valid statement added, revoked ones included.
    pub fn devices(&self) -> &BTreeMap<String, MemberDevice> {
        &self.devices
    }

    /// A device validly added and not revoked.
    pub fn current(&self, endpoint_id: &str) -> Option<&MemberDevice> {
        self.devices
            .get(endpoint_id)
            .filter(|d| d.revoked.is_none())
    }

    /// Whether a device may sync.
    pub fn is_member(&self, endpoint_id: &str) -> bool {
        self.current(endpoint_id).is_some()
    }

    /// The standing of a device.
    pub fn standing(&self, endpoint_id: &str) -> Standing {
        match self.devices.get(endpoint_id) {
            Some(MemberDevice { revoked: None, .. }) => Standing::Member,
            Some(MemberDevice {
                revoked: Some((by, _)),
                ..
            }) => Standing::Revoked { by: by.clone() },
            None => Standing::Unverified {
                reason: self
                    .checked
                    .iter()
                    .filter(|c| {
                        c.statement.as_ref().is_some_and(|s| match &s.act {
                            Act::Add { device, .. } => device.endpoint_id == endpoint_id,
                            Act::Revoke { .. } => false,
                        })
                    })
                    .find_map(|c| c.problem.clone())
                    .unwrap_or_else(|| "no signed statement adds it".to_owned()),
            },
        }
    }

    /// Every statement with what was found wrong with it, if anything.
    pub fn checked(&self) -> &[CheckedStatement] {
        &self.checked
    }

    /// The people who have (or had) a personal device in the journal, at most two.
    pub fn persons(&self) -> BTreeSet<PartnerId> {
        Ctx {
            devices: self.devices.clone(),
        }
        .persons()
    }

    /// The current devices of `me`'s person linked to `me` by `me` additions: the devices that
    /// may receive that person's private journal (with `me` itself).
    pub fn own_devices(&self, me: &str) -> BTreeSet<String> {
        let Some(mine) = self.devices.get(me) else {
            return BTreeSet::new();
        };
        if mine.entry.kind != DeviceKind::Personal {
            return BTreeSet::new();
        }
        let owner = &mine.entry.owner;
        let mut seen: BTreeSet<String> = BTreeSet::from([me.to_owned()]);
        let mut queue = VecDeque::from([me.to_owned()]);
        while let Some(at) = queue.pop_front() {
            for (a, b) in &self.me_links {
                let next = if a == &at {
                    b
                } else if b == &at {
                    a
                } else {
                    continue;
                };
                let same = self
                    .devices
                    .get(next)
                    .is_some_and(|d| &d.entry.owner == owner);
                if same && seen.insert(next.clone()) {
                    queue.push_back(next.clone());
                }
            }
        }
        seen.retain(|d| self.is_member(d));
        seen
    }

    /// The statements a new statement depends on: the heads of those seen here.
    pub fn frontier(&self) -> Vec<StatementId> {
        self.frontier.clone()
    }

    /// Checks whether `statement` would count if added now, without adding it.
    pub fn check_new(&self, statement: &Statement) -> Result<(), Refusal> {
        let ctx = Ctx {
            devices: self.devices.clone(),
        };
        permitted(
            self.root.as_deref(),
            statement,
            statement.deps.is_empty(),
            &ctx,
        )
    }
}

/// Signs `msg` with a device's ed25519 secret seed under a domain prefix (change files and other
/// signed things that are not membership statements).
pub fn sign_detached(seed: &[u8; 32], domain: &[u8], msg: &[u8]) -> [u8; 64] {
    let mut data = domain.to_vec();
    data.extend_from_slice(msg);
    SigningKey::from_bytes(seed).sign(&data).to_bytes()
}

/// Checks a signature made by [`sign_detached`] against a device's endpoint id (hex).
pub fn verify_detached(endpoint_id: &str, domain: &[u8], msg: &[u8], sig: &[u8; 64]) -> bool {
    let Some(key) = endpoint_bytes(endpoint_id).and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let mut data = domain.to_vec();
    data.extend_from_slice(msg);
    key.verify_strict(&data, &Signature::from_bytes(sig))
        .is_ok()
}

#[cfg(test)]
mod tests;
