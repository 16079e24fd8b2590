//! Cross-crate scenarios for Hearth: several devices, real processes, faults. The scenarios are
//! the integration tests in `tests/`; the devices, pairing and waiting they use are the test
//! kit's (`hearth-test-kit`); this library holds the fuzz targets' replay table.
#![allow(clippy::unwrap_used)]

pub mod fuzzing;
