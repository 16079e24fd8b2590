//! The benchmark harness: each scenario measures one thing Hearth does (open the sealed
//! journal, write a note durably, pull a journal over iroh, push a live note, the bytes that
//! note costs on the wire, and how all of that grows with the journal) next to a floor measured
//! in the same run on the same data, and prints the ratio against the goal.
//!
//! Nothing here asserts on time: a scenario reports its figures, it never fails because they
//! are slow. It fails only when the work itself goes wrong (a pull that does not converge, a
//! note that never arrives).
//!
//! Run it with `cargo run --release -p hearth-examples --example bench -- --help`.

mod fixture;
mod floor;
mod lifecycle;
mod live;
mod mailbox;
mod open;
mod pull;
mod quic;
mod sizes;
mod stats;
mod views;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use fixture::Fixtures;

/// One benchmark scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// Open the journal from the sealed store vs `AutoCommit::load` of the same bytes.
    Open,
    /// A durable note write vs a bare redb commit of the same size.
    Write,
    /// A fresh device pulls the whole journal over iroh vs in-memory Automerge sync.
    Pull,
    /// One live note from A until it is in B's store vs in-memory sync of that note.
    Live,
    /// Sync payload bytes per live note vs the in-memory sync messages.
    Bytes,
    /// Open and pull times at several journal sizes, and their growth.
    Sizes,
    /// The engine's lifecycle: a resume's burst, a cold start, idle while suspended.
    Lifecycle,
    /// The screens' views: a change until the open screen is rebuilt, a tick, the CLI's wall.
    Views,
    /// A note through a mailbox vs the direct live path; its bytes; many couples on one mailbox.
    Mailbox,
}

impl Scenario {
    /// Every scenario, in the order they run.
    pub const ALL: [Scenario; 9] = [
        Scenario::Open,
        Scenario::Write,
        Scenario::Pull,
        Scenario::Live,
        Scenario::Bytes,
        Scenario::Sizes,
        Scenario::Lifecycle,
        Scenario::Views,
        Scenario::Mailbox,
    ];

    /// The scenario's name on the command line and in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Open => "open",
            Scenario::Write => "write",
            Scenario::Pull => "pull",
            Scenario::Live => "live",
            Scenario::Bytes => "bytes",
            Scenario::Sizes => "sizes",
            Scenario::Lifecycle => "lifecycle",
            Scenario::Views => "views",
            Scenario::Mailbox => "mailbox",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .with_context(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                format!("unknown scenario {s:?}; choose from {}", names.join(", "))
            })
    }
}

/// What to run and at which sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Items in the main journal (open, write, pull, bytes).
    pub items: usize,
    /// Scenarios to run; empty runs them all.
    pub scenarios: Vec<Scenario>,
    /// The generator's seed.
    pub seed: u64,
    /// Repetitions of an open (median reported).
    pub open_reps: usize,
    /// Repetitions of a pull (median reported).
    pub pull_reps: usize,
    /// Durable writes measured (p50 and p99 reported).
    pub writes: usize,
    /// Live notes per journal size (p50 and p99 reported).
    pub live_notes: usize,
    /// Journal sizes for the live scenario.
    pub live_sizes: Vec<usize>,
    /// Live notes whose bytes are counted.
    pub byte_notes: usize,
    /// Journal sizes for the sizes scenario.
    pub sizes: Vec<usize>,
    /// Repetitions per size in the sizes scenario.
    pub size_reps: usize,
    /// Notes waiting on the partner when a suspended device resumes.
    pub resume_notes: usize,
    /// Resumes measured (median reported).
    pub resume_reps: usize,
    /// Seconds a suspended engine is watched for wake-ups.
    pub idle_secs: u64,
    /// Where the temporary profiles go (the system's temporary directory if unset).
    pub tmp: Option<PathBuf>,
    /// Whether this is a quick run (recorded in the output).
    pub quick: bool,
}

impl Options {
    /// The full run: a 20 000-item journal; sizes up to 80 000 items.
    pub fn full() -> Self {
        Options {
            items: 20_000,
            scenarios: Vec::new(),
            seed: 7,
            open_reps: 9,
            pull_reps: 5,
            writes: 200,
            live_notes: 500,
            live_sizes: vec![1_000, 20_000],
            byte_notes: 200,
            sizes: vec![1_000, 5_000, 20_000, 80_000],
            size_reps: 3,
            resume_notes: 10,
            resume_reps: 9,
            idle_secs: 60,
            tmp: None,
            quick: false,
        }
    }

    /// A quick run to check the harness itself: 2 000 items, few repetitions.
    pub fn quick() -> Self {
        Options {
            items: 2_000,
            open_reps: 3,
            pull_reps: 2,
            writes: 50,
            live_notes: 50,
            live_sizes: vec![500, 2_000],
            byte_notes: 30,
            sizes: vec![500, 2_000],
            size_reps: 2,
            resume_reps: 3,
            idle_secs: 5,
            quick: true,
            ..Options::full()
        }
    }

    /// The smallest run that still exercises every scenario (for tests in debug builds).
    pub fn tiny() -> Self {
        Options {
            items: 120,
            open_reps: 2,
            pull_reps: 1,
            writes: 6,
            live_notes: 4,
            live_sizes: vec![60, 120],
            byte_notes: 4,
            sizes: vec![60, 120],
            size_reps: 1,
            resume_notes: 3,
            resume_reps: 1,
            idle_secs: 1,
            quick: true,
            ..Options::full()
        }
    }

    /// Sets the main journal size, and the live sizes to match (1 000 and `items`).
    pub fn with_items(mut self, items: usize) -> Self {
        self.items = items.max(1);
        let small = self
            .live_sizes
            .first()
            .copied()
            .unwrap_or(1_000)
            .min(self.items);
        self.live_sizes = if small == self.items {
            vec![self.items]
        } else {
            vec![small, self.items]
        };
        self
    }

    fn selected(&self) -> Vec<Scenario> {
        if self.scenarios.is_empty() {
            return Scenario::ALL.to_vec();
        }
        let mut s = self.scenarios.clone();
        s.sort();
        s.dedup();
        s
    }
}

/// How a figure is judged against its floor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Goal {
    /// At most this many times the floor.
    Times(f64),
    /// At most this many times the floor plus this many milliseconds.
    TimesPlusMs(f64, f64),
    /// At most the floor plus this many bytes.
    PlusBytes(f64),
    /// A growth factor per 4x items of at most this (linear is 4).
    Growth(f64),
    /// At most this value, whatever the floor (a count that should be zero).
    AtMost(f64),
}

impl Goal {
    fn budget(self, floor: f64) -> f64 {
        match self {
            Goal::Times(k) => k * floor,
            Goal::TimesPlusMs(k, ms) => k * floor + ms,
            Goal::PlusBytes(b) => floor + b,
            Goal::Growth(g) | Goal::AtMost(g) => g,
        }
    }

    fn text(self) -> String {
        match self {
            Goal::Times(k) => format!("<= {k}x floor"),
            Goal::TimesPlusMs(k, ms) => format!("<= {k}x floor + {ms} ms"),
            Goal::PlusBytes(b) => format!("<= floor + {b} B"),
            Goal::Growth(g) => format!("<= {g} per 4x items"),
            Goal::AtMost(v) => format!("<= {v}"),
        }
    }
}

/// One measured figure next to its floor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// What was measured.
    pub case: String,
    /// The unit of `figure`, `floor` and `budget`: `ms`, `B` or `x`.
    pub unit: &'static str,
    /// Hearth's figure.
    pub figure: f64,
    /// The floor: the same work done by the bare building blocks, same run, same data.
    pub floor: f64,
    /// `figure / floor`.
    pub ratio: f64,
    /// The goal, in words.
    pub goal: String,
    /// The goal as a value in `unit`: the figure meets the goal when it is at most this.
    pub budget: f64,
    /// `figure / budget`: at most 1 meets the goal.
    pub of_budget: f64,
    /// Whether the figure meets the goal.
    pub met: bool,
}

impl Row {
    pub(crate) fn new(
        case: impl Into<String>,
        unit: &'static str,
        figure: f64,
        floor: f64,
        goal: Goal,
    ) -> Row {
        let budget = goal.budget(floor);
        Row {
            case: case.into(),
            unit,
            figure,
            floor,
            ratio: stats::ratio(figure, floor),
            goal: goal.text(),
            budget,
            of_budget: stats::ratio(figure, budget),
            met: figure <= budget,
        }
    }
}

/// What one scenario measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// Figures against their floors and goals.
    pub rows: Vec<Row>,
    /// Further numbers (sizes, counts, breakdowns), by name.
    pub extra: BTreeMap<String, f64>,
    /// How long the scenario took to run, setup included, in seconds.
    pub wall_seconds: f64,
    /// Why the scenario stopped, if it did (its rows are then missing or partial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ScenarioReport {
    pub(crate) fn row(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub(crate) fn extra(&mut self, name: impl Into<String>, value: f64) {
        self.extra.insert(name.into(), value);
    }
}

/// Everything a run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Items in the main journal.
    pub items: usize,
    /// Whether this was a quick run.
    pub quick: bool,
    /// `release` or `debug`: figures from a debug build mean little.
    pub build: &'static str,
    /// Logical CPUs available.
    pub cpus: usize,
    /// The generator's seed.
    pub seed: u64,
    /// The 1-minute load average before and after the run (Linux), to spot a busy machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_average: Option<[f64; 2]>,
    /// Per scenario, by name.
    pub scenarios: BTreeMap<String, ScenarioReport>,
}

impl Report {
    /// Writes the report as pretty JSON, creating the parent directory if needed.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let json = serde_json::to_vec_pretty(self).context("encoding the report")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }

    /// Every row, as a Markdown table (scenario, case, figure, floor, ratio, goal, verdict).
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| scenario | case | figure | floor | ratio | goal | within goal |\n\
             |---|---|---:|---:|---:|---|---|\n",
        );
        let ordered = Scenario::ALL
            .iter()
            .filter_map(|s| Some((s.name(), self.scenarios.get(s.name())?)));
        for (name, sc) in ordered {
            for r in &sc.rows {
                out.push_str(&format!(
                    "| {name} | {} | {} | {} | {:.2}x | {} | {} |\n",
                    r.case,
                    stats::show(r.figure, r.unit),
                    stats::show(r.floor, r.unit),
                    r.ratio,
                    r.goal,
                    if r.met {
                        "yes".to_owned()
                    } else {
                        format!("no ({:.2}x the budget)", r.of_budget)
                    }
                ));
            }
        }
        out
    }
}

fn print_header() {
    println!(
        "{:<7} {:<34} {:>11} {:>11} {:>8}  {:<26} verdict",
        "bench", "case", "figure", "floor", "ratio", "goal"
    );
}

fn print_rows(name: &str, sc: &ScenarioReport) {
    for r in &sc.rows {
        let verdict = if r.met {
            "ok".to_owned()
        } else {
            format!("MISS ({:.2}x budget)", r.of_budget)
        };
        println!(
            "{:<7} {:<34} {:>11} {:>11} {:>7.2}x  {:<26} {verdict}",
            name,
            r.case,
            stats::show(r.figure, r.unit),
            stats::show(r.floor, r.unit),
            r.ratio,
            r.goal,
        );
    }
    for (k, v) in &sc.extra {
        println!("{:<7}   {k} = {}", "", stats::show_plain(*v));
    }
}

/// Runs the selected scenarios, printing each one's rows as it finishes. A scenario that goes
/// wrong (a pull that does not converge, a note that never arrives) is recorded with its error
/// in [`ScenarioReport::error`] and the others still run; see [`Report::failures`].
pub fn run(opts: &Options) -> Result<Report> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut fx = Fixtures::new(opts.tmp.as_deref(), opts.seed)?;
    let mut report = Report {
        items: opts.items,
        quick: opts.quick,
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seed: opts.seed,
        load_average: None,
        scenarios: BTreeMap::new(),
    };
    let load_before = load_average();
    println!(
        "Hearth benchmarks: {} items, seed {}, {} build, {} CPUs{}",
        opts.items,
        opts.seed,
        report.build,
        report.cpus,
        if opts.quick { " (quick)" } else { "" }
    );
    print_header();
    for scenario in opts.selected() {
        let started = Instant::now();
        let outcome = match scenario {
            Scenario::Open => open::run(&mut fx, opts),
            Scenario::Write => write::run(&mut fx, opts),
            Scenario::Pull => rt.block_on(pull::run(&mut fx, opts)),
            Scenario::Live => rt.block_on(live::run_live(&mut fx, opts)),
            Scenario::Bytes => rt.block_on(live::run_bytes(&mut fx, opts)),
            Scenario::Sizes => rt.block_on(sizes::run(&mut fx, opts)),
            Scenario::Lifecycle => lifecycle::run(&rt, &mut fx, opts),
            Scenario::Views => views::run(&mut fx, opts),
            Scenario::Mailbox => rt.block_on(mailbox::run(&mut fx, opts)),
        };
        // A broken scenario is reported and the others still run.
        let mut sc = outcome.unwrap_or_else(|e| ScenarioReport {
            error: Some(format!("{e:#}")),
            ..Default::default()
        });
        sc.wall_seconds = started.elapsed().as_secs_f64();
        print_rows(scenario.name(), &sc);
        if let Some(e) = &sc.error {
            println!("{:<7} FAILED: {e}", scenario.name());
        }
        report.scenarios.insert(scenario.name().to_owned(), sc);
    }
    report.load_average = load_before.zip(load_average()).map(|(a, b)| [a, b]);
    if let Some([before, after]) = report.load_average {
        println!("load average (1 min): {before:.2} before, {after:.2} after");
    }
    Ok(report)
}

impl Report {
    /// The scenarios that stopped with an error, with the error.
    pub fn failures(&self) -> Vec<(&str, &str)> {
        self.scenarios
            .iter()
            .filter_map(|(name, sc)| Some((name.as_str(), sc.error.as_deref()?)))
            .collect()
    }
}

/// The 1-minute load average, where the system reports one.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
