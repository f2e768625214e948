//! What an SDK failure means, for every adapter alike: the caller's mistake (a bad
//! request, named by its error code) or the service's trouble (throttling, outage,
//! transport). Only codes and, where asked, the service's message are kept: a message
//! about a call that carried a body could quote it.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

pub(crate) enum Fault {
    /// The request was wrong: retrying it as it is will not help.
    Caller(String),
    /// The service could not answer now.
    Service(String),
}

/// Classifies a failed `operation`: codes in `caller_codes` (or ending in `.{code}`,
/// as SQS's JSON protocol names them) are the caller's fault.
pub(crate) fn classify<E, R>(operation: &str, err: &SdkError<E, R>, caller_codes: &[&str], with_message: bool) -> Fault
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) => {
            let code = service.code().unwrap_or("unknown");
            let text = match (with_message, service.message()) {
                (true, Some(message)) => format!("{operation}: {code}: {message}"),
                _ => format!("{operation}: {code}"),
            };
            let caller_fault = caller_codes.iter().any(|c| code == *c || code.ends_with(&format!(".{c}")));
            if caller_fault { Fault::Caller(text) } else { Fault::Service(text) }
        }
        // Transport and dispatch failures: their context names no request content.
        None => Fault::Service(format!("{operation}: {}", DisplayErrorContext(err))),
    }
}
