//! What the stack reads from `template.yaml`: the resources to create in moto, and for
//! each function its binary, environment, HTTP routes and event sources. Intrinsic
//! functions (`!Ref`, `!Sub`, `!GetAtt`) are resolved against the parameters' defaults,
//! the pseudo parameters and the physical ids of what the stack created; nothing else of
//! CloudFormation is modelled.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail};
use serde_yaml::Value;

/// The pseudo parameters of the one stack this tool runs.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The template, parsed, with what intrinsics resolve to.
pub struct Template {
    root: Value,
    stack_name: String,
    /// Logical id → `!Ref` value, and (logical id, attribute) → `!GetAtt` value.
    refs: BTreeMap<String, String>,
    attrs: BTreeMap<(String, String), String>,
}

/// A function the template deploys.
#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    /// The cargo binary (`Metadata.BuildProperties.Binary`), run as its `bootstrap`.
    pub binary: String,
    pub timeout_seconds: u64,
    pub memory_mb: u64,
    pub env: BTreeMap<String, String>,
    pub events: Vec<Event>,
    /// `EventInvokeConfig`: retries of an asynchronous invocation and where a failed one goes.
    pub async_retries: u32,
    pub on_failure_queue: Option<String>,
}

/// An event source or route of a function, as the template declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    HttpApi { method: String, path: String, authorized: bool },
    S3 { bucket: String, prefix: String },
    DynamoDb(StreamSource),
    Sqs { queue: String, batch_size: usize, report_failures: bool },
    Schedule { expression: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamSource {
    pub table: String,
    pub batch_size: usize,
    pub bisect: bool,
    pub report_failures: bool,
    pub max_retries: u32,
    pub on_failure_queue: Option<String>,
    /// `FilterCriteria.Filters[].Pattern`, parsed.
    pub patterns: Vec<serde_json::Value>,
}

/// The HTTP API's Lambda authorizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorizer {
    pub function: String,
    /// The identity source header (lowercase).
    pub header: String,
    pub ttl_seconds: u64,
    pub simple_responses: bool,
}

/// The table, as `CreateTable` needs it.
pub struct TableSpec {
    pub logical_id: String,
    pub properties: Value,
}

pub struct QueueSpec {
    pub logical_id: String,
    pub visibility_timeout: Option<String>,
    pub retention: Option<String>,
    /// (dead-letter queue's logical id, maxReceiveCount).
    pub redrive: Option<(String, String)>,
}

impl Template {
    pub fn parse(text: &str, stack_name: &str) -> anyhow::Result<Template> {
        let root: Value = serde_yaml::from_str(text).context("template.yaml is not YAML")?;
        if !root.get("Resources").is_some_and(Value::is_mapping) {
            bail!("template.yaml has no Resources");
        }
        Ok(Template { root, stack_name: stack_name.to_string(), refs: BTreeMap::new(), attrs: BTreeMap::new() })
    }

    /// Records what `!Ref logical_id` resolves to (a physical id the stack created).
    pub fn set_ref(&mut self, logical_id: &str, value: impl Into<String>) {
        self.refs.insert(logical_id.to_string(), value.into());
    }

    pub fn set_attr(&mut self, logical_id: &str, attr: &str, value: impl Into<String>) {
        self.attrs.insert((logical_id.to_string(), attr.to_string()), value.into());
    }

    pub fn stack_name(&self) -> &str {
        &self.stack_name
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.resources().filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
    }

    fn properties(resource: &Value) -> &Value {
        static EMPTY: Value = Value::Null;
        resource.get("Properties").unwrap_or(&EMPTY)
    }

    pub fn table(&self) -> anyhow::Result<TableSpec> {
        let mut tables = self.of_type("AWS::DynamoDB::Table");
        let (id, resource) = tables.next().ok_or_else(|| anyhow!("the template declares no table"))?;
        Ok(TableSpec { logical_id: id.to_string(), properties: Self::properties(resource).clone() })
    }

    /// The bucket's logical id and name (its `BucketName`, resolved).
    pub fn bucket(&self) -> anyhow::Result<(String, String)> {
        let (id, resource) =
            self.of_type("AWS::S3::Bucket").next().ok_or_else(|| anyhow!("the template declares no bucket"))?;
        let name = match Self::properties(resource).get("BucketName") {
            Some(name) => self.resolve(name)?,
            None => format!("{}-{}", self.stack_name, id.to_lowercase()),
        };
        Ok((id.to_string(), name))
    }

    pub fn queues(&self) -> anyhow::Result<Vec<QueueSpec>> {
        let mut queues = Vec::new();
        for (id, resource) in self.of_type("AWS::SQS::Queue") {
            let props = Self::properties(resource);
            let scalar = |name: &str| props.get(name).map(|v| self.resolve(v)).transpose();
            let redrive = match props.get("RedrivePolicy") {
                Some(policy) => {
                    let target = policy.get("deadLetterTargetArn").ok_or_else(|| anyhow!("{id}: redrive target"))?;
                    let dlq = logical_of_get_att(target).ok_or_else(|| anyhow!("{id}: redrive target"))?;
                    let count = policy.get("maxReceiveCount").ok_or_else(|| anyhow!("{id}: maxReceiveCount"))?;
                    Some((dlq, self.resolve(count)?))
                }
                None => None,
            };
            queues.push(QueueSpec {
                logical_id: id.to_string(),
                visibility_timeout: scalar("VisibilityTimeout")?,
                retention: scalar("MessageRetentionPeriod")?,
                redrive,
            });
        }
        // Dead-letter queues first: a redrive policy names an existing queue.
        queues.sort_by_key(|q| q.redrive.is_some());
        Ok(queues)
    }

    pub fn kms_keys(&self) -> Vec<String> {
        self.of_type("AWS::KMS::Key").map(|(id, _)| id.to_string()).collect()
    }

    /// The bucket's CORS rule's methods, headers and max age (origins are the stack's own).
    pub fn bucket_cors(&self) -> Option<(Vec<String>, Vec<String>, Option<i32>)> {
        let (_, resource) = self.of_type("AWS::S3::Bucket").next()?;
        let rule = Self::properties(resource).get("CorsConfiguration")?.get("CorsRules")?.get(0)?;
        let list = |name: &str| -> Vec<String> {
            rule.get(name)
                .and_then(Value::as_sequence)
                .map(|s| s.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default()
        };
        let max_age = rule.get("MaxAge").and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok());
        Some((list("AllowedMethods"), list("AllowedHeaders"), max_age))
    }

    pub fn authorizer(&self) -> anyhow::Result<Option<Authorizer>> {
        let Some((_, api)) = self.of_type("AWS::Serverless::HttpApi").next() else { return Ok(None) };
        let Some(auth) = Self::properties(api).get("Auth") else { return Ok(None) };
        let Some(default) = auth.get("DefaultAuthorizer").and_then(Value::as_str) else { return Ok(None) };
        let spec = auth
            .get("Authorizers")
            .and_then(|a| a.get(default))
            .ok_or_else(|| anyhow!("the default authorizer {default} is not declared"))?;
        let function = spec
            .get("FunctionArn")
            .and_then(logical_of_get_att)
            .ok_or_else(|| anyhow!("authorizer {default}: FunctionArn is not !GetAtt Function.Arn"))?;
        let identity = spec.get("Identity");
        let header = identity
            .and_then(|i| i.get("Headers"))
            .and_then(|h| h.get(0))
            .and_then(Value::as_str)
            .unwrap_or("Authorization")
            .to_ascii_lowercase();
        let ttl_seconds = identity.and_then(|i| i.get("ReauthorizeEvery")).and_then(Value::as_u64).unwrap_or(300);
        let simple_responses = spec.get("EnableSimpleResponses").and_then(Value::as_bool).unwrap_or(false);
        if spec.get("AuthorizerPayloadFormatVersion").and_then(Value::as_str) != Some("2.0") {
            bail!("authorizer {default}: only payload format 2.0 is played");
        }
        Ok(Some(Authorizer { function, header, ttl_seconds, simple_responses }))
    }

    /// Every function, with its environment resolved (call after the resources exist).
    pub fn functions(&self) -> anyhow::Result<Vec<Function>> {
        let globals = self.root.get("Globals").and_then(|g| g.get("Function"));
        let global_number =
            |name: &str, default: u64| globals.and_then(|g| g.get(name)).and_then(Value::as_u64).unwrap_or(default);
        let mut functions = Vec::new();
        for (id, resource) in self.of_type("AWS::Serverless::Function") {
            let props = Self::properties(resource);
            let binary = resource
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{id}: Metadata.BuildProperties.Binary names no binary"))?;
            let mut env = BTreeMap::new();
            for vars in [globals.and_then(|g| g.get("Environment")), props.get("Environment")]
                .into_iter()
                .flatten()
                .filter_map(|e| e.get("Variables").and_then(Value::as_mapping))
            {
                for (name, value) in vars {
                    let name = name.as_str().ok_or_else(|| anyhow!("{id}: a variable name is not text"))?;
                    let value = self.resolve(value).with_context(|| format!("{id}: {name}"))?;
                    env.insert(name.to_string(), value);
                }
            }
            let mut events = Vec::new();
            for (name, event) in props.get("Events").and_then(Value::as_mapping).into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                events.push(self.event(event).with_context(|| format!("{id}: event {name}"))?);
            }
            let invoke = props.get("EventInvokeConfig");
            functions.push(Function {
                logical_id: id.to_string(),
                binary: binary.to_string(),
                timeout_seconds: props.get("Timeout").and_then(Value::as_u64).unwrap_or(global_number("Timeout", 3)),
                memory_mb: props.get("MemorySize").and_then(Value::as_u64).unwrap_or(global_number("MemorySize", 128)),
                env,
                events,
                // Lambda's default for asynchronous invocations: two retries.
                async_retries: invoke
                    .and_then(|i| i.get("MaximumRetryAttempts"))
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(2),
                on_failure_queue: invoke.and_then(|i| on_failure(i.get("DestinationConfig"))),
            });
        }
        Ok(functions)
    }

    fn event(&self, event: &Value) -> anyhow::Result<Event> {
        let props = event.get("Properties").unwrap_or(&Value::Null);
        let text = |name: &str| props.get(name).and_then(Value::as_str).map(String::from);
        let number = |name: &str, default: u64| props.get(name).and_then(Value::as_u64).unwrap_or(default);
        let reports = props
            .get("FunctionResponseTypes")
            .and_then(Value::as_sequence)
            .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("ReportBatchItemFailures")));
        match event.get("Type").and_then(Value::as_str) {
            Some("HttpApi") => Ok(Event::HttpApi {
                method: text("Method").unwrap_or_else(|| "ANY".into()).to_ascii_uppercase(),
                path: text("Path").ok_or_else(|| anyhow!("an HttpApi event without a Path"))?,
                authorized: props.get("Auth").and_then(|a| a.get("Authorizer")).and_then(Value::as_str) != Some("NONE"),
            }),
            Some("S3") => {
                let bucket = props.get("Bucket").and_then(logical_of_ref).ok_or_else(|| anyhow!("bucket"))?;
                let rules = props
                    .get("Filter")
                    .and_then(|f| f.get("S3Key"))
                    .and_then(|k| k.get("Rules"))
                    .and_then(Value::as_sequence);
                let prefix = rules
                    .into_iter()
                    .flatten()
                    .find(|r| r.get("Name").and_then(Value::as_str) == Some("prefix"))
                    .and_then(|r| r.get("Value"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Ok(Event::S3 { bucket, prefix: prefix.to_string() })
            }
            Some("DynamoDB") => {
                let table = props.get("Stream").and_then(logical_of_get_att).ok_or_else(|| anyhow!("stream"))?;
                let mut patterns = Vec::new();
                let filters = props.get("FilterCriteria").and_then(|f| f.get("Filters")).and_then(Value::as_sequence);
                for filter in filters.into_iter().flatten() {
                    let pattern = filter.get("Pattern").and_then(Value::as_str).ok_or_else(|| anyhow!("pattern"))?;
                    patterns.push(serde_json::from_str(pattern).context("a filter pattern is not JSON")?);
                }
                Ok(Event::DynamoDb(StreamSource {
                    table,
                    batch_size: usize::try_from(number("BatchSize", 100)).unwrap_or(100),
                    bisect: props.get("BisectBatchOnFunctionError").and_then(Value::as_bool).unwrap_or(false),
                    report_failures: reports,
                    // -1 (the default) is "until the record expires": a bound keeps a poison record finite.
                    max_retries: props
                        .get("MaximumRetryAttempts")
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(10_000),
                    on_failure_queue: on_failure(props.get("DestinationConfig")),
                    patterns,
                }))
            }
            Some("SQS") => Ok(Event::Sqs {
                queue: props.get("Queue").and_then(logical_of_get_att).ok_or_else(|| anyhow!("queue"))?,
                batch_size: usize::try_from(number("BatchSize", 10)).unwrap_or(10),
                report_failures: reports,
            }),
            Some("ScheduleV2") | Some("Schedule") => Ok(Event::Schedule {
                expression: text("ScheduleExpression").ok_or_else(|| anyhow!("a schedule without an expression"))?,
            }),
            other => bail!("event type {other:?} is not played by the stack"),
        }
    }

    /// A scalar of the template, with its intrinsic functions resolved.
    pub fn resolve(&self, value: &Value) -> anyhow::Result<String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Tagged(tagged) => {
                let argument = &tagged.value;
                match tagged.tag.to_string().as_str() {
                    "!Ref" => self.reference(argument.as_str().ok_or_else(|| anyhow!("!Ref of a non-name"))?),
                    "!GetAtt" => {
                        let (id, attr) = get_att_parts(argument).ok_or_else(|| anyhow!("malformed !GetAtt"))?;
                        self.attribute(&id, &attr)
                    }
                    "!Sub" => self.substitute(argument.as_str().ok_or_else(|| anyhow!("!Sub with variables"))?),
                    other => bail!("{other} is not resolved by the stack"),
                }
            }
            other => bail!("cannot resolve {other:?} to a value"),
        }
    }

    fn reference(&self, name: &str) -> anyhow::Result<String> {
        match name {
            "AWS::StackName" => return Ok(self.stack_name.clone()),
            "AWS::AccountId" => return Ok(ACCOUNT_ID.into()),
            "AWS::Region" => return Ok(REGION.into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            "AWS::Partition" => return Ok("aws".into()),
            _ => {}
        }
        if let Some(value) = self.refs.get(name) {
            return Ok(value.clone());
        }
        let parameter = self.root.get("Parameters").and_then(|p| p.get(name));
        match parameter.and_then(|p| p.get("Default")) {
            Some(default) => self.resolve(default),
            None => bail!("!Ref {name}: not a parameter with a default nor a resource the stack created"),
        }
    }

    fn attribute(&self, id: &str, attr: &str) -> anyhow::Result<String> {
        self.attrs
            .get(&(id.to_string(), attr.to_string()))
            .cloned()
            .ok_or_else(|| anyhow!("!GetAtt {id}.{attr}: not created by the stack"))
    }

    fn substitute(&self, text: &str) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').ok_or_else(|| anyhow!("unclosed ${{ in !Sub"))? + start;
            let name = &rest[start + 2..end];
            let value = match name.split_once('.') {
                Some((id, attr)) if !name.starts_with("AWS::") => self.attribute(id, attr)?,
                _ => self.reference(name)?,
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn on_failure(config: Option<&Value>) -> Option<String> {
    config?.get("OnFailure")?.get("Destination").and_then(logical_of_get_att)
}

fn get_att_parts(argument: &Value) -> Option<(String, String)> {
    match argument {
        Value::String(s) => s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())),
        Value::Sequence(parts) => Some((parts.first()?.as_str()?.to_string(), parts.get(1)?.as_str()?.to_string())),
        _ => None,
    }
}

/// The logical id a `!GetAtt X.Attr` names.
fn logical_of_get_att(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(t) if t.tag == "GetAtt" => get_att_parts(&t.value).map(|(id, _)| id),
        _ => None,
    }
}

fn logical_of_ref(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(String::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_template() -> Template {
        let text = include_str!("../../../template.yaml");
        let mut template = Template::parse(text, "kyc").expect("template.yaml parses");
        template.set_ref("KycTable", "kyc-KycTable");
        for queue in ["DeliveriesQueue", "DeliveriesDeadLetterQueue", "RelayFailuresQueue"] {
            template.set_ref(queue, format!("http://moto/{queue}"));
        }
        template.set_attr("WebhookSecretsKey", "Arn", "arn:aws:kms:us-east-1:123456789012:key/k");
        template
    }

    fn function(template: &Template, binary: &str) -> Function {
        let functions = template.functions().expect("every function resolves");
        functions.into_iter().find(|f| f.binary == binary).expect("the function is deployed")
    }

    #[test]
    fn the_real_template_deploys_every_function_crate_of_the_workspace() {
        let template = real_template();
        let mut binaries: Vec<String> = template.functions().expect("resolves").into_iter().map(|f| f.binary).collect();
        binaries.sort();
        assert_eq!(
            binaries,
            [
                "authorizer",
                "documents-api",
                "event-relay",
                "follow-up",
                "importer",
                "leads-api",
                "links-api",
                "risk-scorer",
                "status-api",
                "webhook-sender",
                "webhooks-api"
            ]
        );
    }

    #[test]
    fn a_function_environment_is_the_globals_and_its_own_with_references_resolved() {
        let template = real_template();
        let sender = function(&template, "webhook-sender");
        assert_eq!(sender.env["KYC_TABLE"], "kyc-KycTable");
        assert_eq!(sender.env["KYC_DOCUMENTS_BUCKET"], "kyc-documents-123456789012-us-east-1");
        assert_eq!(sender.env["KYC_DELIVERIES_QUEUE_URL"], "http://moto/DeliveriesQueue");
        assert_eq!(sender.env["KYC_SECRETS_KEY_ID"], "arn:aws:kms:us-east-1:123456789012:key/k");
        assert_eq!(sender.env["RUST_LOG"], "info", "a parameter's default");
        assert_eq!(sender.timeout_seconds, 60);
    }

    #[test]
    fn the_relay_reads_the_stream_through_the_template_filter_with_bisect_and_partial_batches() {
        let relay = function(&real_template(), "event-relay");
        let Some(Event::DynamoDb(source)) = relay.events.first() else { panic!("a stream source: {:?}", relay.events) };
        assert_eq!(source.table, "KycTable");
        assert!(source.bisect && source.report_failures);
        assert_eq!((source.batch_size, source.max_retries), (100, 10));
        assert_eq!(source.on_failure_queue.as_deref(), Some("RelayFailuresQueue"));
        assert_eq!(source.patterns.len(), 1);
    }

    #[test]
    fn the_scorer_and_the_importer_take_their_own_prefixes_with_async_retries_and_a_failure_queue() {
        let template = real_template();
        let scorer = function(&template, "risk-scorer");
        assert_eq!(scorer.events, [Event::S3 { bucket: "DocumentsBucket".into(), prefix: "documents/".into() }]);
        assert_eq!((scorer.async_retries, scorer.on_failure_queue.as_deref()), (2, Some("RiskScorerFailures")));
        let importer = function(&template, "importer");
        assert_eq!(importer.events, [Event::S3 { bucket: "DocumentsBucket".into(), prefix: "imports/".into() }]);
    }

    #[test]
    fn routes_take_the_default_authorizer_unless_they_opt_out() {
        let template = real_template();
        let leads = function(&template, "leads-api");
        let route = |path: &str| {
            leads.events.iter().find_map(|e| match e {
                Event::HttpApi { path: p, authorized, .. } if p == path => Some(*authorized),
                _ => None,
            })
        };
        assert_eq!(route("/health"), Some(false));
        assert_eq!(route("/v1/leads/{proxy+}"), Some(true));
        let authorizer = template.authorizer().expect("resolves").expect("declared");
        assert_eq!(authorizer.function, "AuthorizerFunction");
        assert_eq!((authorizer.header.as_str(), authorizer.ttl_seconds), ("authorization", 60));
        assert!(authorizer.simple_responses);
    }

    #[test]
    fn the_deliveries_queue_redrives_to_its_dead_letter_queue_created_before_it() {
        let queues = real_template().queues().expect("resolves");
        let deliveries = queues.iter().position(|q| q.logical_id == "DeliveriesQueue").expect("declared");
        let dlq = queues.iter().position(|q| q.logical_id == "DeliveriesDeadLetterQueue").expect("declared");
        assert!(dlq < deliveries);
        assert_eq!(queues[deliveries].redrive, Some(("DeliveriesDeadLetterQueue".to_string(), "10".to_string())));
        assert_eq!(queues[deliveries].visibility_timeout.as_deref(), Some("360"));
    }

    #[test]
    fn the_template_never_lets_webhooks_go_to_loopback_endpoints() {
        let functions = real_template().functions().expect("resolves");
        assert!(functions.iter().all(|f| !f.env.contains_key("KYC_ALLOW_LOOPBACK_WEBHOOKS")));
    }

    #[test]
    fn a_reference_the_stack_did_not_create_is_an_error_not_an_empty_value() {
        let template = Template::parse("Resources: {}\n", "kyc").expect("parses");
        let value: Value = serde_yaml::from_str("!Ref Nowhere").expect("yaml");
        assert!(template.resolve(&value).is_err());
    }
}
