//! `kyc-local`: the whole KYC API in one process on an embedded store, no AWS account.
//!
//! Composition root only: read the configuration, open the store, provision keys, serve.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use kyc_app::auth::{KeySpec, Role, StaticKeys, parse_key_list, provision_key};
use kyc_app::ports::screening::{ListScreening, LoadedList};
use kyc_app::ports::table::Table;
use kyc_app::ports::{Clock, NoVerifier, SystemClock, UuidV7Ids, Verifier};
use kyc_app::scoring::{DEFAULT_MAX_DOCUMENT_BYTES, RiskRules, SCREENING_THRESHOLD_PERCENT, Scoring};
use kyc_app::sealing::MasterKey;
use kyc_app::webhooks::sender::Sender;
use kyc_app::{Deps, TenantId};
use kyc_aws::{DnsResolver, HttpTransport};
use kyc_domain::ssrf::Mode;
use kyc_domain::verification::FaceMatchThreshold;
use kyc_domain::webhook::RetrySchedule;
use kyc_embedded::{LocalObjects, LocalQueue, SqliteTable};
use kyc_http::{Api, BearerKeys};

mod objects;
mod workers;

/// Runs the KYC API locally on an embedded SQLite store.
#[derive(Debug, Parser)]
#[command(name = "kyc-local", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "KYC_PORT", default_value_t = 3000)]
    port: u16,
    /// Where the database and documents live; survives restarts.
    #[arg(long, env = "KYC_DATA_DIR", default_value = "./.kyc-local")]
    data_dir: PathBuf,
    /// Address to bind. Loopback unless you mean to expose it.
    #[arg(long, env = "KYC_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Largest document accepted, in bytes.
    #[arg(long, env = "KYC_MAX_DOCUMENT_BYTES", default_value_t = DEFAULT_MAX_DOCUMENT_BYTES)]
    max_document_bytes: u64,
    /// A sanctions / PEP list in OpenSanctions `targets.simple.csv` shape (default: a
    /// small synthetic sample).
    #[arg(long, env = "KYC_SCREENING_LIST")]
    screening_list: Option<PathBuf>,
    /// Seconds a lead may stay not_started / in_progress before a follow-up is due.
    #[arg(long, env = "KYC_FOLLOW_UP_AFTER", default_value_t = kyc_domain::lead::followup::DEFAULT_DELAY_SECONDS)]
    follow_up_after: i64,
    /// Seconds between runs of the follow-up job.
    #[arg(long, env = "KYC_FOLLOW_UP_INTERVAL", default_value_t = 60)]
    follow_up_interval: u64,
    /// Webhook retry delays in seconds, comma-separated (default 5 s, 5 min, 30 min, 2 h,
    /// 5 h, 10 h, 10 h).
    #[arg(long, env = "KYC_WEBHOOK_RETRY_SCHEDULE")]
    webhook_retry_schedule: Option<String>,
    /// The URL clients reach this process at, for signed upload links (default: the
    /// bound address).
    #[arg(long, env = "KYC_PUBLIC_URL")]
    public_url: Option<String>,
    /// Who reads documents and faces: `none` (nothing is machine-read, so no identity
    /// is approved automatically) or `aws` (Amazon Textract and Rekognition, with the
    /// ordinary AWS credential chain; `AWS_ENDPOINT_URL_TEXTRACT` /
    /// `AWS_ENDPOINT_URL_REKOGNITION` are honoured).
    #[arg(long, env = "KYC_VERIFIER", default_value = "none")]
    verifier: VerifierChoice,
    /// Similarity (percent, 80 to 100) at or above which a selfie matches its identity
    /// document.
    #[arg(long, env = "KYC_FACE_MATCH_THRESHOLD", default_value = "95", value_parser = parse_threshold)]
    face_match_threshold: FaceMatchThreshold,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum VerifierChoice {
    None,
    Aws,
}

fn parse_threshold(text: &str) -> Result<FaceMatchThreshold, String> {
    FaceMatchThreshold::parse(text)
}

const DEV_KEY_FILE: &str = "dev-api-key";

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Builds the compact index of a screening list (`targets.simple.csv`), for
    /// `KYC_SCREENING_LIST` here or `ScreeningListKey` on AWS, and exits.
    ScreeningIndex { csv: PathBuf, out: PathBuf },
}

/// `kyc-local screening-index CSV OUT`: the paged index, written to a file beside
/// `OUT` and renamed into place, so that a failed build never leaves half an index.
fn build_screening_index(csv: &Path, out: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(csv).with_context(|| format!("cannot read {}", csv.display()))?;
    let list = kyc_domain::risk::screening::parse_targets_simple(std::io::BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("screening list: {e}"))?;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut partial =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut writer = std::io::BufWriter::new(partial.as_file_mut());
    let bytes = list.write_paged_index(&mut writer).with_context(|| format!("cannot write {}", out.display()))?;
    writer.flush().with_context(|| format!("cannot write {}", out.display()))?;
    drop(writer);
    partial.as_file().sync_all().with_context(|| format!("cannot write {}", out.display()))?;
    partial.persist(out).map_err(|e| anyhow::anyhow!("cannot write {}: {}", out.display(), e.error))?;
    println!("{} entries indexed into {} ({bytes} bytes)", list.len(), out.display());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(Command::ScreeningIndex { csv, out }) = &args.command {
        return build_screening_index(csv, out);
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data dir {}", args.data_dir.display()))?;

    let table = SqliteTable::open(&args.data_dir.join("kyc.sqlite3")).context("cannot open the store")?;
    let clock = SystemClock;

    let keys = api_keys(&args.data_dir)?;
    // The hashes also go to the table, where the Lambda authorizer would look them up.
    let writes = keys
        .iter()
        .map(|spec| provision_key(spec, clock.now()))
        .collect::<Result<Vec<_>, _>>()
        .context("cannot provision API keys")?;
    table.transact(writes).await.context("cannot provision API keys")?;

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let secret = secret_of(&args.data_dir)?;
    let objects =
        LocalObjects::new(args.data_dir.join("objects"), public_url.trim_end_matches('/').to_string(), &secret)
            .map_err(|e| anyhow::anyhow!("object store: {e}"))?;
    // A long-running process refuses a bad list at start-up, not at the first lead write
    // (Lambda loads it on first use, to keep cold starts short). A paged index is
    // checked whole and queried in place; a CSV or `KYCSIDX1` index is read into memory.
    let list = match &args.screening_list {
        Some(path) => {
            Some(LoadedList::open(path).map_err(|e| anyhow::anyhow!("KYC_SCREENING_LIST {}: {e}", path.display()))?)
        }
        None => None,
    };
    let verifier: Arc<dyn Verifier> = match args.verifier {
        VerifierChoice::None => Arc::new(NoVerifier),
        VerifierChoice::Aws => aws_verifier().await?,
    };
    // One screening list for lead writes and the scorer, loaded on its first use.
    let risk = Arc::new(match list {
        Some(list) => RiskRules::new(Arc::new(ListScreening { list, threshold_percent: SCREENING_THRESHOLD_PERCENT })),
        None => RiskRules::shipped_sample(),
    });
    let scoring = Arc::new(
        Scoring::screened_by(args.max_document_bytes, risk.screening.clone())
            .with_verifier(verifier, args.face_match_threshold),
    );
    let schedule = match &args.webhook_retry_schedule {
        Some(spec) => RetrySchedule::parse(spec).map_err(|e| anyhow::anyhow!("KYC_WEBHOOK_RETRY_SCHEDULE: {e}"))?,
        None => RetrySchedule::default(),
    };
    let queue = Arc::new(
        LocalQueue::open(&args.data_dir.join("queue.sqlite3"), schedule.max_attempts())
            .map_err(|e| anyhow::anyhow!("deliveries queue: {e}"))?,
    );
    // This process is the queue's only consumer: what a previous run held when it
    // stopped is delivered now, not after its visibility timeout.
    let released = queue.release_leases().await.map_err(|e| anyhow::anyhow!("deliveries queue: {e}"))?;
    if released > 0 {
        tracing::info!(released, "deliveries held by the previous run released");
    }
    let clock: Arc<dyn Clock> = Arc::new(clock);
    let deps = Deps {
        table: Arc::new(table.clone()),
        clock: clock.clone(),
        ids: Arc::new(UuidV7Ids),
        objects: Arc::new(objects.clone()),
        queue: queue.clone(),
        resolver: Arc::new(DnsResolver),
        mode: Mode::Local,
        risk,
        keys: Arc::new(master_key(&args.data_dir)?),
        sumsub: Arc::new(kyc_aws::SumsubClient::from_env().map_err(|e| anyhow::anyhow!("Sumsub: {e}"))?),
    };
    let auth = Arc::new(BearerKeys(Arc::new(StaticKeys::new(&keys))));
    let transport = HttpTransport::new(Mode::Local).map_err(|e| anyhow::anyhow!("webhook client: {e}"))?;
    let sender = Sender { transport: Arc::new(transport), schedule };
    tokio::spawn(workers::sweep(table.clone(), clock.clone()));
    tokio::spawn(workers::relay(table, deps.clone()));
    tokio::spawn(workers::send(queue, deps.clone(), sender));
    if args.follow_up_after < 1 || args.follow_up_interval < 1 {
        anyhow::bail!("KYC_FOLLOW_UP_AFTER and KYC_FOLLOW_UP_INTERVAL must be at least 1 second");
    }
    tokio::spawn(workers::follow_ups(
        deps.clone(),
        chrono::TimeDelta::seconds(args.follow_up_after),
        std::time::Duration::from_secs(args.follow_up_interval),
    ));
    // The local "S3 ObjectCreated" event: score each stored upload, or run the import
    // of an import's file, in the background (as the scorer and the importer on AWS).
    let scorer = deps.clone();
    let on_created: objects::OnCreated = Arc::new(move |key: String| {
        let (deps, scoring) = (scorer.clone(), scoring.clone());
        if key.starts_with("imports/") {
            tokio::spawn(async move { workers::import(&deps, &key).await });
        } else {
            tokio::spawn(async move { workers::score(&deps, &scoring, &key).await });
        }
    });
    let mut app = kyc_http::router(Api { deps, auth }).merge(objects::router(objects::ObjectRoutes {
        objects,
        clock,
        on_created,
    }));
    if let Some(url) = &args.public_url {
        // The served OpenAPI document names this URL in `servers`.
        app = app.layer(axum::Extension(kyc_http::PublicUrl(url.trim_end_matches('/').to_string())));
    }
    // Printed on stdout for people and for tests that start us on port 0.
    println!("kyc-local listening on http://{addr}");
    println!("tenants: {}", keys.iter().map(|k| k.tenant.as_str()).collect::<Vec<_>>().join(", "));
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await.context("server failed")?;
    Ok(())
}

/// Textract and Rekognition, sent the files' bytes (the local store is not S3).
async fn aws_verifier() -> anyhow::Result<Arc<dyn Verifier>> {
    let sdk = kyc_aws::sdk_config().await;
    kyc_aws::ensure_offered(sdk.region().map(|r| r.as_ref()), kyc_aws::EndpointOverrides::from_env())
        .map_err(|e| anyhow::anyhow!("KYC_VERIFIER=aws: {e}"))?;
    Ok(Arc::new(kyc_aws::AwsVerifier::new(&sdk, kyc_aws::FileAccess::Bytes)))
}

/// The key that signs local object URLs, kept in the data dir so links survive restarts.
fn secret_of(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(key_file(data_dir, "object-signing-key")?.to_vec())
}

/// The master key that seals webhook signing secrets at rest (KMS's part on AWS): the
/// store holds them only sealed, and this file, not the store, opens them.
fn master_key(data_dir: &Path) -> anyhow::Result<MasterKey> {
    Ok(MasterKey::new(key_file(data_dir, "secrets-master-key")?))
}

/// A 256-bit key kept in the data dir (hex, owner-only), made on the first start.
fn key_file(data_dir: &Path, name: &str) -> anyhow::Result<[u8; 32]> {
    let path = data_dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => hex::decode(text.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .with_context(|| format!("{} is not 64 hex digits", path.display())),
        Err(_) => {
            let key = rand::random::<[u8; 32]>();
            write_private(&path, &hex::encode(key))?;
            Ok(key)
        }
    }
}

/// `KYC_API_KEYS` when set; otherwise a `dev` tenant whose key is kept in the data dir.
fn api_keys(data_dir: &Path) -> anyhow::Result<Vec<KeySpec>> {
    if let Ok(spec) = std::env::var("KYC_API_KEYS") {
        let keys = parse_key_list(&spec).map_err(|e| anyhow::anyhow!("KYC_API_KEYS: {e}"))?;
        if keys.is_empty() {
            bail!("KYC_API_KEYS is set but names no tenant:key pair");
        }
        return Ok(keys);
    }
    let path = data_dir.join(DEV_KEY_FILE);
    let key = match std::fs::read_to_string(&path) {
        Ok(key) => key.trim().to_string(),
        Err(_) => {
            let key = format!("kyc_dev_{}", hex::encode(rand::random::<[u8; 24]>()));
            write_private(&path, &key)?;
            key
        }
    };
    println!("dev tenant API key: {key}  (kept in {})", path.display());
    let tenant = TenantId::parse("dev").context("dev tenant")?;
    Ok(vec![KeySpec { key, actor: tenant.to_string(), tenant, role: Role::Admin }])
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
