//! What one process pays for the trusted roots of the SDK's HTTPS client, once, at its
//! first AWS call (the cold-init benchmark runs it in fresh processes):
//! `tls-roots platform` reads and parses the platform's store as the SDK's default does
//! (`rustls-native-certs`); `tls-roots compiled` parses the compiled-in bundle that
//! `kyc_aws::https_client` gives the SDK. Prints the roots taken and the microseconds.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let started = std::time::Instant::now();
    let mut roots = rustls::RootCertStore::empty();
    match which.as_str() {
        "platform" => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
        "compiled" => {
            let pem = kyc_aws::compiled_roots_pem();
            for cert in CertificateDer::pem_slice_iter(&pem).flatten() {
                let _ = roots.add(cert);
            }
        }
        _ => {
            eprintln!("usage: tls-roots platform|compiled");
            std::process::exit(2);
        }
    }
    println!("{} {}", roots.len(), started.elapsed().as_micros());
}
