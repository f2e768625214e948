//! What a verifier would read of a person's documents (a British passport), for scripting the fake
//! Textract and Rekognition: a passport's machine-readable zone with every check digit
//! right, a recent bill, a clear face; and the verifier pointed at the fake.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};

use kyc_aws::{AwsVerifier, CallPolicy, FileAccess};

use crate::fake_verifier::{FakeVerifier, Image, clear_face};
use crate::fixtures;

/// A person as their documents show them.
#[derive(Debug, Clone)]
pub struct Person {
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub born: NaiveDate,
    pub passport_number: &'static str,
    pub expires: NaiveDate,
}

pub const ADA: Person = Person {
    first_name: "Ada",
    last_name: "Lovelace",
    born: match NaiveDate::from_ymd_opt(1990, 12, 10) {
        Some(d) => d,
        None => NaiveDate::MIN,
    },
    passport_number: "C01X00T47",
    expires: match NaiveDate::from_ymd_opt(2034, 1, 1) {
        Some(d) => d,
        None => NaiveDate::MIN,
    },
};

/// A passport scan (a PNG unique to `salt`) whose text shows `person`'s MRZ, with a
/// portrait.
pub fn script_passport(fake: &FakeVerifier, person: &Person, salt: u8) -> Vec<u8> {
    let file = fixtures::png(1200, 800, salt);
    script_passport_as(fake, &Image::bytes(&file), person);
    file
}

/// What a passport of `person` shows, scripted for `image`: its text with the MRZ, and
/// the holder's portrait.
pub fn script_passport_as(fake: &FakeVerifier, image: &Image, person: &Person) {
    let mrz = fixtures::passport_mrz(
        &person.last_name.to_uppercase(),
        &person.first_name.to_uppercase(),
        person.passport_number,
        &person.born.format("%y%m%d").to_string(),
        &person.expires.format("%y%m%d").to_string(),
    );
    fake.set_text(image, &["PASSPORT", "UNITED KINGDOM", &mrz[0], &mrz[1]]);
    fake.set_faces(image, vec![clear_face()]);
}

/// A utility bill naming `person` in York, issued `days_old` days ago.
pub fn script_bill(fake: &FakeVerifier, person: &Person, days_old: u64, salt: u8) -> Vec<u8> {
    // An object of its own makes the file (and its hash) unique.
    let file = fixtures::pdf_with(format!("9 0 obj << /Bill {salt} >> endobj\n").as_bytes());
    script_bill_as(fake, &Image::bytes(&file), person, days_old);
    file
}

/// What that bill shows, scripted for `image`.
pub fn script_bill_as(fake: &FakeVerifier, image: &Image, person: &Person, days_old: u64) {
    let issued = Utc::now().date_naive().checked_sub_days(Days::new(days_old)).unwrap_or_default();
    let name = format!("Ms {} {}", person.first_name, person.last_name);
    let date = format!("Statement date {}", issued.format("%d %B %Y"));
    fake.set_text(image, &["NORTHERN POWER", &name, "1 High St", "York YO1 7HH", &date]);
}

/// A selfie showing one clear face, `similarity` percent alike to `passport`'s portrait.
pub fn script_selfie(fake: &FakeVerifier, passport: &[u8], similarity: f32, salt: u8) -> Vec<u8> {
    let file = fixtures::png(800, 800, salt);
    fake.set_faces(&Image::bytes(&file), vec![clear_face()]);
    fake.set_similarity(&Image::bytes(passport), &Image::bytes(&file), similarity);
    file
}

/// The AWS verifier sending bytes to `fake`, retrying quickly (tests wait for retries).
pub async fn verifier_for(fake: &FakeVerifier) -> Arc<AwsVerifier> {
    verifier_with_access(fake, FileAccess::Bytes).await
}

/// As [`verifier_for`], with the services reading storage themselves (as on Lambda).
pub async fn verifier_with_access(fake: &FakeVerifier, access: FileAccess) -> Arc<AwsVerifier> {
    let sdk = fake.sdk_config().await;
    let policy = CallPolicy {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        ..CallPolicy::default()
    };
    Arc::new(AwsVerifier::with_policy(&sdk, access, policy))
}
