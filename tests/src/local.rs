//! Starts `kyc-local` as a child process on a free port, for black-box tests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `kyc-local`; stopped (by its own PID) when dropped.
pub struct LocalStack {
    child: Child,
    pub base_url: String,
}

/// The `kyc-local` binary cargo built for this test run.
pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("KYC_LOCAL_BIN") {
        return PathBuf::from(path);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| workspace.join("target"));
    let path = target.join("debug").join("kyc-local");
    if !path.exists() {
        // `cargo test --workspace` builds it; a narrower run may not have.
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "kyc-local"])
            .current_dir(&workspace)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building kyc-local failed");
    }
    path
}

impl LocalStack {
    /// Starts on port 0 (a free port) with the given data dir and API keys, and waits
    /// until it says where it listens.
    pub fn start(data_dir: &std::path::Path, api_keys: &str) -> LocalStack {
        Self::start_with(data_dir, api_keys, &[])
    }

    /// As `start`, with more environment (e.g. `KYC_WEBHOOK_RETRY_SCHEDULE`).
    pub fn start_with(data_dir: &std::path::Path, api_keys: &str, env: &[(&str, &str)]) -> LocalStack {
        Self::start_with_binary(&binary(), data_dir, api_keys, env)
    }

    /// As `start_with`, running this `kyc-local` binary (a benchmark picks its build).
    pub fn start_with_binary(
        binary: &std::path::Path,
        data_dir: &std::path::Path,
        api_keys: &str,
        env: &[(&str, &str)],
    ) -> LocalStack {
        let mut child = Command::new(binary)
            .args(["--port", "0", "--data-dir"])
            .arg(data_dir)
            .envs(env.iter().copied())
            .env("KYC_API_KEYS", api_keys)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kyc-local starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let base_url = loop {
            assert!(Instant::now() < deadline, "kyc-local did not report its address in time");
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("kyc-local listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("kyc-local exited before listening"),
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        LocalStack { child, base_url }
    }

    /// Stops the process (SIGKILL) and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.stop();
    }
}
