//! Image checks (JPEG, PNG): the pixel size from the header, and traces of editing
//! software in the metadata. `jpeg` and `png` walk their format's structure into an
//! `ImageScan`; `editors` reads the metadata both carry (EXIF, XMP).

mod editors;
pub(super) mod jpeg;
pub(super) mod png;

use crate::documents::{Check, FileLimits};

pub const CHECK_IMAGE_DIMENSIONS: &str = "image_dimensions";
pub const CHECK_EDITING_SOFTWARE: &str = "editing_software";

/// What a header parser learnt about an image.
pub(super) struct ImageScan {
    /// Width and height, or why they could not be read.
    dimensions: Result<(u32, u32), &'static str>,
    /// One line per trace of an editor, e.g. "EXIF Software names GIMP".
    editors: Vec<String>,
    /// Metadata that might name an editor but could not be read (compressed text).
    unread: bool,
}

impl ImageScan {
    fn new() -> Self {
        ImageScan { dimensions: Err("no frame header found"), editors: Vec::new(), unread: false }
    }

    fn found(&mut self, trace: String) {
        if !self.editors.contains(&trace) {
            self.editors.push(trace);
        }
    }
}

pub(super) fn image_checks(scan: ImageScan, limits: &FileLimits, checks: &mut Vec<Check>) {
    checks.push(match scan.dimensions {
        Ok((w, h)) => {
            // A document photographed in portrait is as good as one in landscape.
            let (long, short) = (w.max(h), w.min(h));
            let (min_long, min_short) =
                (limits.min_width.max(limits.min_height), limits.min_width.min(limits.min_height));
            if long >= min_long && short >= min_short {
                Check::pass(CHECK_IMAGE_DIMENSIONS, format!("{w}×{h} px"))
            } else {
                Check::fail(
                    CHECK_IMAGE_DIMENSIONS,
                    format!("{w}×{h} px is below the minimum of {min_long}×{min_short} px"),
                )
            }
        }
        Err(why) => Check::fail(CHECK_IMAGE_DIMENSIONS, format!("unreadable image header ({why})")),
    });
    checks.push(if scan.editors.is_empty() {
        let detail = if scan.unread {
            "no editing software named in the readable metadata (compressed text chunks not inspected)"
        } else {
            "no editing software named in the metadata"
        };
        Check::pass(CHECK_EDITING_SOFTWARE, detail)
    } else {
        Check::warn(CHECK_EDITING_SOFTWARE, scan.editors.join("; "))
    });
}
