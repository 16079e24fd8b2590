//! A pairing ticket as a QR code drawn with Unicode half blocks, for a terminal.

use anyhow::{Context, Result};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// The QR code for `data` as text: two modules per character cell, light on dark so it reads
/// on the usual dark terminal (phone cameras read it either way).
pub(crate) fn render(data: &[u8]) -> Result<String> {
    let code = QrCode::new(data).context("the ticket is too long for a QR code")?;
    let mut text = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    text.push('\n');
    Ok(text)
}

/// Digits in large type for a terminal (five rows of blocks), for a pairing code read from
/// across a room: three digits, a wider gap, the rest.
pub(crate) fn big_digits(digits: &str) -> String {
    const FONT: [[&str; 5]; 10] = [
        ["###", "# #", "# #", "# #", "###"],
        [" # ", "## ", " # ", " # ", "###"],
        ["###", "  #", "###", "#  ", "###"],
        ["###", "  #", "###", "  #", "###"],
        ["# #", "# #", "###", "  #", "  #"],
        ["###", "#  ", "###", "  #", "###"],
        ["###", "#  ", "###", "# #", "###"],
        ["###", "  #", "  #", "  #", "  #"],
        ["###", "# #", "###", "# #", "###"],
        ["###", "# #", "###", "  #", "###"],
    ];
    let mut lines = vec![String::from("  "); 5];
    for (i, d) in digits.chars().filter_map(|c| c.to_digit(10)).enumerate() {
        for (line, cells) in lines.iter_mut().zip(FONT[d as usize]) {
            if i > 0 {
                line.push_str(if i == 3 { "      " } else { "  " });
            }
            for cell in cells.chars() {
                line.push_str(if cell == '#' { "██" } else { "  " });
            }
        }
    }
    lines
        .iter()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_in_large_type() {
        let text = super::big_digits("120 987");
        assert_eq!(text.lines().count(), 5);
        assert!(text.lines().all(|l| l.contains('█')));
        assert_eq!(super::big_digits("1").lines().next(), Some("    ██"));
    }

    #[test]
    fn draws_with_half_blocks() {
        let text = super::render(b"HEARTH2ABCDEFGHIJKLMNOP").unwrap_or_default();
        assert!(text.contains('▀') || text.contains('▄') || text.contains('█'));
        let widths: Vec<usize> = text.lines().map(|l| l.chars().count()).collect();
        assert!(
            widths.windows(2).all(|w| w[0] == w[1]),
            "a square of even rows"
        );
    }
}
