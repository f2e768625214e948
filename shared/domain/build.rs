//! Compiles the disposable e-mail domains of the `mailchecker` crate (a build
//! dependency) into one sorted, newline-separated text that `risk::disposable_email`
//! embeds. The crate keeps its ~55,000 domains as a static array of string slices: two
//! pointers and a relocation per entry, about 2 MB in every function that scores a lead.
//! One text costs only its bytes.

use std::path::PathBuf;

fn main() {
    let mut domains: Vec<String> = mailchecker::blacklist().iter().map(|d| d.trim().to_ascii_lowercase()).collect();
    domains.retain(|d| !d.is_empty() && !d.contains('\n'));
    domains.sort();
    domains.dedup();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("disposable-domains.txt");
    std::fs::write(&out, domains.join("\n")).expect("the domain list is written");
    println!("cargo::rerun-if-changed=build.rs");
}
