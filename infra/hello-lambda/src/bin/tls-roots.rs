//! What one process pays for the trusted roots of an HTTPS client, once: the cold-init
//! benchmark runs it in fresh processes. `tls-roots platform` reads and parses the
//! platform's store as the SDK's HTTPS client does at its first AWS call
//! (`rustls-native-certs`); `tls-roots compiled` parses Mozilla's roots compiled into the
//! binary (`webpki-root-certs`), the alternative kyc_aws does not take (it would add
//! about 98 KB to every zip). Prints the roots taken and the microseconds.

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let started = std::time::Instant::now();
    let mut roots = rustls::RootCertStore::empty();
    match which.as_str() {
        "platform" => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        "compiled" => {
            roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
        }
        _ => {
            eprintln!("usage: tls-roots platform|compiled");
            std::process::exit(2);
        }
    }
    println!("{} {}", roots.len(), started.elapsed().as_micros());
}
