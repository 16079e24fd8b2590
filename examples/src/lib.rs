//! Runnable examples and the benchmark harness for Hearth. See the `examples/` folder; each
//! example says how to run it. The benchmark scenarios live in [`bench`] so tests can run them
//! at a tiny size.

pub mod bench;
