//! Bulk import files (CSV with a header row, or NDJSON): splitting a chunk of a file
//! into its complete records, so that a file of any size is read in bounded chunks and
//! can resume at any record's byte offset; and turning a CSV row into the same JSON
//! body a `POST /v1/leads` takes, so a row is validated exactly as the API validates.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::validation::FieldError;

/// The file formats an import takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ImportFormat {
    Csv,
    Ndjson,
}

impl ImportFormat {
    /// The content type the upload URL is bound to.
    pub fn content_type(self) -> &'static str {
        match self {
            ImportFormat::Csv => "text/csv",
            ImportFormat::Ndjson => "application/x-ndjson",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ImportStatus {
    PendingUpload,
    Processing,
    Completed,
    Failed,
}

/// The UTF-8 byte order mark a file may start with (skipped).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// At most this many error entries are kept in an import's report.
pub const MAX_REPORTED_ERRORS: u64 = 1_000;

/// One record of a chunk: the offset just after it (from the chunk's start) and what
/// it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub end: usize,
    pub content: RecordContent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordContent {
    /// A CSV record's fields.
    Fields(Vec<String>),
    /// An NDJSON line (without its line break).
    Line(String),
    /// The record is not valid UTF-8.
    NotUtf8,
}

/// The complete records of `chunk`. Unless `at_end` (the chunk reaches the end of the
/// file), the last record is left out: it may continue in the next chunk, which then
/// starts where the records returned end. Blank lines are no records.
pub fn split(format: ImportFormat, chunk: &[u8], at_end: bool) -> Vec<Record> {
    let mut records = match format {
        ImportFormat::Csv => split_csv(chunk),
        ImportFormat::Ndjson => split_lines(chunk),
    };
    let complete_tail = at_end || chunk.last() == Some(&b'\n') && format == ImportFormat::Ndjson;
    if !complete_tail {
        records.pop();
    }
    records
}

fn split_csv(chunk: &[u8]) -> Vec<Record> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(chunk);
    let mut record = csv::ByteRecord::new();
    let mut records = Vec::new();
    // A read error can only be bad UTF-8, which byte records do not check: stop there.
    while let Ok(true) = reader.read_byte_record(&mut record) {
        let end = usize::try_from(reader.position().byte()).unwrap_or(chunk.len()).min(chunk.len());
        let fields: Result<Vec<String>, _> =
            record.iter().map(|field| std::str::from_utf8(field).map(str::to_string)).collect();
        let content = fields.map_or(RecordContent::NotUtf8, RecordContent::Fields);
        records.push(Record { end, content });
    }
    records
}

fn split_lines(chunk: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut start = 0;
    while start < chunk.len() {
        let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |at| start + at + 1);
        let line = chunk[start..end].trim_ascii();
        if !line.is_empty() {
            let content = std::str::from_utf8(line).map_or(RecordContent::NotUtf8, |s| RecordContent::Line(s.into()));
            records.push(Record { end, content });
        } else if let Some(last) = records.last_mut() {
            // A blank line belongs to the record before it, so resuming skips it too.
            last.end = end;
        }
        start = end;
    }
    records
}

/// Where a CSV column goes in the lead's JSON body: the top level or one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Top,
    Individual,
    Business,
    Address,
}

const COLUMNS: &[(&str, Target)] = &[
    ("type", Target::Top),
    ("external_id", Target::Top),
    ("email", Target::Top),
    ("level", Target::Top),
    ("first_name", Target::Individual),
    ("last_name", Target::Individual),
    ("date_of_birth", Target::Individual),
    ("nationality", Target::Individual),
    ("phone", Target::Individual),
    ("legal_name", Target::Business),
    ("registration_number", Target::Business),
    ("country_of_incorporation", Target::Business),
    ("line1", Target::Address),
    ("line2", Target::Address),
    ("city", Target::Address),
    ("postal_code", Target::Address),
    ("state", Target::Address),
    ("country", Target::Address),
];

/// The columns of a CSV file, read from its header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvColumns(Vec<(String, Target)>);

impl CsvColumns {
    /// Every column must be a known lead field, once. Names are compared without case
    /// and surrounding spaces.
    pub fn from_header(names: &[String]) -> Result<CsvColumns, Vec<FieldError>> {
        let mut columns = Vec::with_capacity(names.len());
        let mut errors = Vec::new();
        for raw in names {
            let name = raw.trim().to_ascii_lowercase();
            match COLUMNS.iter().find(|(known, _)| *known == name) {
                None => errors.push(FieldError::new(name, "is not a known column")),
                Some(_) if columns.iter().any(|(seen, _)| *seen == name) => {
                    errors.push(FieldError::new(name, "appears twice in the header"))
                }
                Some((_, target)) => columns.push((name, *target)),
            }
        }
        if columns.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("header", "names no column"));
        }
        if errors.is_empty() { Ok(CsvColumns(columns)) } else { Err(errors) }
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|(name, _)| name.clone()).collect()
    }

    /// The lead body a row stands for: empty cells are absent fields.
    pub fn row_body(&self, fields: &[String]) -> Result<Value, FieldError> {
        if fields.len() != self.0.len() {
            return Err(FieldError::new(
                "row",
                format!("has {} fields where the header has {}", fields.len(), self.0.len()),
            ));
        }
        let mut body = Map::new();
        for ((name, target), value) in self.0.iter().zip(fields) {
            if value.is_empty() {
                continue;
            }
            let object = match target {
                Target::Top => &mut body,
                nested => {
                    let key = match nested {
                        Target::Individual => "individual",
                        Target::Business => "business",
                        _ => "address",
                    };
                    let entry = body.entry(key).or_insert_with(|| Value::Object(Map::new()));
                    match entry {
                        Value::Object(map) => map,
                        _ => continue,
                    }
                }
            };
            object.insert(name.clone(), Value::String(value.clone()));
        }
        Ok(Value::Object(body))
    }
}

/// The CSV column a lead body's field path comes from (`address.country` →
/// `country`); a path of no column stays as it is.
pub fn column_of(field: &str) -> &str {
    match field.split_once('.') {
        Some(("individual" | "business" | "address", rest)) if !rest.contains('.') => rest,
        _ => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(record: &Record) -> Vec<&str> {
        match &record.content {
            RecordContent::Fields(f) => f.iter().map(String::as_str).collect(),
            other => panic!("not fields: {other:?}"),
        }
    }

    #[test]
    fn when_a_csv_chunk_ends_inside_a_quoted_field_should_leave_that_record_for_the_next_chunk() {
        let file = b"a,b\r\n\"x, \"\"quoted\"\"\ny\",2\r\nlast,3";
        let all = split(ImportFormat::Csv, file, true);
        assert_eq!(all.len(), 3);
        assert_eq!(fields(&all[1]), vec!["x, \"quoted\"\ny", "2"]);
        assert_eq!(fields(&all[2]), vec!["last", "3"]);
        // Cut inside the quoted field: only the header is complete.
        let cut = 12;
        let partial = split(ImportFormat::Csv, &file[..cut], false);
        assert_eq!(partial.len(), 1);
        // The record ends at its `\r`; the `\n` after it reads as a blank line.
        assert_eq!(partial[0].end, 4);
        // Resuming at its end reads the rest exactly.
        let rest = split(ImportFormat::Csv, &file[partial[0].end..], true);
        assert_eq!(rest.iter().map(fields).collect::<Vec<_>>(), vec![vec!["x, \"quoted\"\ny", "2"], vec!["last", "3"]]);
    }

    #[test]
    fn when_ndjson_has_blank_lines_and_crlf_should_yield_each_object_once() {
        let file = b"{\"a\":1}\r\n\r\n{\"a\":2}\n{\"a\":";
        let records = split(ImportFormat::Ndjson, file, false);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].content, RecordContent::Line("{\"a\":1}".into()));
        assert_eq!(records[1].end, 19);
        assert_eq!(split(ImportFormat::Ndjson, file, true).len(), 3);
    }

    #[test]
    fn when_a_header_names_an_unknown_or_repeated_column_should_name_it() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let errors = CsvColumns::from_header(&names(&["email", "shoe_size", "Email"])).expect_err("refused");
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["shoe_size", "email"]);
        let columns = CsvColumns::from_header(&names(&["External_ID ", "first_name", "country"])).expect("known");
        let body = columns.row_body(&names(&["c-1", "Ada", ""])).expect("a body");
        assert_eq!(body, serde_json::json!({"external_id": "c-1", "individual": {"first_name": "Ada"}}));
        assert_eq!(columns.row_body(&names(&["x"])).expect_err("short").field, "row");
    }

    #[test]
    fn a_nested_field_is_reported_under_its_column() {
        assert_eq!(column_of("address.country"), "country");
        assert_eq!(column_of("individual.date_of_birth"), "date_of_birth");
        assert_eq!(column_of("email"), "email");
        assert_eq!(column_of("business.directors.0.first_name"), "business.directors.0.first_name");
    }
}
