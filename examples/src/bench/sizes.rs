//! `sizes`: open and pull at several journal sizes (each against its floor), and how each grows
//! per 4x items between neighbouring sizes (4 is linear).

use anyhow::Result;

use super::fixture::Fixtures;
use super::{Goal, Options, Row, ScenarioReport, open, pull, stats};

/// The largest growth per 4x items that still counts as near linear.
const NEAR_LINEAR: f64 = 5.0;

pub(crate) async fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let mut sc = ScenarioReport::default();
    let mut sizes = opts.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let mut measured = Vec::new();
    for &items in &sizes {
        let t = fx.template(items)?;
        let o = open::measure(fx, &t, opts.size_reps)?;
        let p = pull::measure(fx, &t, opts.size_reps).await?;
        sc.row(Row::new(
            format!("open {items} items"),
            "ms",
            o.load_ms,
            o.floor_ms,
            Goal::Times(1.2),
        ));
        sc.row(Row::new(
            format!("pull {items} items"),
            "ms",
            p.pull_ms,
            p.floor_ms,
            Goal::Times(1.25),
        ));
        sc.extra(format!("store_file_bytes_{items}"), o.store_bytes as f64);
        sc.extra(format!("generate_ms_{items}"), t.generate_ms);
        measured.push((items, o, p));
    }
    for pair in measured.windows(2) {
        let [(n1, o1, p1), (n2, o2, p2)] = pair else {
            continue;
        };
        let (n1, n2) = (*n1, *n2);
        sc.row(Row::new(
            format!("open growth {n1}->{n2}"),
            "x",
            stats::growth_per_4x(n1, o1.load_ms, n2, o2.load_ms),
            4.0,
            Goal::Growth(NEAR_LINEAR),
        ));
        sc.row(Row::new(
            format!("pull growth {n1}->{n2}"),
            "x",
            stats::growth_per_4x(n1, p1.pull_ms, n2, p2.pull_ms),
            4.0,
            Goal::Growth(NEAR_LINEAR),
        ));
        sc.extra(
            format!("floor_open_growth_{n1}_{n2}"),
            stats::growth_per_4x(n1, o1.floor_ms, n2, o2.floor_ms),
        );
        sc.extra(
            format!("floor_pull_growth_{n1}_{n2}"),
            stats::growth_per_4x(n1, p1.floor_ms, n2, p2.floor_ms),
        );
    }
    sc.extra("runs_per_size", opts.size_reps.max(1) as f64);
    Ok(sc)
}
