//! Document files made in the tests: valid images and PDFs, and hostile ones.

use kyc_domain::documents::crc32;

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&out[4..]).to_be_bytes());
    out
}

/// A PNG of `width` × `height` (header-valid; the scorer decodes only the header).
/// `salt` changes the bytes (and so the SHA-256) without changing the picture's size.
pub fn png(width: u32, height: u32, salt: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, salt]));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// A Windows executable, as someone might rename `invoice.exe` to `passport.jpg`.
pub fn windows_executable() -> Vec<u8> {
    let mut out = b"MZ".to_vec();
    out.resize(0x3C, 0);
    out.extend_from_slice(&0x80u32.to_le_bytes());
    out.resize(0x80, 0);
    out.extend_from_slice(b"PE\0\0");
    out.resize(1024, 0x90);
    out
}

/// A small, clean PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A small PDF with `objects` added (streams to inspect, say).
pub fn pdf_with(objects: &[u8]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n".to_vec();
    pdf.extend_from_slice(objects);
    pdf.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
    pdf
}

/// The two lines of a passport's machine-readable zone (ICAO 9303 TD3), with every
/// check digit computed: `birth` and `expiry` as `YYMMDD`.
pub fn passport_mrz(surname: &str, given: &str, number: &str, birth: &str, expiry: &str) -> Vec<String> {
    let digit = |field: &str| char::from(b'0' + kyc_domain::documents::mrz::check_digit(field).unwrap_or(0));
    let pad = |field: &str, width: usize| format!("{field:<<width$}");
    let line1 = pad(&format!("P<GBR{surname}<<{given}"), 44);
    let number = pad(number, 9);
    let personal = pad("", 14);
    let composite = format!(
        "{number}{}{birth}{}{expiry}{}{personal}{}",
        digit(&number),
        digit(birth),
        digit(expiry),
        digit(&personal)
    );
    let line2 = format!(
        "{number}{}GBR{birth}{}F{expiry}{}{personal}{}{}",
        digit(&number),
        digit(birth),
        digit(expiry),
        digit(&personal),
        digit(&composite)
    );
    vec![line1, line2]
}

/// The S3 `ObjectCreated` event (`events/s3-object-created.json`) of `key` in `bucket`,
/// the key percent-encoded as S3 (and moto) send it.
pub fn s3_object_created(bucket: &str, key: &str) -> serde_json::Value {
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../../events/s3-object-created.json")).expect("fixture");
    event["Records"][0]["s3"]["bucket"]["name"] = serde_json::json!(bucket);
    event["Records"][0]["s3"]["object"]["key"] = serde_json::json!(key.replace('/', "%2F"));
    event
}

/// The CSV header of an import file, every column of API.md's list.
pub const IMPORT_HEADER: &str = "type,external_id,email,first_name,last_name,date_of_birth,nationality,legal_name,registration_number,line1,city,postal_code,country,level";

/// Row `n` of an import file: a valid individual, external id `crm-{n}`.
pub fn import_person(n: usize) -> [String; 14] {
    [
        "individual".into(),
        format!("crm-{n}"),
        format!("person{n}@example.com"),
        format!("First{n}"),
        "Lovelace".into(),
        "1990-12-10".into(),
        "GB".into(),
        String::new(),
        String::new(),
        format!("{n} High Street"),
        "London".into(),
        "SW1Y 4JH".into(),
        "GB".into(),
        "basic".into(),
    ]
}

/// One CSV record: a field with a comma, quote or line break quoted, quotes doubled.
pub fn csv_line(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| if f.contains([',', '"', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.clone() })
        .collect::<Vec<_>>()
        .join(",")
}

/// An import file of `rows` valid rows, every other one without an external id, every
/// seventh with a quoted address line (a comma and quotes in it).
pub fn import_csv(rows: usize) -> Vec<u8> {
    let mut file = String::from(IMPORT_HEADER);
    file.push('\n');
    for n in 1..=rows {
        let mut row = import_person(n);
        if n % 2 == 0 {
            row[1] = String::new();
        }
        if n % 7 == 0 {
            row[9] = format!("{n} Long Road, Building \"B\"");
        }
        file.push_str(&csv_line(&row));
        file.push('\n');
    }
    file.into_bytes()
}
