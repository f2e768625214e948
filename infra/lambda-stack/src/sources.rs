//! The event sources, played as Lambda plays them: S3 object events (moto delivers the
//! bucket's notifications to a queue of the stack's) invoked asynchronously with the
//! template's retries and failure destination; the table's stream through the
//! template's filter with bisect and partial batch responses; an SQS queue with partial
//! batch responses and message visibility; the schedule.
//!
//! moto here serves one request at a time, so every poll is short (no long polling).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::runtime::{Function, InvokeError};
use crate::template::{REGION, StreamSource};

const IDLE: Duration = Duration::from_millis(250);

// ------------------------------------------------------------------ filter criteria

/// Lambda's event filtering (the subset of EventBridge patterns templates use): every
/// key of the pattern must match; an array lists the accepted values (or `prefix` /
/// `exists` matchers); an object descends.
pub fn matches(pattern: &Value, event: &Value) -> bool {
    let Some(fields) = pattern.as_object() else { return false };
    fields.iter().all(|(name, expected)| {
        let actual = event.get(name);
        match expected {
            Value::Object(_) => actual.is_some_and(|a| matches(expected, a)),
            Value::Array(choices) => choices.iter().any(|choice| match choice {
                Value::Object(matcher) => {
                    if let Some(prefix) = matcher.get("prefix").and_then(Value::as_str) {
                        actual.and_then(Value::as_str).is_some_and(|a| a.starts_with(prefix))
                    } else if let Some(exists) = matcher.get("exists").and_then(Value::as_bool) {
                        actual.is_some() == exists
                    } else {
                        false
                    }
                }
                scalar => actual == Some(scalar),
            }),
            scalar => actual == Some(scalar),
        }
    })
}

/// A record passes when there is no filter or any filter matches it.
pub fn passes(patterns: &[Value], record: &Value) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| matches(p, record))
}

// ------------------------------------------------------------------ partial batches

/// What a stream batch's answer asks of the poller.
#[derive(Debug, PartialEq)]
pub enum StreamOutcome {
    Done,
    /// Retry from this record (the lowest failed one), never before it.
    RetryFrom(usize),
    /// The answer is not a valid partial response: the whole batch failed.
    Failed,
}

fn item_identifiers(answer: &Value) -> Option<Vec<Option<String>>> {
    match answer.get("batchItemFailures") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => {
            Some(items.iter().map(|i| i.get("itemIdentifier").and_then(Value::as_str).map(String::from)).collect())
        }
        Some(_) => None,
    }
}

pub fn stream_outcome(sequence_numbers: &[String], answer: &Value) -> StreamOutcome {
    let Some(identifiers) = item_identifiers(answer) else { return StreamOutcome::Failed };
    let mut lowest: Option<usize> = None;
    for identifier in identifiers {
        let Some(index) =
            identifier.filter(|i| !i.is_empty()).and_then(|i| sequence_numbers.iter().position(|s| *s == i))
        else {
            return StreamOutcome::Failed;
        };
        lowest = Some(lowest.map_or(index, |l| l.min(index)));
    }
    lowest.map_or(StreamOutcome::Done, StreamOutcome::RetryFrom)
}

/// The messages an SQS batch answer keeps on the queue; `None`: the whole batch failed.
pub fn failed_messages(message_ids: &[String], answer: &Value) -> Option<HashSet<String>> {
    let mut failed = HashSet::new();
    for identifier in item_identifiers(answer)? {
        let identifier = identifier.filter(|i| message_ids.contains(i))?;
        failed.insert(identifier);
    }
    Some(failed)
}

// ------------------------------------------------------------------ asynchronous invocation

/// An asynchronous invocation: the first attempt and `retries` more, then the failure
/// destination gets Lambda's invocation record. (Lambda waits about a minute, then two,
/// between attempts; the stack waits one second, then two, so tests stay short.)
pub async fn invoke_async(
    function: &Function,
    event: Value,
    retries: u32,
    on_failure: Option<(&aws_sdk_sqs::Client, &str)>,
) {
    let mut attempt = 0;
    let error = loop {
        attempt += 1;
        match function.invoke(event.clone()).await {
            Ok(_) => return,
            Err(e) if attempt > retries => break e,
            Err(e) => {
                tracing::warn!(function = %function.name(), attempt, error = %e, "asynchronous invocation failed; retrying");
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
    };
    tracing::error!(function = %function.name(), attempts = attempt, error = %error, "retries exhausted");
    let Some((sqs, queue_url)) = on_failure else { return };
    let record = json!({
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("{}:$LATEST", function.arn()),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempt,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": error_payload(&error),
    });
    if let Err(e) = sqs.send_message().queue_url(queue_url).message_body(record.to_string()).send().await {
        tracing::error!(error = %e, "the failure destination refused the invocation record");
    }
}

fn error_payload(error: &InvokeError) -> Value {
    match error {
        InvokeError::Function(value) => value.clone(),
        other => json!({"errorType": "Runtime.ExitError", "errorMessage": other.to_string()}),
    }
}

// ------------------------------------------------------------------ S3

/// A function S3 invokes for objects created under `prefix`.
pub struct S3Target {
    pub function: Function,
    pub prefix: String,
    pub retries: u32,
    pub on_failure_url: Option<String>,
}

/// Polls the queue moto sends the bucket's notifications to, and invokes each target
/// with the records under its prefix (the `s3:TestEvent` is no work).
pub async fn play_s3(sqs: aws_sdk_sqs::Client, queue_url: String, targets: Vec<S3Target>) {
    let targets = std::sync::Arc::new(targets);
    loop {
        let received = sqs.receive_message().queue_url(&queue_url).max_number_of_messages(10).send().await;
        let messages = messages_of(received, "S3 notifications");
        if messages.is_empty() {
            tokio::time::sleep(IDLE).await;
            continue;
        }
        for message in messages {
            let notification: Value = message.body().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
            for (index, target) in targets.iter().enumerate() {
                let records: Vec<Value> = notification["Records"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| key_of(r).is_some_and(|k| k.starts_with(&target.prefix)))
                    .map(as_s3_sends_it)
                    .collect();
                if records.is_empty() {
                    continue;
                }
                let targets = targets.clone();
                let sqs = sqs.clone();
                tokio::spawn(async move {
                    let target = &targets[index];
                    let on_failure = target.on_failure_url.as_deref().map(|url| (&sqs, url));
                    invoke_async(&target.function, json!({"Records": records}), target.retries, on_failure).await;
                });
            }
            // Handed to Lambda's asynchronous queue: the notification is consumed.
            if let Some(handle) = message.receipt_handle() {
                let _ = sqs.delete_message().queue_url(&queue_url).receipt_handle(handle).send().await;
            }
        }
    }
}

/// An S3 event record with every member S3 sends (moto leaves some out, e.g.
/// `userIdentity`); what moto did send is kept as it is.
pub fn as_s3_sends_it(record: &Value) -> Value {
    let mut record = record.clone();
    let defaults = json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "userIdentity": {"principalId": "AWS:LOCAL"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "local",
               "bucket": {"ownerIdentity": {"principalId": "LOCAL"}},
               "object": {"sequencer": "0"}},
    });
    fill(&mut record, &defaults);
    if let Some(name) = record["s3"]["bucket"]["name"].as_str().map(String::from)
        && record["s3"]["bucket"].get("arn").is_none()
    {
        record["s3"]["bucket"]["arn"] = Value::String(format!("arn:aws:s3:::{name}"));
    }
    record
}

fn fill(target: &mut Value, defaults: &Value) {
    let (Some(target), Some(defaults)) = (target.as_object_mut(), defaults.as_object()) else { return };
    for (name, default) in defaults {
        match target.get_mut(name) {
            Some(existing) if existing.is_object() => fill(existing, default),
            Some(Value::Null) | None => {
                target.insert(name.clone(), default.clone());
            }
            Some(_) => {}
        }
    }
}

/// A receive's messages; none when it failed (the next poll tries again).
fn messages_of<E: std::fmt::Display>(
    received: Result<aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput, E>,
    queue: &str,
) -> Vec<aws_sdk_sqs::types::Message> {
    match received {
        Ok(out) => out.messages.unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, queue, "receiving failed");
            Vec::new()
        }
    }
}

/// The object key of an S3 event record, decoded (moto encodes `/` too; `+` is a space).
pub fn key_of(record: &Value) -> Option<String> {
    let raw = record["s3"]["object"]["key"].as_str()?;
    Some(percent_encoding::percent_decode_str(&raw.replace('+', " ")).decode_utf8_lossy().into_owned())
}

// ------------------------------------------------------------------ DynamoDB stream

/// Reads every shard of the table's stream from its start, sequentially per shard.
pub async fn play_stream(
    streams: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    stream_arn: String,
    function: Function,
    source: StreamSource,
    on_failure_url: Option<String>,
) {
    let mut iterators: HashMap<String, Option<String>> = HashMap::new();
    loop {
        if let Ok(description) = streams.describe_stream().stream_arn(&stream_arn).send().await {
            let shards = description.stream_description.and_then(|d| d.shards).unwrap_or_default();
            for shard in shards {
                let Some(id) = shard.shard_id else { continue };
                if iterators.contains_key(&id) {
                    continue;
                }
                let iterator = streams
                    .get_shard_iterator()
                    .stream_arn(&stream_arn)
                    .shard_id(&id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.shard_iterator);
                iterators.insert(id, iterator);
            }
        }
        let mut busy = false;
        for iterator in iterators.values_mut() {
            let Some(current) = iterator.clone() else { continue };
            let limit = i32::try_from(source.batch_size.min(1000)).unwrap_or(100);
            let out = match streams.get_records().shard_iterator(&current).limit(limit).send().await {
                Ok(out) => out,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the stream failed");
                    continue;
                }
            };
            *iterator = out.next_shard_iterator.clone().or(Some(current));
            let records: Vec<Value> = out
                .records
                .unwrap_or_default()
                .iter()
                .map(|r| lambda_record(r, &stream_arn))
                .filter(|r| passes(&source.patterns, r))
                .collect();
            if !records.is_empty() {
                busy = true;
                let on_failure = on_failure_url.as_deref().map(|url| (&sqs, url));
                deliver_stream_batch(&function, &source, records, on_failure).await;
            }
        }
        if !busy {
            tokio::time::sleep(IDLE).await;
        }
    }
}

/// One batch, to completion: a partial answer retries from its first failed record; an
/// error bisects (when the template says so) or retries the batch; what still fails
/// after the retries goes to the failure destination, and the shard moves on.
pub async fn deliver_stream_batch(
    function: &Function,
    source: &StreamSource,
    records: Vec<Value>,
    on_failure: Option<(&aws_sdk_sqs::Client, &str)>,
) {
    let mut work: VecDeque<(Vec<Value>, u32)> = VecDeque::from([(records, 0)]);
    while let Some((records, attempts)) = work.pop_front() {
        let sequence_numbers: Vec<String> =
            records.iter().map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default().to_string()).collect();
        let outcome = match function.invoke(json!({"Records": records})).await {
            Ok(answer) if source.report_failures => stream_outcome(&sequence_numbers, &answer),
            Ok(_) => StreamOutcome::Done,
            Err(e) => {
                tracing::warn!(function = %function.name(), error = %e, records = records.len(), "stream batch failed");
                StreamOutcome::Failed
            }
        };
        let retry = match outcome {
            StreamOutcome::Done => continue,
            StreamOutcome::RetryFrom(index) => records[index..].to_vec(),
            StreamOutcome::Failed => records,
        };
        if attempts + 1 > source.max_retries {
            stream_failure(&retry, on_failure).await;
            continue;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if matches!(outcome, StreamOutcome::Failed) && source.bisect && retry.len() > 1 {
            let second = retry[retry.len() / 2..].to_vec();
            let first = retry[..retry.len() / 2].to_vec();
            work.push_front((second, attempts + 1));
            work.push_front((first, attempts + 1));
        } else {
            work.push_front((retry, attempts + 1));
        }
    }
}

async fn stream_failure(records: &[Value], on_failure: Option<(&aws_sdk_sqs::Client, &str)>) {
    tracing::error!(records = records.len(), "stream records dropped after their retries");
    let Some((sqs, url)) = on_failure else { return };
    let sequence = |r: Option<&Value>| r.and_then(|r| r["dynamodb"]["SequenceNumber"].as_str()).map(String::from);
    let metadata = json!({
        "requestContext": {"condition": "RetryAttemptsExhausted"},
        "DDBStreamBatchInfo": {
            "batchSize": records.len(),
            "startSequenceNumber": sequence(records.first()),
            "endSequenceNumber": sequence(records.last()),
            "streamArn": records.first().and_then(|r| r["eventSourceARN"].as_str()),
        },
    });
    let _ = sqs.send_message().queue_url(url).message_body(metadata.to_string()).send().await;
}

/// A stream record as Lambda hands it to a function (attribute values in DynamoDB JSON).
pub fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let mut dynamodb = Map::new();
    if let Some(change) = &record.dynamodb {
        if let Some(keys) = &change.keys {
            dynamodb.insert("Keys".into(), image(keys));
        }
        if let Some(new) = &change.new_image {
            dynamodb.insert("NewImage".into(), image(new));
        }
        if let Some(old) = &change.old_image {
            dynamodb.insert("OldImage".into(), image(old));
        }
        if let Some(sequence) = &change.sequence_number {
            dynamodb.insert("SequenceNumber".into(), sequence.clone().into());
        }
        if let Some(size) = change.size_bytes {
            dynamodb.insert("SizeBytes".into(), size.into());
        }
        if let Some(created) = &change.approximate_creation_date_time {
            dynamodb.insert("ApproximateCreationDateTime".into(), created.secs().into());
        }
        if let Some(view) = &change.stream_view_type {
            dynamodb.insert("StreamViewType".into(), view.as_str().into());
        }
    }
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name.as_ref().map(|n| n.as_str()),
        "eventVersion": record.event_version.as_deref().unwrap_or("1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

fn image(attributes: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(attributes.iter().map(|(k, v)| (k.clone(), attribute(v))).collect())
}

fn attribute(value: &AttributeValue) -> Value {
    let b64 =
        |b: &aws_sdk_dynamodbstreams::primitives::Blob| base64::engine::general_purpose::STANDARD.encode(b.as_ref());
    match value {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::B(b) => json!({"B": b64(b)}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        AttributeValue::Null(n) => json!({"NULL": n}),
        AttributeValue::Ss(s) => json!({"SS": s}),
        AttributeValue::Ns(n) => json!({"NS": n}),
        AttributeValue::Bs(bs) => json!({"BS": bs.iter().map(b64).collect::<Vec<_>>()}),
        AttributeValue::M(m) => json!({"M": image(m)}),
        AttributeValue::L(l) => json!({"L": l.iter().map(attribute).collect::<Vec<_>>()}),
        _ => Value::Null,
    }
}

// ------------------------------------------------------------------ SQS

/// Receives batches and invokes the function; deletes the messages that succeeded and
/// leaves the others to their visibility (which the function may have changed).
pub async fn play_sqs(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    function: Function,
    batch_size: usize,
    report_failures: bool,
) {
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(i32::try_from(batch_size.clamp(1, 10)).unwrap_or(10))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await;
        let messages = messages_of(received, "the event source queue");
        if messages.is_empty() {
            tokio::time::sleep(IDLE).await;
            continue;
        }
        let records: Vec<Value> = messages.iter().map(|m| sqs_record(m, &queue_arn)).collect();
        let ids: Vec<String> = messages.iter().map(|m| m.message_id().unwrap_or_default().to_string()).collect();
        let keep = match function.invoke(json!({"Records": records})).await {
            Ok(answer) if report_failures => failed_messages(&ids, &answer),
            Ok(_) => Some(HashSet::new()),
            Err(e) => {
                tracing::warn!(function = %function.name(), error = %e, "queue batch failed");
                None
            }
        };
        let Some(keep) = keep else { continue };
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !keep.contains(m.message_id().unwrap_or_default()))
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty()
            && let Err(e) = sqs.delete_message_batch().queue_url(&queue_url).set_entries(Some(entries)).send().await
        {
            tracing::warn!(error = %e, "deleting processed messages failed");
        }
    }
}

fn sqs_record(message: &aws_sdk_sqs::types::Message, queue_arn: &str) -> Value {
    let attributes: Map<String, Value> = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
        .collect();
    let message_attributes: Map<String, Value> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (k.clone(), json!({"stringValue": v.string_value(), "dataType": v.data_type(), "stringListValues": [], "binaryListValues": []}))
        })
        .collect();
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body().unwrap_or_default(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    })
}

// ------------------------------------------------------------------ schedule

/// `rate(N unit)` in seconds.
pub fn rate_seconds(expression: &str) -> Option<u64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let unit = match unit.trim().trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(n * unit)
}

/// Invokes the function every `every`, as EventBridge Scheduler would (asynchronously).
pub async fn play_schedule(function: Function, every: Duration, schedule_name: String) {
    let mut ticks = tokio::time::interval(every);
    // A run longer than the interval delays the next one; missed runs do not pile up.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let event = json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": crate::template::ACCOUNT_ID,
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "region": REGION,
            "resources": [format!("arn:aws:scheduler:{REGION}:{}:schedule/default/{schedule_name}", crate::template::ACCOUNT_ID)],
            "detail": {},
        });
        if let Err(e) = function.invoke(event).await {
            tracing::warn!(function = %function.name(), error = %e, "the scheduled run failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay_filter() -> Value {
        serde_json::from_str(r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["event"]}}}}"#)
            .expect("the template's pattern")
    }

    #[test]
    fn the_relay_filter_passes_inserted_audit_events_only() {
        let event =
            json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "event"}, "pk": {"S": "x"}}}});
        let modified = json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {"kind": {"S": "event"}}}});
        let lead = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "lead"}}}});
        let no_kind = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {}}});
        assert!(passes(&[relay_filter()], &event));
        assert!(!passes(&[relay_filter()], &modified));
        assert!(!passes(&[relay_filter()], &lead));
        assert!(!passes(&[relay_filter()], &no_kind));
        assert!(passes(&[], &lead), "no filter: every record");
    }

    #[test]
    fn prefix_and_exists_matchers_apply_to_the_field() {
        let pattern = json!({"a": [{"prefix": "doc"}], "b": [{"exists": false}]});
        assert!(matches(&pattern, &json!({"a": "documents/x"})));
        assert!(!matches(&pattern, &json!({"a": "documents/x", "b": 1})));
        assert!(!matches(&pattern, &json!({"a": "imports/x"})));
    }

    fn sequence() -> Vec<String> {
        ["100", "200", "300"].map(String::from).to_vec()
    }

    #[test]
    fn a_stream_batch_resumes_from_its_lowest_failed_record() {
        assert_eq!(stream_outcome(&sequence(), &json!({"batchItemFailures": []})), StreamOutcome::Done);
        assert_eq!(stream_outcome(&sequence(), &Value::Null), StreamOutcome::Done);
        let answer = json!({"batchItemFailures": [{"itemIdentifier": "300"}, {"itemIdentifier": "200"}]});
        assert_eq!(stream_outcome(&sequence(), &answer), StreamOutcome::RetryFrom(1));
    }

    #[test]
    fn a_stream_answer_naming_an_unknown_or_empty_record_fails_the_whole_batch() {
        let unknown = json!({"batchItemFailures": [{"itemIdentifier": "999"}]});
        let empty = json!({"batchItemFailures": [{"itemIdentifier": ""}]});
        assert_eq!(stream_outcome(&sequence(), &unknown), StreamOutcome::Failed);
        assert_eq!(stream_outcome(&sequence(), &empty), StreamOutcome::Failed);
        assert_eq!(stream_outcome(&sequence(), &json!({"batchItemFailures": 3})), StreamOutcome::Failed);
    }

    #[test]
    fn an_sqs_batch_keeps_only_its_failed_messages_and_an_invalid_answer_keeps_all() {
        let ids = ["m1", "m2"].map(String::from).to_vec();
        assert_eq!(failed_messages(&ids, &json!({"batchItemFailures": []})), Some(HashSet::new()));
        let one = failed_messages(&ids, &json!({"batchItemFailures": [{"itemIdentifier": "m2"}]}));
        assert_eq!(one, Some(HashSet::from(["m2".to_string()])));
        assert_eq!(failed_messages(&ids, &json!({"batchItemFailures": [{"itemIdentifier": "m9"}]})), None);
    }

    #[test]
    fn s3_keys_are_decoded_as_s3_and_moto_encode_them() {
        let record = json!({"s3": {"object": {"key": "documents%2Facme%2Fa+b.png"}}});
        assert_eq!(key_of(&record).as_deref(), Some("documents/acme/a b.png"));
    }

    #[test]
    fn an_s3_record_gets_the_members_moto_leaves_out_and_keeps_its_own() {
        let record = json!({"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "k", "size": 3}}});
        let full = as_s3_sends_it(&record);
        assert_eq!(full["userIdentity"]["principalId"], "AWS:LOCAL");
        assert_eq!(full["s3"]["bucket"]["arn"], "arn:aws:s3:::b");
        assert_eq!((full["s3"]["object"]["key"].as_str(), full["s3"]["object"]["size"].as_u64()), (Some("k"), Some(3)));
        assert_eq!(full["eventName"], "ObjectCreated:Put");
    }

    #[test]
    fn a_rate_expression_is_read_in_seconds() {
        assert_eq!(rate_seconds("rate(15 minutes)"), Some(900));
        assert_eq!(rate_seconds("rate(1 hour)"), Some(3600));
        assert_eq!(rate_seconds("cron(0 * * * ? *)"), None);
    }
}
