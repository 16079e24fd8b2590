//! Runnable examples and the benchmark harness for Hearth. See the `examples/` folder; each
//! example says how to run it.
