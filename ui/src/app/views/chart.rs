//! The small trend chart: weekly averages drawn as path commands in a 400 x 100 box (5 at the
//! top, 1 at the bottom), one line per person. A week without check-ins leaves a gap.

use std::fmt::Write;

/// The box's width; its height is 100.
pub(crate) const WIDTH: f32 = 400.0;

/// Path commands for `points` (one per week, oldest first; `None` is a gap). A lone point is
/// drawn as a short dash so it stays visible.
pub(crate) fn line(points: &[Option<f32>]) -> String {
    let n = points.len();
    if n == 0 {
        return String::new();
    }
    let x = |i: usize| {
        if n == 1 {
            WIDTH / 2.0
        } else {
            i as f32 * WIDTH / (n - 1) as f32
        }
    };
    let y = |v: f32| 100.0 - (v.clamp(1.0, 5.0) - 1.0) * 25.0;
    let mut out = String::new();
    let mut run: Vec<(f32, f32)> = Vec::new();
    let flush = |run: &mut Vec<(f32, f32)>, out: &mut String| {
        match run.as_slice() {
            [] => {}
            [(px, py)] => {
                let _ = write!(
                    out,
                    "M {:.1} {:.1} L {:.1} {:.1} ",
                    (px - 4.0).max(0.0),
                    py,
                    (px + 4.0).min(WIDTH),
                    py
                );
            }
            [(px, py), rest @ ..] => {
                let _ = write!(out, "M {px:.1} {py:.1} ");
                for (qx, qy) in rest {
                    let _ = write!(out, "L {qx:.1} {qy:.1} ");
                }
            }
        }
        run.clear();
    };
    for (i, p) in points.iter().enumerate() {
        match p {
            Some(v) => run.push((x(i), y(*v))),
            None => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_gaps_and_lone_points() {
        assert_eq!(line(&[]), "");
        assert_eq!(
            line(&[Some(1.0), Some(5.0), Some(3.0)]),
            "M 0.0 100.0 L 200.0 0.0 L 400.0 50.0"
        );
        assert_eq!(
            line(&[Some(3.0), None, Some(4.0), Some(4.0)]),
            "M 0.0 50.0 L 4.0 50.0 M 266.7 25.0 L 400.0 25.0"
        );
        assert_eq!(line(&[None, None]), "");
    }
}
