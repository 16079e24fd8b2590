//! Cross-crate scenarios for Hearth: several devices, real processes, faults. The scenarios are
//! the integration tests in `tests/`.
