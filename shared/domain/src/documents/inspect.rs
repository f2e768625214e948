//! The checks on an uploaded file's bytes: its size and its real type by signature
//! (`sniff`), then, when the type is the declared one, the checks of that type: an
//! image's pixel size and traces of editing software (`image`), or the PDF features a
//! reviewer's viewer must never run (`pdf`).
//!
//! The scorer reads at most `max_bytes + 1` bytes, so every parser these checks call
//! works on a prefix that may end anywhere: lengths read from the file are never
//! trusted, every read is bounds-checked, and every loop advances.

use crate::documents::image::{image_checks, jpeg, png};
use crate::documents::pdf;
use crate::documents::sniff::{Format, detect};
use crate::documents::{Check, ContentType};

pub const CHECK_FILE_SIZE: &str = "file_size";
pub const CHECK_FILE_TYPE: &str = "file_type";

/// How big a file may be and how small an image may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    pub max_bytes: u64,
    /// The minimum of the longer side (landscape width).
    pub min_width: u32,
    /// The minimum of the shorter side (landscape height).
    pub min_height: u32,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits { max_bytes: 10 * 1024 * 1024, min_width: 600, min_height: 400 }
    }
}

/// Checks an uploaded file. `bytes` are the first bytes of the object (at most
/// `max_bytes + 1`), `total_size` the object's size as storage reports it.
///
/// Always returns `file_size` and `file_type`; when the type matches the declared one,
/// also `image_dimensions` and `editing_software` (JPEG, PNG) or `pdf_safety` (PDF).
pub fn inspect(declared: ContentType, bytes: &[u8], total_size: u64, limits: &FileLimits) -> Vec<Check> {
    let mut checks = vec![size_check(total_size, limits)];
    let detected = detect(bytes);
    let matches = match declared {
        ContentType::Jpeg => detected == Format::Jpeg,
        ContentType::Png => detected == Format::Png,
        ContentType::Pdf => detected == Format::Pdf,
    };
    if !matches {
        let what = match detected {
            Format::Empty => "the file is empty".to_string(),
            Format::Unknown => "the file's signature is not recognised".to_string(),
            other => format!("the file is {}", other.describe()),
        };
        checks.push(Check::fail(CHECK_FILE_TYPE, format!("declared {} but {what}", declared.as_str())));
        return checks;
    }
    checks.push(Check::pass(CHECK_FILE_TYPE, format!("signature matches {}", declared.as_str())));
    match declared {
        ContentType::Jpeg => image_checks(jpeg::scan(bytes), limits, &mut checks),
        ContentType::Png => image_checks(png::scan(bytes), limits, &mut checks),
        ContentType::Pdf => checks.push(pdf::safety(bytes)),
    }
    checks
}

fn size_check(total_size: u64, limits: &FileLimits) -> Check {
    if total_size == 0 {
        Check::fail(CHECK_FILE_SIZE, "empty file")
    } else if total_size > limits.max_bytes {
        Check::fail(CHECK_FILE_SIZE, format!("{total_size} bytes is over the limit of {} bytes", limits.max_bytes))
    } else {
        Check::pass(CHECK_FILE_SIZE, format!("{total_size} bytes"))
    }
}
