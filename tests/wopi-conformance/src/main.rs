//! `wopi-conformance`: runs the WOPI validator's `TestCases.xml` against a WOPI host and
//! prints a report. Exit code 0 = no failure and at least one case passed; 1 = a case failed,
//! no case passed at all (e.g. the host is unreachable, so every prerequisite failed), or a
//! case was skipped with `--fail-on-skipped` (the official CLI's default); 2 = bad arguments,
//! unknown group/case name, or unloadable test definitions.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wopi_conformance::{Category, Filter, Runner, Suite, Target};

const DEFAULT_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/wopi-validator/TestCases.xml"
);

/// Run Microsoft's WOPI validator test cases against a WOPI host.
#[derive(Debug, Parser)]
#[command(name = "wopi-conformance", version)]
struct Args {
    /// WopiSrc URL of a file whose name ends with `.wopitest`.
    #[arg(short = 'w', long = "wopisrc")]
    wopisrc: String,
    /// Access token for that file.
    #[arg(short = 't', long, env = "WOPI_ACCESS_TOKEN", hide_env_values = true)]
    token: String,
    /// access_token_ttl sent with every request (Unix milliseconds, 0 = unknown).
    #[arg(short = 'l', long, alias = "token_ttl")]
    ttl: u64,
    /// Run only this test group (repeatable).
    #[arg(short = 'g', long = "group")]
    groups: Vec<String>,
    /// Run only this test case (repeatable).
    #[arg(short = 'n', long = "name")]
    names: Vec<String>,
    /// Category filter: All, WopiCore, OfficeOnline, OfficeNativeClient or WopiCoauth
    /// (WopiCore cases always run).
    #[arg(short = 'e', long, default_value = "All", value_parser = parse_category)]
    category: Category,
    /// Path to the test definitions (JSON schemas are read from `JsonSchemas/` next to it).
    #[arg(short = 'c', long, env = "WOPI_VALIDATOR_CONFIG", default_value = DEFAULT_CONFIG)]
    config: PathBuf,
    /// Run groups that use delays (CoauthLockExpiration).
    #[arg(short = 'd', long = "include-delay-tests")]
    include_delay_tests: bool,
    /// Also exit with 1 when a case was skipped (the official CLI's default).
    #[arg(long)]
    fail_on_skipped: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

fn parse_category(text: &str) -> Result<Category, String> {
    Category::parse(text).ok_or_else(|| format!("unknown category '{text}'"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let suite = match Suite::load(&args.config) {
        Ok(suite) => suite,
        Err(e) => {
            eprintln!("wopi-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    // a mistyped --group / --name would otherwise select nothing and exit 0
    let unknown_group = args.groups.iter().find(|g| suite.group(g).is_none());
    let unknown_name = args.names.iter().find(|n| {
        !suite
            .groups
            .iter()
            .flat_map(|g| &g.cases)
            .any(|c| &c.name == *n)
    });
    if let Some(group) = unknown_group {
        eprintln!("wopi-conformance: no test group named {group}");
        return ExitCode::from(2);
    }
    if let Some(name) = unknown_name {
        eprintln!("wopi-conformance: no test case named {name}");
        return ExitCode::from(2);
    }
    let http = match Runner::client(Duration::from_secs(args.timeout_secs)) {
        Ok(http) => http,
        Err(e) => {
            eprintln!("wopi-conformance: cannot build the HTTP client: {e}");
            return ExitCode::from(2);
        }
    };
    let target = Target {
        wopi_src: args.wopisrc,
        access_token: args.token,
        access_token_ttl: args.ttl,
    };
    let filter = Filter {
        groups: (!args.groups.is_empty()).then_some(args.groups),
        test_names: (!args.names.is_empty()).then_some(args.names),
        category: args.category,
        include_delay_tests: args.include_delay_tests,
    };
    let report = Runner::new(http, target).run(&suite, &filter).await;
    report.print();
    let nothing_passed = report.totals().passed == 0;
    if nothing_passed {
        eprintln!(
            "wopi-conformance: no test case passed (is the host reachable? see the skip reasons)"
        );
    }
    if report.has_failures() || nothing_passed || (args.fail_on_skipped && report.has_skips()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
