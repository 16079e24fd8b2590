//! The small trend chart: weekly averages drawn as path commands in a 400 x 100 box (5 at the
//! top, 1 at the bottom), one line per person. A week without check-ins leaves a gap; a week
//! standing alone between gaps is a dot.

use std::fmt::Write;

/// The box's width; its height is 100.
pub const WIDTH: f32 = 400.0;

/// One person's line: path commands for the runs of weeks next to each other, and a dot for
/// each week that stands alone.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Line {
    pub commands: String,
    /// Lone weeks, as fractions of the box: 0..1 from the left and 0..1 from the top.
    pub dots: Vec<(f32, f32)>,
}

/// The line for `points` (one per week, oldest first; `None` is a gap).
pub fn line(points: &[Option<f32>]) -> Line {
    let n = points.len();
    let mut out = Line::default();
    if n == 0 {
        return out;
    }
    let x = |i: usize| {
        if n == 1 {
            WIDTH / 2.0
        } else {
            i as f32 * WIDTH / (n - 1) as f32
        }
    };
    let y = |v: f32| 100.0 - (v.clamp(1.0, 5.0) - 1.0) * 25.0;
    let mut run: Vec<(f32, f32)> = Vec::new();
    let flush = |run: &mut Vec<(f32, f32)>, out: &mut Line| {
        match run.as_slice() {
            [] => {}
            [(px, py)] => out.dots.push((px / WIDTH, py / 100.0)),
            [(px, py), rest @ ..] => {
                let _ = write!(out.commands, "M {px:.1} {py:.1} ");
                for (qx, qy) in rest {
                    let _ = write!(out.commands, "L {qx:.1} {qy:.1} ");
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
    out.commands = out.commands.trim_end().to_owned();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_gaps_and_lone_points() {
        assert_eq!(line(&[]), Line::default());
        assert_eq!(
            line(&[Some(1.0), Some(5.0), Some(3.0)]).commands,
            "M 0.0 100.0 L 200.0 0.0 L 400.0 50.0"
        );
        let l = line(&[Some(3.0), None, Some(4.0), Some(4.0)]);
        assert_eq!(l.commands, "M 266.7 25.0 L 400.0 25.0");
        assert_eq!(l.dots, [(0.0, 0.5)]);
        // One check-in in all: one dot in the middle, at its height.
        let l = line(&[Some(5.0)]);
        assert_eq!(
            (l.commands.as_str(), l.dots.as_slice()),
            ("", &[(0.5, 0.0)][..])
        );
        assert_eq!(line(&[None, None]), Line::default());
    }
}
