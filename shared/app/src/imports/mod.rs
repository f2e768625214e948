//! Bulk imports: the import record (its report, status and checkpoint), the upload URL
//! of its file, and the run that reads the uploaded file in bounded chunks, validates
//! each row exactly as `POST /v1/leads` does and creates its lead (source `import`,
//! actor `import:<id>`, scored like any new lead), in batched transactions that move
//! the import's counts and checkpoint together with the rows they cover.
//!
//! Why a run never creates a row twice: the checkpoint (byte offset and row number)
//! commits in the same transaction as the leads of its rows, conditioned on the
//! import's version, so a run that stopped anywhere resumes exactly after the last
//! committed row, and two runs of one event (S3 delivers at least once) cannot both
//! commit the same rows. Each row's lead id is derived from the import and the row
//! number as well, so the same row can only ever be the same lead item.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use kyc_domain::ids::{ImportId, LeadId};
use kyc_domain::import::{
    BOM, CsvColumns, ImportFormat, ImportStatus, MAX_REPORTED_ERRORS, RecordContent, column_of, split,
};
use kyc_domain::lead::Source;
use kyc_domain::lead::input::LeadInput;
use kyc_domain::validation::FieldError;

use crate::Deps;
use crate::auth::Principal;
use crate::documents::UploadInstruction;
use crate::error::AppError;
use crate::json;
use crate::leads::{FreshLead, PreparedLead};
use crate::ports::table::{Attr, Condition, Item, Query, SortKey, TableError, Write};
use crate::store::idempotency::{self, Idempotency, Replayable};
use crate::store::{counters, layout};
use crate::tenant::TenantId;

/// How long an import's upload URL is valid.
pub const UPLOAD_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// How much of the file one read asks for.
pub const CHUNK_BYTES: u64 = 256 * 1024;
/// A record longer than this fails the import (a chunk grows to hold one record).
pub const MAX_RECORD_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many rows per transaction...
const BATCH_ROWS: usize = 25;
/// ...and at most this many writes (DynamoDB takes 100 per transaction).
const BATCH_WRITES: usize = 95;
/// Retries of a batch that met a concurrent transaction (`Conflict`).
const CONFLICT_RETRIES: u32 = 8;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    pub format: Option<ImportFormat>,
}

/// Where a run stopped: everything before `offset` (and `rows` data rows) is committed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub offset: u64,
    pub rows: u64,
    /// A CSV file's columns, once its header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

/// The import item: the report's counts, the status and the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub id: ImportId,
    pub format: ImportFormat,
    pub status: ImportStatus,
    pub total: u64,
    pub created: u64,
    pub duplicates: u64,
    pub failed: u64,
    /// Error entries kept (at most [`MAX_REPORTED_ERRORS`]).
    pub reported_errors: u64,
    pub checkpoint: Checkpoint,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const VERSION: &str = "version";

impl ImportRecord {
    fn to_item(&self, tenant: &TenantId) -> Result<Item, AppError> {
        Ok(Item::new(layout::import_key(tenant, &self.id), json::to_body("import", self)?)
            .with_s(layout::KIND, "import")
            .with_n(VERSION, i64::try_from(self.version).unwrap_or(i64::MAX)))
    }

    /// The record as it becomes, written only if the stored one is still `seen`.
    fn put_after(&self, tenant: &TenantId, seen: u64) -> Result<Write, AppError> {
        let condition = Condition::AttrEquals(VERSION.into(), Attr::N(i64::try_from(seen).unwrap_or(i64::MAX)));
        Ok(Write::Put { item: self.to_item(tenant)?, condition })
    }
}

/// One error of a row (`row` 0 is the CSV header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// The answer to `POST /v1/imports`.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedImport {
    pub id: ImportId,
    pub object: String,
    pub format: ImportFormat,
    pub status: ImportStatus,
    pub upload: UploadInstruction,
}

impl Replayable for CreatedImport {}

/// The answer to `GET /v1/imports/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub id: ImportId,
    pub object: &'static str,
    pub format: ImportFormat,
    pub status: ImportStatus,
    pub total: u64,
    pub created: u64,
    pub duplicates: u64,
    pub failed: u64,
    pub errors: Vec<RowError>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /v1/imports`: the import record and the URL its file is uploaded to.
pub async fn create_import(
    deps: &Deps,
    by: &Principal,
    input: ImportInput,
    idempotency: Option<&Idempotency>,
) -> Result<CreatedImport, AppError> {
    let format = input.format.ok_or_else(|| AppError::field("format", "is required"))?;
    let now = deps.clock.now();
    let id = ImportId::from_uuid(deps.ids.uuid());
    let record = ImportRecord {
        id: id.clone(),
        format,
        status: ImportStatus::PendingUpload,
        total: 0,
        created: 0,
        duplicates: 0,
        failed: 0,
        reported_errors: 0,
        checkpoint: Checkpoint::default(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let key = layout::import_object_key(&by.tenant, &id);
    let upload = deps.objects.presign_put(&key, format.content_type(), now + UPLOAD_TTL).await?;
    let answer = CreatedImport {
        id,
        object: "import".into(),
        format,
        status: ImportStatus::PendingUpload,
        upload: upload.into(),
    };
    let put = Write::Put { item: record.to_item(&by.tenant)?, condition: Condition::NotExists };
    idempotency::commit(deps.table.as_ref(), vec![put], idempotency, &answer).await?;
    Ok(answer)
}

async fn load(deps: &Deps, tenant: &TenantId, id: &ImportId) -> Result<Option<ImportRecord>, AppError> {
    match deps.table.get(&layout::import_key(tenant, id)).await? {
        Some(item) => Ok(Some(json::from_body("import", &item.body)?)),
        None => Ok(None),
    }
}

/// `GET /v1/imports/{id}`: the report, with the row errors kept (at most 1,000).
pub async fn get_import(deps: &Deps, tenant: &TenantId, id: &str) -> Result<ImportReport, AppError> {
    let id = ImportId::parse(id).ok_or(AppError::NotFound("import"))?;
    let record = load(deps, tenant, &id).await?.ok_or(AppError::NotFound("import"))?;
    let mut errors = Vec::new();
    let mut query = Query {
        index: crate::ports::table::Index::Primary,
        partition: layout::import_pk(tenant, &id),
        sort: SortKey::BeginsWith(layout::IMPORT_ERRORS_SK_PREFIX.into()),
        forward: true,
        limit: 1000,
        start_after: None,
    };
    loop {
        let page = deps.table.query(&query).await?;
        for item in &page.items {
            errors.extend(json::from_body::<Vec<RowError>>("import row errors", &item.body)?);
        }
        match page.next {
            Some(next) if (errors.len() as u64) < MAX_REPORTED_ERRORS => query.start_after = Some(next),
            _ => break,
        }
    }
    errors.truncate(MAX_REPORTED_ERRORS as usize);
    Ok(ImportReport {
        id: record.id,
        object: "import",
        format: record.format,
        status: record.status,
        total: record.total,
        created: record.created,
        duplicates: record.duplicates,
        failed: record.failed,
        errors,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

/// What a run of the importer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportRun {
    /// The key is not an import's, or the import or its file is unknown.
    Ignored,
    /// The import had already finished (a re-delivered event): nothing was done.
    AlreadyFinished(ImportStatus),
    /// Stopped because asked to (a deadline), after committing `rows` rows in all.
    Paused {
        rows: u64,
    },
    Finished(ImportStatus),
}

/// What the actor of an import's work is called in the audit trail.
pub fn import_actor(id: &ImportId) -> String {
    format!("import:{id}")
}

/// The lead id of row `row` of an import: the same row is always the same lead item.
/// Time-ordered like any id (the import's own time), the rest from a hash.
pub fn row_lead_id(import: &ImportId, row: u64) -> LeadId {
    let digest = Sha256::new().chain_update(import.as_str()).chain_update(row.to_be_bytes()).finalize();
    let time = uuid::Uuid::parse_str(&import.as_str()[ImportId::PREFIX.len()..]).unwrap_or_default();
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&time.as_bytes()[..6]);
    bytes[6..].copy_from_slice(&digest[..10]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    LeadId::from_uuid(uuid::Uuid::from_bytes(bytes))
}

/// Runs the import whose file was stored under `key` (S3 `ObjectCreated`), from its
/// checkpoint, until the file ends or `stop` answers true (checked between batches).
pub async fn on_object_created(
    deps: &Deps,
    key: &str,
    stop: &(dyn Fn() -> bool + Send + Sync),
) -> Result<ImportRun, AppError> {
    let Some((tenant, id)) = layout::parse_import_object_key(key) else { return Ok(ImportRun::Ignored) };
    loop {
        let Some(record) = load(deps, &tenant, &id).await? else { return Ok(ImportRun::Ignored) };
        if matches!(record.status, ImportStatus::Completed | ImportStatus::Failed) {
            return Ok(ImportRun::AlreadyFinished(record.status));
        }
        let mut run = Run { deps, tenant: &tenant, key, actor: import_actor(&id), record };
        match run.go(stop).await {
            // Another run of the same file committed first: go on from its checkpoint.
            Err(RunError::Raced) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(RunError::App(e)) => return Err(e),
            Ok(outcome) => return Ok(outcome),
        }
    }
}

enum RunError {
    Raced,
    App(AppError),
}

impl<E: Into<AppError>> From<E> for RunError {
    fn from(e: E) -> Self {
        RunError::App(e.into())
    }
}

/// What became of one data row.
enum Outcome {
    Lead(Box<PreparedLead>),
    Duplicate,
    Failed(Vec<FieldError>),
}

struct Row {
    /// 1-based data row.
    number: u64,
    /// The file offset just after the row.
    end: u64,
    outcome: Outcome,
}

struct Run<'a> {
    deps: &'a Deps,
    tenant: &'a TenantId,
    key: &'a str,
    actor: String,
    /// The record as committed.
    record: ImportRecord,
}

impl Run<'_> {
    async fn go(&mut self, stop: &(dyn Fn() -> bool + Send + Sync)) -> Result<ImportRun, RunError> {
        let format = self.record.format;
        let mut want = CHUNK_BYTES;
        loop {
            if stop() {
                return Ok(ImportRun::Paused { rows: self.record.checkpoint.rows });
            }
            let offset = self.record.checkpoint.offset;
            let Some(chunk) = self.deps.objects.read_range(self.key, offset, want).await? else {
                return Ok(ImportRun::Ignored);
            };
            let at_end = offset + chunk.bytes.len() as u64 >= chunk.size;
            let (bytes, base) = match chunk.bytes.strip_prefix(BOM) {
                Some(rest) if offset == 0 => (rest, BOM.len() as u64),
                _ => (&chunk.bytes[..], offset),
            };
            let records = split(format, bytes, at_end);
            if records.is_empty() {
                if at_end {
                    return self.finish(ImportStatus::Completed, Vec::new(), base + bytes.len() as u64).await;
                }
                want *= 2;
                if want > MAX_RECORD_BYTES {
                    let error = RowError {
                        row: self.record.checkpoint.rows + 1,
                        field: "row".into(),
                        message: format!("is longer than {MAX_RECORD_BYTES} bytes"),
                    };
                    return self.finish(ImportStatus::Failed, vec![error], offset).await;
                }
                continue;
            }
            want = CHUNK_BYTES;
            let mut records = records.into_iter();
            let mut header_end = None;
            if format == ImportFormat::Csv && self.record.checkpoint.columns.is_none() {
                let Some(header) = records.next() else { continue };
                let names = match header.content {
                    RecordContent::Fields(names) => names,
                    _ => vec![],
                };
                match CsvColumns::from_header(&names) {
                    Ok(columns) => self.record.checkpoint.columns = Some(columns.names()),
                    Err(errors) => {
                        let errors = errors
                            .into_iter()
                            .map(|e| RowError { row: 0, field: e.field, message: e.message })
                            .collect();
                        return self.finish(ImportStatus::Failed, errors, base + header.end as u64).await;
                    }
                }
                header_end = Some(base + header.end as u64);
            }
            let columns = match &self.record.checkpoint.columns {
                Some(names) => Some(CsvColumns::from_header(names).map_err(|_| AppError::internal("stored columns"))?),
                None => None,
            };
            let mut batch = Batch::default();
            let mut rows_before = self.record.checkpoint.rows;
            for record in records {
                rows_before += 1;
                let row = self.row(rows_before, base + record.end as u64, record.content, columns.as_ref()).await?;
                batch.push(row);
                if batch.is_full() {
                    header_end = None;
                    self.commit(std::mem::take(&mut batch)).await?;
                    if stop() {
                        return Ok(ImportRun::Paused { rows: self.record.checkpoint.rows });
                    }
                }
            }
            if !batch.rows.is_empty() {
                self.commit(batch).await?;
            } else if let Some(end) = header_end {
                // A header alone in this chunk: remember it before reading on.
                self.commit_header(end).await?;
            }
        }
    }

    async fn row(
        &self,
        number: u64,
        end: u64,
        content: RecordContent,
        columns: Option<&CsvColumns>,
    ) -> Result<Row, RunError> {
        let body = match (content, columns) {
            (RecordContent::Fields(fields), Some(columns)) => columns.row_body(&fields).map_err(|e| vec![e]),
            (RecordContent::Line(line), _) => match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(body) if body.is_object() => Ok(body),
                // An array or a scalar has no fields to name: the row itself is wrong.
                Ok(_) => Err(vec![FieldError::new("row", "must be a JSON object")]),
                Err(e) => Err(vec![FieldError::new("row", format!("is not valid JSON ({e})"))]),
            },
            (RecordContent::NotUtf8, _) => Err(vec![FieldError::new("row", "is not UTF-8")]),
            (RecordContent::Fields(_), None) => Err(vec![FieldError::new("row", "has no header")]),
        };
        let input = body.and_then(|body| match json::parse_input::<LeadInput>(body) {
            Ok(input) => Ok(input),
            Err(AppError::Validation(errors)) => Err(errors),
            Err(e) => Err(vec![FieldError::new("row", e.to_string())]),
        });
        let now = self.deps.clock.now();
        let fresh = input.and_then(|input| {
            match FreshLead::with_id(row_lead_id(&self.record.id, number), input, Source::Import, now) {
                Ok(fresh) => Ok(fresh),
                Err(AppError::Validation(errors)) => Err(errors),
                Err(e) => Err(vec![FieldError::new("row", e.to_string())]),
            }
        });
        let outcome = match fresh {
            Ok(fresh) => {
                Outcome::Lead(Box::new(fresh.prepare(self.deps, self.tenant, self.actor.clone(), Vec::new()).await?))
            }
            Err(errors) => Outcome::Failed(self.name_fields(errors)),
        };
        Ok(Row { number, end, outcome })
    }

    /// A CSV row's errors name its columns; an NDJSON row's the body's dotted path.
    fn name_fields(&self, errors: Vec<FieldError>) -> Vec<FieldError> {
        let csv = self.record.format == ImportFormat::Csv;
        errors
            .into_iter()
            .map(|e| {
                let field = match e.field.as_str() {
                    "body" => "row".to_string(),
                    path if csv => column_of(path).to_string(),
                    path => path.to_string(),
                };
                FieldError { field, message: e.message }
            })
            .collect()
    }

    /// Commits a batch: its leads, its row errors and the record's counts and
    /// checkpoint, in one transaction conditioned on the record's version. A row whose
    /// external id turns out to be taken becomes a duplicate, and the batch is retried.
    async fn commit(&mut self, mut batch: Batch) -> Result<(), RunError> {
        let mut conflicts = 0;
        loop {
            let mut next = self.record.clone();
            next.status = ImportStatus::Processing;
            next.version += 1;
            next.updated_at = self.deps.clock.now();
            let mut writes = vec![Write::Put {
                item: Item::new(layout::import_key(self.tenant, &next.id), String::new()),
                condition: Condition::None,
            }];
            let mut guards = Vec::new();
            let mut counter_writes = Vec::new();
            for (index, row) in batch.rows.iter().enumerate() {
                next.total += 1;
                next.checkpoint.rows = row.number;
                next.checkpoint.offset = row.end;
                match &row.outcome {
                    Outcome::Lead(lead) => {
                        next.created += 1;
                        if let Some(at) = lead.guard_at {
                            guards.push((writes.len() + at, index));
                        }
                        writes.extend(lead.writes.iter().cloned());
                        counter_writes.extend(lead.counters.iter().cloned());
                    }
                    Outcome::Duplicate => next.duplicates += 1,
                    Outcome::Failed(errors) => {
                        next.failed += 1;
                        let room = MAX_REPORTED_ERRORS.saturating_sub(next.reported_errors) as usize;
                        let kept: Vec<RowError> = errors
                            .iter()
                            .take(room)
                            .map(|e| RowError { row: row.number, field: e.field.clone(), message: e.message.clone() })
                            .collect();
                        if !kept.is_empty() {
                            next.reported_errors += kept.len() as u64;
                            let key = layout::import_row_errors_key(self.tenant, &next.id, row.number);
                            writes.push(Write::Put {
                                item: Item::new(key, json::to_body("import row errors", &kept)?),
                                condition: Condition::None,
                            });
                        }
                    }
                }
            }
            writes[0] = next.put_after(self.tenant, self.record.version)?;
            writes.extend(counters::merge(counter_writes));
            match self.deps.table.transact(writes).await {
                Ok(()) => {
                    self.record = next;
                    return Ok(());
                }
                Err(TableError::ConditionFailed { index: 0 }) => return Err(RunError::Raced),
                Err(TableError::ConditionFailed { index }) => match guards.iter().find(|(at, _)| *at == index) {
                    Some((_, row)) => batch.rows[*row].outcome = Outcome::Duplicate,
                    None => return Err(AppError::internal("an import row's lead already exists").into()),
                },
                Err(TableError::Conflict) if conflicts < CONFLICT_RETRIES => {
                    conflicts += 1;
                    tokio::time::sleep(Duration::from_millis(10 * u64::from(conflicts))).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Commits the CSV header's columns and offset (a chunk that held no data row).
    async fn commit_header(&mut self, end: u64) -> Result<(), RunError> {
        let mut next = self.record.clone();
        next.status = ImportStatus::Processing;
        next.version += 1;
        next.updated_at = self.deps.clock.now();
        next.checkpoint.offset = end;
        self.write(next).await
    }

    async fn write(&mut self, next: ImportRecord) -> Result<(), RunError> {
        match self.deps.table.transact(vec![next.put_after(self.tenant, self.record.version)?]).await {
            Ok(()) => {
                self.record = next;
                Ok(())
            }
            Err(TableError::ConditionFailed { .. } | TableError::Conflict) => Err(RunError::Raced),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the import with `status` and file-level `errors` (the header's), the
    /// checkpoint at `end`.
    async fn finish(&mut self, status: ImportStatus, errors: Vec<RowError>, end: u64) -> Result<ImportRun, RunError> {
        let mut next = self.record.clone();
        next.status = status;
        next.version += 1;
        next.updated_at = self.deps.clock.now();
        next.checkpoint.offset = end.max(next.checkpoint.offset);
        let mut writes = Vec::new();
        if let Some(row) = errors.first().map(|e| e.row) {
            let room = MAX_REPORTED_ERRORS.saturating_sub(next.reported_errors) as usize;
            let kept: Vec<RowError> = errors.into_iter().take(room).collect();
            next.reported_errors += kept.len() as u64;
            let key = layout::import_row_errors_key(self.tenant, &next.id, row);
            let item = Item::new(key, json::to_body("import row errors", &kept)?);
            writes.push(Write::Put { item, condition: Condition::None });
        }
        writes.insert(0, next.put_after(self.tenant, self.record.version)?);
        match self.deps.table.transact(writes).await {
            Ok(()) => {
                tracing::info!(
                    import = %next.id,
                    status = <&str>::from(status),
                    total = next.total,
                    created = next.created,
                    duplicates = next.duplicates,
                    failed = next.failed,
                    "import finished"
                );
                self.record = next;
                Ok(ImportRun::Finished(status))
            }
            Err(TableError::ConditionFailed { .. } | TableError::Conflict) => Err(RunError::Raced),
            Err(e) => Err(e.into()),
        }
    }
}

/// Rows waiting for one transaction.
#[derive(Default)]
struct Batch {
    rows: Vec<Row>,
    /// External ids of the batch's leads (a second one in a batch is a duplicate).
    external_ids: HashSet<String>,
    /// Distinct counter items (merged into one write each).
    counter_keys: BTreeSet<crate::ports::table::Key>,
    writes: usize,
}

impl Batch {
    fn push(&mut self, mut row: Row) {
        if let Outcome::Lead(lead) = &row.outcome
            && let Some(external_id) = &lead.lead.external_id
            && !self.external_ids.insert(external_id.clone())
        {
            row.outcome = Outcome::Duplicate;
        }
        match &row.outcome {
            Outcome::Lead(lead) => {
                self.writes += lead.writes.len();
                self.counter_keys.extend(lead.counters.iter().map(|w| w.key().clone()));
            }
            Outcome::Failed(_) => self.writes += 1,
            Outcome::Duplicate => {}
        }
        self.rows.push(row);
    }

    /// Full when one more row might not fit: the record, the rows' writes, the merged
    /// counters, and room for the largest row (a lead with its events, guard, counters).
    fn is_full(&self) -> bool {
        const LARGEST_ROW: usize = 12;
        self.rows.len() >= BATCH_ROWS || 1 + self.writes + self.counter_keys.len() + LARGEST_ROW > BATCH_WRITES
    }
}
