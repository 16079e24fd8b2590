//! # hearth-sync
//!
//! Peer-to-peer sync of Hearth journals over iroh: pairing, admission, live sessions and LAN
//! discovery. See the crate's modules for each part.
