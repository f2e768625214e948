//! `kyc-lambda-stack`: the deployed shape on one machine. Creates in moto what
//! `template.yaml` declares, runs every function's `bootstrap` under a Lambda Runtime
//! API, and answers on `127.0.0.1:PORT` as API Gateway would, while playing the event
//! sources. Started by `infra/scripts/lambda-stack.sh` (which starts moto and builds the
//! functions); stops everything it started on SIGTERM.

mod gateway;
mod resources;
mod runtime;
mod sources;
mod template;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use template::{Event, Template};

#[derive(Parser)]
#[command(about = "template.yaml's functions on moto, behind an API Gateway of their own")]
struct Args {
    /// Port of the front door on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// moto's endpoint (http://127.0.0.1:PORT).
    #[arg(long, env = "KYC_STACK_MOTO_URL")]
    moto: String,
    /// The SAM template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Where the function binaries are (target/debug).
    #[arg(long)]
    bin_dir: PathBuf,
    /// The stack's name (resource names and `AWS::StackName`).
    #[arg(long, default_value = "kyc")]
    stack_name: String,
}

/// The stack's variables that reach every function (the same as `kyc-local` reads), on
/// top of what the template sets.
const PASSED_ON: &[&str] = &[
    "KYC_FOLLOW_UP_AFTER",
    "KYC_WEBHOOK_RETRY_SCHEDULE",
    "KYC_FACE_MATCH_THRESHOLD",
    "KYC_ALLOW_LOOPBACK_WEBHOOKS",
    "AWS_ENDPOINT_URL_TEXTRACT",
    "AWS_ENDPOINT_URL_REKOGNITION",
    "RUST_LOG",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let args = Args::parse();
    let text =
        std::fs::read_to_string(&args.template).with_context(|| format!("reading {}", args.template.display()))?;
    let mut template = Template::parse(&text, &args.stack_name)?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await.context("binding the front door")?;
    let front_door = format!("http://{}", listener.local_addr()?);

    let sdk = resources::sdk_config(&args.moto).await;
    let created = resources::create(&sdk, &mut template, &front_door).await?;
    resources::provision_keys(&sdk, &created.table_name).await?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut functions: HashMap<String, runtime::Function> = HashMap::new();
    let specs = template.functions()?;
    for spec in &specs {
        let mut env = spec.env.clone();
        env.extend(sandbox_env(&args.moto, &front_door));
        // Each function signs with its own access key id, its logical id: moto's request
        // recording then says which function made each call (or signed each presigned
        // URL), and infra/scripts/check-iam.py compares that with the function's role.
        env.insert("AWS_ACCESS_KEY_ID".into(), spec.logical_id.clone());
        let function = runtime::Function::start(
            runtime::Spec {
                name: spec.binary.clone(),
                binary: args.bin_dir.join(&spec.binary),
                env,
                timeout_seconds: spec.timeout_seconds,
                memory_mb: spec.memory_mb,
            },
            stopped.clone(),
        )
        .await?;
        functions.insert(spec.logical_id.clone(), function);
    }

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut routes = Vec::new();
    let mut s3_targets = Vec::new();
    for spec in &specs {
        let function = functions[&spec.logical_id].clone();
        let on_failure_url = spec.on_failure_queue.as_ref().and_then(|q| created.queue_urls.get(q).cloned());
        for event in &spec.events {
            match event {
                Event::HttpApi { method, path, authorized } => routes.push(gateway::Route {
                    method: method.clone(),
                    path: path.clone(),
                    authorized: *authorized,
                    function: spec.logical_id.clone(),
                }),
                Event::S3 { prefix, .. } => s3_targets.push(sources::S3Target {
                    function: function.clone(),
                    prefix: prefix.clone(),
                    retries: spec.async_retries,
                    on_failure_url: on_failure_url.clone(),
                }),
                Event::DynamoDb(source) => {
                    let on_failure = source.on_failure_queue.as_ref().and_then(|q| created.queue_urls.get(q).cloned());
                    tokio::spawn(sources::play_stream(
                        aws_sdk_dynamodbstreams::Client::new(&sdk),
                        sqs.clone(),
                        created.stream_arn.clone(),
                        function.clone(),
                        source.clone(),
                        on_failure,
                    ));
                }
                Event::Sqs { queue, batch_size, report_failures } => {
                    let url = created.queue_urls.get(queue).cloned().context("an SQS source of no queue")?;
                    let arn = created.queue_arns.get(queue).cloned().unwrap_or_default();
                    tokio::spawn(sources::play_sqs(
                        sqs.clone(),
                        url,
                        arn,
                        function.clone(),
                        *batch_size,
                        *report_failures,
                    ));
                }
                Event::Schedule { expression } => {
                    let every = match std::env::var("KYC_FOLLOW_UP_INTERVAL") {
                        Ok(v) if !v.is_empty() => v.parse::<u64>().context("KYC_FOLLOW_UP_INTERVAL: whole seconds")?,
                        _ => sources::rate_seconds(expression).context("only rate() schedules are played")?,
                    };
                    let name = format!("{}-{}", args.stack_name, spec.binary);
                    tokio::spawn(sources::play_schedule(function.clone(), Duration::from_secs(every.max(1)), name));
                }
            }
        }
    }
    if !s3_targets.is_empty() {
        tokio::spawn(sources::play_s3(sqs.clone(), created.s3_events_queue_url.clone(), s3_targets));
    }

    let authorizer = template.authorizer()?;
    let gateway = Arc::new(gateway::Gateway::new(routes, functions, authorizer));
    println!("lambda-stack listening on {front_door}");
    println!("lambda-stack uploads to {}", args.moto);
    axum::serve(listener, gateway::router(gateway)).with_graceful_shutdown(terminated()).await?;
    // Every supervisor kills its process; give them a moment to.
    let _ = stop.send(true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(())
}

/// What every sandbox gets besides the template's variables: moto as every AWS
/// endpoint, dummy credentials (the access key id is then the function's logical id),
/// the region, and the stack's own variables.
fn sandbox_env(moto: &str, front_door: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (name, value) in [
        ("AWS_ENDPOINT_URL", moto),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", template::REGION),
        ("AWS_DEFAULT_REGION", template::REGION),
        // Upload URLs point at moto's S3; the hosted page may upload there.
        ("KYC_UPLOAD_ORIGIN", moto),
        ("KYC_PUBLIC_URL", front_door),
    ] {
        env.insert(name.to_string(), value.to_string());
    }
    // Documents are not machine-read unless asked for (the same default as kyc-local).
    env.insert("KYC_VERIFIER".into(), std::env::var("KYC_VERIFIER").unwrap_or_else(|_| "none".into()));
    for (name, value) in std::env::vars() {
        if PASSED_ON.contains(&name.as_str()) || name.starts_with("KYC_SUMSUB_") {
            env.insert(name, value);
        }
    }
    env
}

async fn terminated() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    // A caller that holds our stdin (a test) stops us by going away.
    let orphaned = async {
        if std::env::var("LAMBDA_STACK_STOP_ON_EOF").as_deref() == Ok("1") {
            let (closed, eof) = tokio::sync::oneshot::channel::<()>();
            // A plain thread: a blocked read must not hold the runtime's shutdown.
            std::thread::spawn(move || {
                use std::io::Read;
                let mut sink = [0u8; 256];
                while std::io::stdin().read(&mut sink).is_ok_and(|n| n > 0) {}
                let _ = closed.send(());
            });
            let _ = eof.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
        () = orphaned => {}
    }
}
