//! The membership rules, statement by statement, and a property test with honest and
//! malicious devices.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// A device's key and id, from a one-byte seed.
#[derive(Clone)]
struct Dev {
    seed: [u8; 32],
    id: String,
}

fn dev(n: u8) -> Dev {
    let seed = [n; 32];
    let id = hex_encode(SigningKey::from_bytes(&seed).verifying_key().as_bytes());
    Dev { seed, id }
}

const RECIPIENT: &str = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq";

fn entry(d: &Dev, owner: &str, kind: DeviceKind) -> DeviceEntry {
    DeviceEntry {
        endpoint_id: d.id.clone(),
        age_recipient: RECIPIENT.into(),
        owner: if owner == "home" {
            DeviceOwner::Home
        } else {
            DeviceOwner::Partner(Id::from(owner))
        },
        kind,
        name: format!("device {}", &d.id[..6]),
        actor: "00".repeat(16),
    }
}

/// A set of stored statements, as the journal would hold them.
#[derive(Default, Clone)]
struct Log {
    stored: BTreeMap<String, Vec<u8>>,
}

impl Log {
    fn eval(&self, root: &Dev) -> Membership {
        Membership::evaluate(
            Some(&root.id),
            self.stored.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
        )
    }

    /// Signs `act` by `signer` with the given deps, stores it, returns its id.
    fn put(&mut self, signer: &Dev, deps: Vec<StatementId>, act: Act) -> StatementId {
        let s = Statement {
            signer: signer.id.clone(),
            at: Timestamp(1),
            deps,
            act,
        }
        .sign(&signer.seed)
        .unwrap();
        self.stored.insert(s.key(), s.to_bytes());
        s.id
    }

    /// Signs with the current frontier as deps (as an up-to-date device would).
    fn say(&mut self, root: &Dev, signer: &Dev, act: Act) -> StatementId {
        let deps = self.eval(root).frontier();
        self.put(signer, deps, act)
    }
}

fn add(role: AddRole, e: DeviceEntry) -> Act {
    Act::Add { role, device: e }
}

fn revoke(d: &Dev) -> Act {
    Act::Revoke {
        device: d.id.clone(),
    }
}

/// Ana's phone founds; Ben's phone joins as partner.
fn couple() -> (Log, Dev, Dev) {
    let (a, b) = (dev(1), dev(2));
    let mut log = Log::default();
    log.say(
        &a,
        &a,
        add(AddRole::Founder, entry(&a, "ana", DeviceKind::Personal)),
    );
    log.say(
        &a,
        &a,
        add(AddRole::Partner, entry(&b, "ben", DeviceKind::Personal)),
    );
    (log, a, b)
}

#[test]
fn statements_round_trip_and_refuse_tampering() {
    let a = dev(1);
    let s = Statement {
        signer: a.id.clone(),
        at: Timestamp(42),
        deps: vec![[3; 32], [1; 32]],
        act: add(AddRole::Me, entry(&dev(2), "ana", DeviceKind::Personal)),
    };
    let signed = s.sign(&a.seed).unwrap();
    let back = SignedStatement::from_bytes(&signed.to_bytes()).unwrap();
    assert_eq!(back, signed);
    assert_eq!(
        back.statement.deps,
        vec![[1; 32], [3; 32]],
        "deps are sorted"
    );
    // Flip any byte: the signature fails or the body no longer parses.
    let bytes = signed.to_bytes();
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert!(SignedStatement::from_bytes(&bad).is_err(), "byte {i}");
    }
    // Signing as another device is refused.
    assert!(s.sign(&dev(9).seed).is_err());
    assert!(SignedStatement::from_bytes(&[]).is_err());
    assert!(SignedStatement::from_bytes(&vec![0; MAX_STATEMENT + 100]).is_err());
}

#[test]
fn only_the_pinned_founder_founds() {
    let (log, a, b) = couple();
    let m = log.eval(&a);
    assert!(m.is_member(&a.id) && m.is_member(&b.id));
    // Another device's founding statement counts for nothing.
    let mut log2 = log.clone();
    let x = dev(7);
    log2.say(
        &a,
        &x,
        add(AddRole::Founder, entry(&x, "xena", DeviceKind::Personal)),
    );
    assert!(!log2.eval(&a).is_member(&x.id));
    // Trusting another founder makes nothing of Ana's chain count.
    let m = log.eval(&x);
    assert!(!m.is_member(&a.id) && !m.is_member(&b.id));
    assert!(matches!(m.standing(&a.id), Standing::Unverified { .. }));
    // No founder pinned: nobody.
    let none = Membership::evaluate(
        None,
        log.stored.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
    );
    assert!(none.devices().is_empty());
}

#[test]
fn a_partner_cannot_add_devices_for_the_other_person() {
    let (mut log, a, b) = couple();
    // Ben adds a device in Ana's name (attack 2): refused while Ana has a device.
    let f = dev(5);
    log.say(
        &a,
        &b,
        add(AddRole::Partner, entry(&f, "ana", DeviceKind::Personal)),
    );
    assert!(!log.eval(&a).is_member(&f.id));
    // Nor as `me` with Ana as owner.
    log.say(
        &a,
        &b,
        add(AddRole::Me, entry(&f, "ana", DeviceKind::Personal)),
    );
    assert!(!log.eval(&a).is_member(&f.id));
    // A third person.
    log.say(
        &a,
        &b,
        add(AddRole::Partner, entry(&f, "cleo", DeviceKind::Personal)),
    );
    assert!(!log.eval(&a).is_member(&f.id));
    // Ben's own second device: fine, and it is Ben's own, not Ana's.
    let b2 = dev(6);
    log.say(
        &a,
        &b,
        add(AddRole::Me, entry(&b2, "ben", DeviceKind::Personal)),
    );
    let m = log.eval(&a);
    assert!(m.is_member(&b2.id));
    assert_eq!(
        m.own_devices(&b.id),
        BTreeSet::from([b.id.clone(), b2.id.clone()])
    );
    assert_eq!(m.own_devices(&a.id), BTreeSet::from([a.id.clone()]));
    assert_eq!(m.persons().len(), 2);
}

#[test]
fn a_display_adds_and_revokes_nothing_and_cannot_become_personal() {
    let (mut log, a, b) = couple();
    let d = dev(3);
    log.say(
        &a,
        &b,
        add(AddRole::Display, entry(&d, "home", DeviceKind::Display)),
    );
    assert!(log.eval(&a).is_member(&d.id));
    let x = dev(4);
    log.say(
        &a,
        &d,
        add(AddRole::Display, entry(&x, "home", DeviceKind::Display)),
    );
    log.say(&a, &d, revoke(&b));
    // Rewriting its own record as Ana's personal device.
    log.say(
        &a,
        &b,
        add(AddRole::Me, entry(&d, "ben", DeviceKind::Personal)),
    );
    let m = log.eval(&a);
    assert!(!m.is_member(&x.id));
    assert!(m.is_member(&b.id));
    assert_eq!(m.current(&d.id).unwrap().entry.kind, DeviceKind::Display);
    assert!(m.own_devices(&d.id).is_empty());
}

#[test]
fn a_revoked_device_that_saw_its_revocation_counts_for_nothing() {
    let (mut log, a, b) = couple();
    let x = dev(8);
    log.say(
        &a,
        &b,
        add(AddRole::Me, entry(&x, "ben", DeviceKind::Personal)),
    );
    log.say(&a, &a, revoke(&x));
    // X, having synced the revocation, revokes Ana (attack 3).
    log.say(&a, &x, revoke(&a));
    let m = log.eval(&a);
    assert!(m.is_member(&a.id));
    assert!(!m.is_member(&x.id));
    // And cannot add anyone.
    let y = dev(9);
    log.say(
        &a,
        &x,
        add(AddRole::Me, entry(&y, "ben", DeviceKind::Personal)),
    );
    assert!(!log.eval(&a).is_member(&y.id));
}

#[test]
fn concurrent_mutual_revocations_are_won_by_the_senior_device() {
    let (mut log, a, b) = couple();
    let x = dev(8);
    log.say(
        &a,
        &b,
        add(AddRole::Me, entry(&x, "ben", DeviceKind::Personal)),
    );
    let base = log.eval(&a).frontier();
    // Neither has seen the other's revocation.
    log.put(&a, base.clone(), revoke(&x));
    log.put(&x, base, revoke(&a));
    let m = log.eval(&a);
    assert!(m.is_member(&a.id), "the founder is not kept out");
    assert!(!m.is_member(&x.id));
    // The same between Ben's phone and the device it added.
    let (mut log, a, b) = couple();
    log.say(
        &a,
        &b,
        add(AddRole::Me, entry(&x, "ben", DeviceKind::Personal)),
    );
    let base = log.eval(&a).frontier();
    log.put(&b, base.clone(), revoke(&x));
    log.put(&x, base, revoke(&b));
    let m = log.eval(&a);
    assert!(m.is_member(&b.id) && !m.is_member(&x.id));
}

#[test]
fn a_revocation_made_before_its_signer_was_revoked_stands() {
    let (mut log, a, b) = couple();
    let d = dev(3);
    log.say(
        &a,
        &b,
        add(AddRole::Display, entry(&d, "home", DeviceKind::Display)),
    );
    log.say(&a, &b, revoke(&d));
    log.say(&a, &a, revoke(&b));
    let m = log.eval(&a);
    assert!(!m.is_member(&d.id) && !m.is_member(&b.id));
}

#[test]
fn revoked_devices_come_back_only_by_a_statement_that_saw_the_revocation() {
    let (mut log, a, b) = couple();
    let d = dev(3);
    log.say(
        &a,
        &a,
        add(AddRole::Display, entry(&d, "home", DeviceKind::Display)),
    );
    let before = log.eval(&a).frontier();
    log.say(&a, &b, revoke(&d));
    // A concurrent re-add (had not seen the revocation) does not undo it.
    log.put(
        &a,
        before,
        add(AddRole::Display, entry(&d, "home", DeviceKind::Display)),
    );
    assert!(!log.eval(&a).is_member(&d.id));
    log.say(
        &a,
        &a,
        add(AddRole::Display, entry(&d, "home", DeviceKind::Display)),
    );
    assert!(log.eval(&a).is_member(&d.id));
    // The partner re-adds Ben's device only once Ben has none left.
    log.say(&a, &a, revoke(&b));
    log.say(
        &a,
        &a,
        add(AddRole::Partner, entry(&b, "ben", DeviceKind::Personal)),
    );
    assert!(log.eval(&a).is_member(&b.id));
}

#[test]
fn missing_dependencies_and_wrong_keys_wait_or_fail() {
    let (mut log, a, _) = couple();
    let x = dev(8);
    log.put(
        &a,
        vec![[0xaa; 32]],
        add(AddRole::Me, entry(&x, "ana", DeviceKind::Personal)),
    );
    let m = log.eval(&a);
    assert!(!m.is_member(&x.id));
    assert!(matches!(m.standing(&x.id), Standing::Unverified { .. }));
    // A statement stored under another key.
    let (mut log, a, b) = couple();
    let y = dev(9);
    let s = Statement {
        signer: b.id.clone(),
        at: Timestamp(1),
        deps: log.eval(&a).frontier(),
        act: add(AddRole::Me, entry(&y, "ben", DeviceKind::Personal)),
    }
    .sign(&b.seed)
    .unwrap();
    log.stored
        .insert(format!("{KEY_PREFIX}{}", "00".repeat(32)), s.to_bytes());
    log.stored
        .insert(format!("{KEY_PREFIX}junk"), vec![1, 2, 3]);
    let m = log.eval(&a);
    assert!(!m.is_member(&y.id));
    assert_eq!(
        m.checked().iter().filter(|c| c.problem.is_some()).count(),
        2
    );
}

/// One step of a random membership history.
#[derive(Clone, Debug)]
enum Step {
    /// An honest device (by index among the members it knows) adds a device in a role.
    Add {
        by: u8,
        new: u8,
        role: u8,
        owner: u8,
    },
    /// A device revokes another.
    Revoke { by: u8, target: u8 },
    /// A statement signed with stale deps (concurrent with what happened since).
    Stale { by: u8, target: u8, back: u8 },
    /// A forged statement: signed by a device that is not its claimed signer.
    Forge { claimed: u8, by: u8, new: u8 },
    /// A statement replayed under another key.
    Replay { index: u8 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..8u8, 0..12u8, 0..3u8, 0..3u8).prop_map(|(by, new, role, owner)| Step::Add {
            by,
            new,
            role,
            owner
        }),
        (0..12u8, 0..12u8).prop_map(|(by, target)| Step::Revoke { by, target }),
        (0..12u8, 0..12u8, 1..4u8).prop_map(|(by, target, back)| Step::Stale { by, target, back }),
        (0..12u8, 0..12u8, 0..12u8).prop_map(|(claimed, by, new)| Step::Forge { claimed, by, new }),
        (0..32u8).prop_map(|index| Step::Replay { index }),
    ]
}

fn cases() -> u32 {
    std::env::var("HEARTH_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Whatever honest and malicious devices sign, in whatever order the statements arrive:
    /// no device outside a person's own chain of `me` additions ever counts as theirs, no
    /// unsigned or forged device is admitted, at most two people, and every device that holds
    /// the same statements reaches the same verdict (evaluated with the stored entries given in
    /// two different orders).
    #[test]
    fn membership_cannot_be_forged(steps in proptest::collection::vec(step(), 1..24)) {
        let (mut log, a, b) = couple();
        let devs: Vec<Dev> = (1..=12u8).map(dev).collect();
        let owners = ["ana", "ben", "home"];
        let mut history: Vec<Vec<StatementId>> = vec![log.eval(&a).frontier()];
        let mut forged = BTreeSet::new();
        for s in steps {
            let m = log.eval(&a);
            match s {
                Step::Add { by, new, role, owner } => {
                    let by = &devs[usize::from(by) % devs.len()];
                    let new = &devs[usize::from(new) % devs.len()];
                    let owner = owners[usize::from(owner)];
                    let kind = if owner == "home" { DeviceKind::Display } else { DeviceKind::Personal };
                    let role = [AddRole::Me, AddRole::Partner, AddRole::Display][usize::from(role)];
                    log.say(&a, by, add(role, entry(new, owner, kind)));
                }
                Step::Revoke { by, target } => {
                    let by = &devs[usize::from(by) % devs.len()];
                    let t = &devs[usize::from(target) % devs.len()];
                    log.say(&a, by, revoke(t));
                }
                Step::Stale { by, target, back } => {
                    let by = &devs[usize::from(by) % devs.len()];
                    let t = &devs[usize::from(target) % devs.len()];
                    let i = history.len().saturating_sub(usize::from(back));
                    let deps = history[i.min(history.len() - 1)].clone();
                    log.put(by, deps, revoke(t));
                }
                Step::Forge { claimed, by, new } => {
                    let claimed = &devs[usize::from(claimed) % devs.len()];
                    let by = &devs[usize::from(by) % devs.len()];
                    let new = &devs[(usize::from(new) + 3) % devs.len()];
                    if claimed.id != by.id {
                        // Sign the body with the wrong key.
                        let st = Statement {
                            signer: claimed.id.clone(),
                            at: Timestamp(2),
                            deps: m.frontier(),
                            act: add(AddRole::Me, entry(new, "ana", DeviceKind::Personal)),
                        };
                        let body = st.encode().unwrap();
                        let sig = SigningKey::from_bytes(&by.seed).sign(&body).to_bytes();
                        let mut bytes = body.clone();
                        bytes.extend_from_slice(&sig);
                        let key = format!("{KEY_PREFIX}{}", hex_encode(blake3::hash(&body).as_bytes()));
                        if let std::collections::btree_map::Entry::Vacant(e) =
                            log.stored.entry(key.clone())
                        {
                            forged.insert(key);
                            e.insert(bytes);
                        }
                    }
                }
                Step::Replay { index } => {
                    let keys: Vec<String> = log.stored.keys().cloned().collect();
                    let k = &keys[usize::from(index) % keys.len()];
                    let v = log.stored[k].clone();
                    log.stored.insert(format!("{KEY_PREFIX}{:064x}", usize::from(index)), v);
                }
            }
            history.push(log.eval(&a).frontier());
        }
        let m = log.eval(&a);
        // Forged statements never count.
        for c in m.checked() {
            if forged.contains(&c.key) {
                prop_assert!(c.problem.is_some());
            }
        }
        // At most two people; the founder's person and the partner's are the only ones.
        prop_assert!(m.persons().len() <= 2);
        for p in m.persons() {
            prop_assert!(p.as_str() == "ana" || p.as_str() == "ben");
        }
        // Every member device was added by a statement that counts (recomputed by hand).
        for (id, d) in m.devices() {
            prop_assert!(d.role == AddRole::Founder || m.devices().contains_key(&d.added_by), "{id}");
        }
        // Own devices: same person, current, and linked by `me` additions only.
        for me in [&a.id, &b.id] {
            let own = m.own_devices(me);
            let owner = m.devices().get(me.as_str()).map(|d| d.entry.owner.clone());
            for o in &own {
                let d = m.current(o).unwrap();
                prop_assert_eq!(Some(&d.entry.owner), owner.as_ref());
                prop_assert_eq!(&d.entry.kind, &DeviceKind::Personal);
                prop_assert!(o == me || d.role == AddRole::Me || m.me_links.iter().any(|(s, _)| s == o));
            }
        }
        // Same statements, other order: same verdict.
        let mut reversed: Vec<(&str, &[u8])> = log.stored.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        reversed.reverse();
        let again = Membership::evaluate(Some(&a.id), reversed);
        prop_assert_eq!(again.devices(), m.devices());
        prop_assert_eq!(again.frontier(), m.frontier());
    }
}
