//! Structured JSON logs via `tracing`. Every request and message runs in a span carrying its
//! request id, tenant and operation, and JSON output includes the current span's fields, so each
//! line can be traced to one request. Tokens, document contents and personal data are never
//! logged: handlers log ids, not values.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::config::LogFormat;

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output (Lambda: CloudWatch reads it).
    Stdout,
    /// Standard error (the local runner keeps stdout for its own announcements).
    Stderr,
}

/// Installs the global subscriber. Level from `RUST_LOG` (default `info`). Safe to call twice:
/// the second call does nothing (tests may start several apps in one process).
pub fn init(format: LogFormat, target: LogTarget) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let writer = match target {
        LogTarget::Stdout => BoxMakeWriter::new(std::io::stdout),
        LogTarget::Stderr => BoxMakeWriter::new(std::io::stderr),
    };
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .try_init(),
        LogFormat::Pretty => builder.with_writer(writer).try_init(),
    };
}
