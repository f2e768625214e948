//! The template's resources, created in moto with the real SDK: the table (keys,
//! indexes, stream, TTL), the bucket (versioning, CORS, its notifications routed to a
//! queue of the stack's, since moto cannot invoke a Lambda), the queues with their
//! redrive policies, and the KMS key. Then the API keys of `KYC_API_KEYS`.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketVersioningStatus, CorsConfiguration, CorsRule, Event as S3Event, FilterRule, FilterRuleName,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    VersioningConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;

use crate::template::{Event, REGION, Template};

pub struct Created {
    pub table_name: String,
    pub stream_arn: String,
    pub queue_urls: HashMap<String, String>,
    pub queue_arns: HashMap<String, String>,
    /// Where moto sends the bucket's object events.
    pub s3_events_queue_url: String,
}

pub async fn sdk_config(moto: &str) -> aws_config::SdkConfig {
    kyc_aws::sdk_loader()
        .endpoint_url(moto)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "stack"))
        .load()
        .await
}

pub async fn create(sdk: &aws_config::SdkConfig, template: &mut Template, front_door: &str) -> anyhow::Result<Created> {
    let (table_name, stream_arn) = create_table(sdk, template).await?;
    let (queue_urls, queue_arns) = create_queues(sdk, template).await?;
    for key in template.kms_keys() {
        let kms = aws_sdk_kms::Client::new(sdk);
        let created = kms.create_key().description(format!("{} {key}", template.stack_name())).send().await?;
        let metadata = created.key_metadata.ok_or_else(|| anyhow!("KMS answered no key"))?;
        template.set_ref(&key, metadata.key_id.clone());
        template.set_attr(&key, "Arn", metadata.arn.unwrap_or(metadata.key_id));
    }
    let s3_events_queue_url = create_bucket(sdk, template, front_door).await?;
    Ok(Created { table_name, stream_arn, queue_urls, queue_arns, s3_events_queue_url })
}

fn text(value: &Value, name: &str) -> anyhow::Result<String> {
    value.get(name).and_then(Value::as_str).map(String::from).ok_or_else(|| anyhow!("{name} is missing"))
}

fn key_schema(elements: Option<&Value>) -> anyhow::Result<Vec<KeySchemaElement>> {
    let mut schema = Vec::new();
    for element in elements.and_then(Value::as_sequence).into_iter().flatten() {
        schema.push(
            KeySchemaElement::builder()
                .attribute_name(text(element, "AttributeName")?)
                .key_type(KeyType::from(text(element, "KeyType")?.as_str()))
                .build()?,
        );
    }
    Ok(schema)
}

async fn create_table(sdk: &aws_config::SdkConfig, template: &mut Template) -> anyhow::Result<(String, String)> {
    let spec = template.table()?;
    let props = &spec.properties;
    let name = format!("{}-{}", template.stack_name(), spec.logical_id);
    let mut definitions = Vec::new();
    for definition in props.get("AttributeDefinitions").and_then(Value::as_sequence).into_iter().flatten() {
        definitions.push(
            AttributeDefinition::builder()
                .attribute_name(text(definition, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(definition, "AttributeType")?.as_str()))
                .build()?,
        );
    }
    let mut indexes = Vec::new();
    for index in props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence).into_iter().flatten() {
        let projection = index.get("Projection").and_then(|p| p.get("ProjectionType")).and_then(Value::as_str);
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(text(index, "IndexName")?)
                .set_key_schema(Some(key_schema(index.get("KeySchema"))?))
                .projection(
                    Projection::builder().projection_type(ProjectionType::from(projection.unwrap_or("ALL"))).build(),
                )
                .build()?,
        );
    }
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let mut request = dynamodb
        .create_table()
        .table_name(&name)
        .set_attribute_definitions(Some(definitions))
        .set_key_schema(Some(key_schema(props.get("KeySchema"))?))
        .billing_mode(BillingMode::PayPerRequest);
    if !indexes.is_empty() {
        request = request.set_global_secondary_indexes(Some(indexes));
    }
    if let Some(view) = props.get("StreamSpecification").and_then(|s| s.get("StreamViewType")).and_then(Value::as_str) {
        request = request.stream_specification(
            StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::from(view)).build()?,
        );
    }
    let created = request.send().await.context("CreateTable")?;
    let description = created.table_description.ok_or_else(|| anyhow!("CreateTable answered no table"))?;
    let arn = description.table_arn.clone().unwrap_or_default();
    let stream_arn = description.latest_stream_arn.clone().unwrap_or_default();
    if let Some(ttl) = props.get("TimeToLiveSpecification")
        && ttl.get("Enabled").and_then(Value::as_bool) == Some(true)
    {
        let spec =
            TimeToLiveSpecification::builder().enabled(true).attribute_name(text(ttl, "AttributeName")?).build()?;
        dynamodb.update_time_to_live().table_name(&name).time_to_live_specification(spec).send().await?;
    }
    template.set_ref(&spec.logical_id, name.clone());
    template.set_attr(&spec.logical_id, "Arn", arn);
    template.set_attr(&spec.logical_id, "StreamArn", stream_arn.clone());
    Ok((name, stream_arn))
}

async fn create_queues(
    sdk: &aws_config::SdkConfig,
    template: &mut Template,
) -> anyhow::Result<(HashMap<String, String>, HashMap<String, String>)> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut urls = HashMap::new();
    let mut arns: HashMap<String, String> = HashMap::new();
    for queue in template.queues()? {
        let name = format!("{}-{}", template.stack_name(), queue.logical_id);
        let mut request = sqs.create_queue().queue_name(&name);
        if let Some(visibility) = &queue.visibility_timeout {
            request = request.attributes(QueueAttributeName::VisibilityTimeout, visibility);
        }
        if let Some(retention) = &queue.retention {
            request = request.attributes(QueueAttributeName::MessageRetentionPeriod, retention);
        }
        if let Some((dlq, count)) = &queue.redrive {
            let target = arns.get(dlq).ok_or_else(|| anyhow!("{}: dead-letter queue {dlq} first", queue.logical_id))?;
            let policy = serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": count});
            request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let url = request.send().await.context("CreateQueue")?.queue_url.ok_or_else(|| anyhow!("no queue URL"))?;
        let arn = queue_arn(&sqs, &url).await?;
        template.set_ref(&queue.logical_id, url.clone());
        template.set_attr(&queue.logical_id, "Arn", arn.clone());
        template.set_attr(&queue.logical_id, "QueueName", name);
        urls.insert(queue.logical_id.clone(), url);
        arns.insert(queue.logical_id, arn);
    }
    Ok((urls, arns))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    let attributes =
        sqs.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await?;
    attributes
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| anyhow!("no ARN for {url}"))
}

/// The bucket, and a queue of the stack's that receives its object-created events under
/// every prefix a function of the template listens to.
async fn create_bucket(
    sdk: &aws_config::SdkConfig,
    template: &mut Template,
    front_door: &str,
) -> anyhow::Result<String> {
    let (logical_id, name) = template.bucket()?;
    let s3 = kyc_aws::s3_client(sdk);
    s3.create_bucket().bucket(&name).send().await.context("CreateBucket")?;
    s3.put_bucket_versioning()
        .bucket(&name)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await?;
    if let Some((methods, headers, max_age)) = template.bucket_cors() {
        let rule = CorsRule::builder()
            .set_allowed_methods(Some(methods))
            .set_allowed_headers(Some(headers))
            .allowed_origins(front_door)
            .set_max_age_seconds(max_age)
            .build()?;
        s3.put_bucket_cors()
            .bucket(&name)
            .cors_configuration(CorsConfiguration::builder().cors_rules(rule).build()?)
            .send()
            .await?;
    }
    template.set_ref(&logical_id, name.clone());
    template.set_attr(&logical_id, "Arn", format!("arn:aws:s3:::{name}"));

    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_name = format!("{}-s3-events", template.stack_name());
    let url = sqs.create_queue().queue_name(&queue_name).send().await?.queue_url.ok_or_else(|| anyhow!("no URL"))?;
    let arn = queue_arn(&sqs, &url).await?;
    let mut configurations = Vec::new();
    for function in template.functions()? {
        for event in &function.events {
            let Event::S3 { bucket, prefix } = event else { continue };
            if *bucket != logical_id {
                continue;
            }
            let filter = NotificationConfigurationFilter::builder()
                .key(
                    S3KeyFilter::builder()
                        .filter_rules(FilterRule::builder().name(FilterRuleName::Prefix).value(prefix).build())
                        .build(),
                )
                .build();
            configurations.push(
                QueueConfiguration::builder()
                    .id(format!("{}-{}", function.logical_id, configurations.len()))
                    .queue_arn(&arn)
                    .events(S3Event::from("s3:ObjectCreated:*"))
                    .filter(filter)
                    .build()?,
            );
        }
    }
    s3.put_bucket_notification_configuration()
        .bucket(&name)
        .notification_configuration(
            NotificationConfiguration::builder().set_queue_configurations(Some(configurations)).build(),
        )
        .send()
        .await
        .context("PutBucketNotificationConfiguration")?;
    Ok(url)
}

/// `KYC_API_KEYS` (`tenant:key[:actor[:role]],...`) as the table's key records, which the
/// authorizer reads; unset: a `dev` tenant with a random key, printed.
pub async fn provision_keys(sdk: &aws_config::SdkConfig, table_name: &str) -> anyhow::Result<()> {
    use kyc_app::ports::table::Table;
    let keys = match std::env::var("KYC_API_KEYS") {
        Ok(spec) => kyc_app::auth::parse_key_list(&spec).map_err(|e| anyhow!("KYC_API_KEYS: {e}"))?,
        Err(_) => {
            let key = format!("kyc_dev_{}", hex::encode(rand::random::<[u8; 24]>()));
            println!("dev tenant API key: {key}");
            let tenant = kyc_app::TenantId::parse("dev").ok_or_else(|| anyhow!("dev tenant"))?;
            vec![kyc_app::auth::KeySpec { key, actor: tenant.to_string(), tenant, role: kyc_app::auth::Role::Admin }]
        }
    };
    let table: Arc<dyn Table> =
        Arc::new(kyc_aws::DynamoTable::new(aws_sdk_dynamodb::Client::new(sdk), table_name.to_string()));
    let now = chrono::Utc::now();
    for key in &keys {
        table.transact(vec![kyc_app::auth::provision_key(key, now)?]).await?;
    }
    Ok(())
}
