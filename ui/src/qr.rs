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

#[cfg(test)]
mod tests {
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
