//! The selfie's checks: `face_quality` (one clear, frontal face with open eyes) and
//! `face_match` (the selfie against the identity document's portrait).

use serde::{Deserialize, Serialize};

use crate::documents::Check;
use crate::verification::{FaceComparison, Faces, Reading};

pub const CHECK_FACE_QUALITY: &str = "face_quality";
pub const CHECK_FACE_MATCH: &str = "face_match";

/// Below this similarity two faces are taken for different people (`fail`), whatever
/// the configured threshold; the threshold may not be set lower.
pub const FACE_MATCH_FLOOR: f32 = 80.0;

/// Rekognition's confidence that a detection is a face at all.
const MIN_FACE_CONFIDENCE: f32 = 90.0;
/// Rekognition's image quality scores (0..100) below which a face is too blurred or dark.
const MIN_SHARPNESS: f32 = 20.0;
const MIN_BRIGHTNESS: f32 = 25.0;
/// Head angles beyond which a face is no longer "roughly frontal", in degrees.
const MAX_YAW: f32 = 30.0;
const MAX_PITCH: f32 = 30.0;
const MAX_ROLL: f32 = 45.0;

/// The similarity (percent) at or above which a selfie matches its identity document.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceMatchThreshold(f32);

impl Default for FaceMatchThreshold {
    fn default() -> Self {
        FaceMatchThreshold(95.0)
    }
}

impl FaceMatchThreshold {
    /// `KYC_FACE_MATCH_THRESHOLD`: a percentage from 80 to 100.
    pub fn parse(text: &str) -> Result<FaceMatchThreshold, String> {
        let value: f32 = text.trim().parse().map_err(|_| format!("{text:?} is not a number"))?;
        if !(FACE_MATCH_FLOOR..=100.0).contains(&value) {
            return Err(format!("{value} is outside 80..=100 (a face match below 80 % is never a match)"));
        }
        Ok(FaceMatchThreshold(value))
    }

    pub fn percent(self) -> f32 {
        self.0
    }
}

const NOT_MACHINE_CHECKED: &str = "not machine-checked";

/// One clear face: exactly one face, eyes open, sharp and bright enough, roughly
/// frontal. No face or several faces fail (a selfie must show its person alone); a
/// face that is only of poor quality warns, so a person looks at it.
pub fn face_quality(reading: &Reading<Faces>) -> Check {
    let faces = match reading {
        Reading::NotOffered => return Check::warn(CHECK_FACE_QUALITY, NOT_MACHINE_CHECKED),
        Reading::Refused { reason } => return Check::warn(CHECK_FACE_QUALITY, reason.clone()),
        Reading::Read(faces) => faces,
    };
    let faces: Vec<_> = faces.faces.iter().filter(|f| f.confidence >= MIN_FACE_CONFIDENCE).collect();
    let face = match faces.as_slice() {
        [] => return Check::fail(CHECK_FACE_QUALITY, "no face found in the selfie"),
        [face] => face,
        more => return Check::fail(CHECK_FACE_QUALITY, format!("{} faces found; a selfie shows one person", more.len())),
    };
    let mut problems = Vec::new();
    if face.eyes_open != Some(true) {
        problems.push("the eyes are not clearly open");
    }
    if face.sharpness.is_none_or(|s| s < MIN_SHARPNESS) {
        problems.push("the face is blurred");
    }
    if face.brightness.is_none_or(|b| b < MIN_BRIGHTNESS) {
        problems.push("the face is too dark");
    }
    let beyond = |angle: Option<f32>, limit: f32| angle.is_none_or(|a| a.abs() > limit);
    if beyond(face.yaw, MAX_YAW) || beyond(face.pitch, MAX_PITCH) || beyond(face.roll, MAX_ROLL) {
        problems.push("the face is not turned to the camera");
    }
    if problems.is_empty() {
        Check::pass(CHECK_FACE_QUALITY, "one face, eyes open, sharp, well lit and frontal")
    } else {
        Check::warn(CHECK_FACE_QUALITY, problems.join("; "))
    }
}

/// The similarity of the selfie to the identity document's portrait: `pass` at or
/// above the threshold, `fail` below 80 %, `warn` between.
pub fn face_match(reading: &Reading<FaceComparison>, threshold: FaceMatchThreshold) -> Check {
    let comparison = match reading {
        Reading::NotOffered => return Check::warn(CHECK_FACE_MATCH, NOT_MACHINE_CHECKED),
        Reading::Refused { reason } => return Check::warn(CHECK_FACE_MATCH, reason.clone()),
        Reading::Read(comparison) => comparison,
    };
    let Some(similarity) = comparison.similarity else {
        return Check::fail(CHECK_FACE_MATCH, "no face found in the selfie to compare");
    };
    let detail = format!("similarity {similarity:.1} % (match at {:.0} %)", threshold.percent());
    if similarity >= threshold.percent() {
        Check::pass(CHECK_FACE_MATCH, detail)
    } else if similarity < FACE_MATCH_FLOOR {
        Check::fail(CHECK_FACE_MATCH, detail)
    } else {
        Check::warn(CHECK_FACE_MATCH, detail)
    }
}

/// `face_match` while the lead has no identity document to compare the selfie with:
/// recorded as a warning, replaced when the document arrives.
pub fn face_match_waiting() -> Check {
    Check::warn(CHECK_FACE_MATCH, "waiting for an identity document to compare with")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::CheckResult;
    use crate::verification::FaceDetail;

    fn good_face() -> FaceDetail {
        FaceDetail {
            confidence: 99.9,
            eyes_open: Some(true),
            sharpness: Some(80.0),
            brightness: Some(70.0),
            yaw: Some(3.0),
            pitch: Some(-5.0),
            roll: Some(1.0),
        }
    }

    fn faces(faces: Vec<FaceDetail>) -> Reading<Faces> {
        Reading::Read(Faces { faces })
    }

    #[test]
    fn one_clear_frontal_face_passes() {
        assert_eq!(face_quality(&faces(vec![good_face()])).result, CheckResult::Pass);
    }

    #[test]
    fn no_face_or_two_faces_fail() {
        assert_eq!(face_quality(&faces(vec![])).detail, "no face found in the selfie");
        assert_eq!(face_quality(&faces(vec![good_face(), good_face()])).result, CheckResult::Fail);
        let doubtful = FaceDetail { confidence: 40.0, ..good_face() };
        assert_eq!(face_quality(&faces(vec![doubtful])).result, CheckResult::Fail, "not surely a face");
    }

    #[test]
    fn closed_eyes_blur_darkness_or_a_turned_head_warn_with_each_reason() {
        let poor = FaceDetail { eyes_open: Some(false), sharpness: Some(5.0), yaw: Some(60.0), ..good_face() };
        let check = face_quality(&faces(vec![poor]));
        assert_eq!(check.result, CheckResult::Warn);
        assert_eq!(check.detail, "the eyes are not clearly open; the face is blurred; the face is not turned to the camera");
    }

    fn similarity(s: f32) -> Reading<FaceComparison> {
        Reading::Read(FaceComparison { similarity: Some(s) })
    }

    #[test]
    fn similarity_passes_at_the_threshold_fails_below_80_and_warns_between() {
        let threshold = FaceMatchThreshold::default();
        assert_eq!(face_match(&similarity(95.0), threshold).result, CheckResult::Pass);
        assert_eq!(face_match(&similarity(94.9), threshold).result, CheckResult::Warn);
        assert_eq!(face_match(&similarity(70.0), threshold).result, CheckResult::Fail);
        assert_eq!(face_match(&similarity(70.0), threshold).detail, "similarity 70.0 % (match at 95 %)");
    }

    #[test]
    fn the_threshold_may_not_be_set_below_80() {
        assert!(FaceMatchThreshold::parse("79.9").is_err());
        assert!(FaceMatchThreshold::parse("101").is_err());
        assert!(FaceMatchThreshold::parse("high").is_err());
        assert_eq!(FaceMatchThreshold::parse("80").map(FaceMatchThreshold::percent), Ok(80.0));
    }

    #[test]
    fn without_a_machine_the_face_is_not_checked() {
        assert_eq!(face_quality(&Reading::NotOffered), Check::warn(CHECK_FACE_QUALITY, "not machine-checked"));
        assert_eq!(
            face_match(&Reading::NotOffered, FaceMatchThreshold::default()),
            Check::warn(CHECK_FACE_MATCH, "not machine-checked")
        );
    }
}
