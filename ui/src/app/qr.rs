//! The pairing ticket as a QR code: plain RGBA pixels, one per module with a quiet zone, made
//! off the UI thread and shown scaled up with crisp edges.

use anyhow::Context;
use qrcode::{Color, EcLevel, QrCode};

/// An image as plain pixels.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Pixels {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// RGBA, row by row.
    pub(crate) rgba: Vec<u8>,
}

const QUIET: usize = 4;

/// Encodes `text` (medium error correction: a phone held at arm's length reads it).
pub(crate) fn encode(text: &str) -> anyhow::Result<Pixels> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .context("the invitation is too long for a QR code")?;
    let modules = code.width();
    let side = modules + 2 * QUIET;
    let colors = code.to_colors();
    let mut rgba = vec![255u8; side * side * 4];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % modules + QUIET, i / modules + QUIET);
            let at = (y * side + x) * 4;
            if let Some(px) = rgba.get_mut(at..at + 3) {
                px.copy_from_slice(&[0x2f, 0x2a, 0x24]);
            }
        }
    }
    let side = u32::try_from(side).context("QR code too large")?;
    Ok(Pixels {
        width: side,
        height: side,
        rgba,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_with_a_quiet_zone() {
        let p = encode("HEARTH2ABCDEF").unwrap();
        assert_eq!(p.width, p.height);
        assert_eq!(p.rgba.len(), (p.width * p.height * 4) as usize);
        // The quiet zone is light; the finder pattern's corner is dark.
        assert_eq!(&p.rgba[0..4], &[255, 255, 255, 255]);
        let corner = ((4 * p.width + 4) * 4) as usize;
        assert_eq!(&p.rgba[corner..corner + 3], &[0x2f, 0x2a, 0x24]);
    }
}
