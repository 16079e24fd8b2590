//! Hearth's benchmarks: each scenario prints its figure, a floor measured in the same run on the
//! same data, and the ratio against its goal; everything also goes to a JSON file.
//!
//! Run with `cargo run --release -p hearth-examples --example bench -- --help`; the scenarios
//! are described in the README's "Benchmarks" section and in `hearth_examples::bench`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use hearth_examples::bench::{self, Options, Scenario};

/// Hearth's benchmark harness (loopback only, relays off; no figure is ever asserted).
#[derive(Debug, Parser)]
struct Args {
    /// Items in the generated journal (the live scenario also runs at 1 000).
    #[arg(long)]
    items: Option<usize>,
    /// A scenario to run: open, write, pull, live, bytes, sizes, lifecycle. Repeat for several; all by
    /// default.
    #[arg(long = "scenario", value_name = "NAME")]
    scenarios: Vec<Scenario>,
    /// Where to write the JSON results [default: bench.json in the target directory].
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Small sizes and few repetitions, to check the harness itself.
    #[arg(long)]
    quick: bool,
    /// The generator's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Live notes per size (live), and notes counted (bytes).
    #[arg(long, value_name = "N")]
    notes: Option<usize>,
    /// Durable writes measured (write).
    #[arg(long, value_name = "N")]
    writes: Option<usize>,
    /// Repetitions of each open and pull (open, pull, sizes).
    #[arg(long, value_name = "N")]
    reps: Option<usize>,
    /// Where to put the temporary profiles [default: the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    tmp: Option<PathBuf>,
    /// Also print the results as a Markdown table.
    #[arg(long)]
    markdown: bool,
}

/// The target directory this example was built into (`target/<profile>/examples/bench`).
fn default_json() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_owned()))
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("bench.json")
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut opts = if args.quick {
        Options::quick()
    } else {
        Options::full()
    };
    if let Some(items) = args.items {
        opts = opts.with_items(items);
    }
    if let Some(seed) = args.seed {
        opts.seed = seed;
    }
    if let Some(n) = args.notes {
        opts.live_notes = n;
        opts.byte_notes = n;
    }
    if let Some(n) = args.writes {
        opts.writes = n;
    }
    if let Some(n) = args.reps {
        opts.open_reps = n;
        opts.pull_reps = n;
        opts.size_reps = n;
    }
    opts.scenarios = args.scenarios;
    opts.tmp = args.tmp;
    let report = bench::run(&opts)?;
    let path = args.json.unwrap_or_else(default_json);
    report
        .write_json(&path)
        .with_context(|| format!("saving the results to {}", path.display()))?;
    if args.markdown {
        println!("\n{}", report.markdown());
    }
    println!("\nResults written to {}", path.display());
    let failures = report.failures();
    if !failures.is_empty() {
        let names: Vec<&str> = failures.iter().map(|(name, _)| *name).collect();
        anyhow::bail!("some scenarios failed: {}", names.join(", "));
    }
    Ok(())
}
