//! PNG images: QR codes and doctors' stamps.

use base64::Engine;

fn encode_png(w: u32, h: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("png header");
        wr.write_image_data(data).expect("png data");
    }
    out
}

/// A QR code for `text` as a greyscale PNG (4 px per module, 4-module quiet zone).
pub fn qr_png(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("qr");
    let n = code.width();
    let colors = code.to_colors();
    let scale = 4usize;
    let quiet = 4usize;
    let size = (n + 2 * quiet) * scale;
    let mut px = vec![255u8; size * size];
    for y in 0..n {
        for x in 0..n {
            if colors[y * n + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = (y + quiet) * scale + dy;
                    let start = row * size + (x + quiet) * scale;
                    px[start..start + scale].fill(0);
                }
            }
        }
    }
    encode_png(size as u32, size as u32, png::ColorType::Grayscale, &px)
}

pub fn qr_base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(qr_png(text))
}

/// A round red seal (RGBA, transparent background); the pattern inside is
/// derived from `seed` so every doctor's stamp differs.
pub fn stamp_png(seed: &str) -> Vec<u8> {
    use sha2::Digest;
    let h = sha2::Sha256::digest(seed.as_bytes());
    let size = 96usize;
    let c = size as f32 / 2.0;
    let mut px = vec![0u8; size * size * 4];
    for y in 0..size {
        for x in 0..size {
            let dx = x as f32 + 0.5 - c;
            let dy = y as f32 + 0.5 - c;
            let r = (dx * dx + dy * dy).sqrt();
            let ring = (40.0..46.0).contains(&r);
            // a 6x6 grid of cells in the middle, on/off from the vendor document's hash
            let inner = if (18..78).contains(&x) && (18..78).contains(&y) && r < 36.0 {
                let cx = (x - 18) / 10;
                let cy = (y - 18) / 10;
                let bit = cy * 6 + cx;
                h[bit / 8] >> (bit % 8) & 1 == 1
            } else {
                false
            };
            if ring || inner {
                let i = (y * size + x) * 4;
                px[i..i + 4].copy_from_slice(&[0xd4, 0x1c, 0x1c, 0xff]);
            }
        }
    }
    encode_png(size as u32, size as u32, png::ColorType::Rgba, &px)
}
