//! Throughput of contact creation in one mailbox against the Graph emulator with Outlook's limits
//! scaled down (1,000 requests per 5 s window, 4 concurrent, 5 ms mailbox latency). Prints
//! figures; asserts nothing. Run: `cargo bench -p bridge-graph --bench contacts_throughput`.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bridge_graph::{GraphClient, GraphConfig, MailboxLimits, SecretString};
use graph_emulator::{Emulator, EmulatorConfig};
use serde_json::json;

const CONTACTS: usize = 3_000;
const TASKS: usize = 32;
const LATENCY: Duration = Duration::from_millis(5);

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let limits = MailboxLimits {
        max_concurrency: 4,
        requests_per_window: 1_000,
        window: Duration::from_secs(5),
    };
    let emu = Emulator::start(EmulatorConfig {
        max_concurrency: limits.max_concurrency,
        rate_limit: limits.requests_per_window,
        rate_window: limits.window,
        mailbox_latency: LATENCY,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    emu.add_tenant("t");
    emu.add_app("t", "app", "secret").unwrap();
    let user = emu.add_user("t", "Bench", "bench@contoso.test").unwrap();
    let mut config = GraphConfig::new(
        emu.base_url(),
        emu.token_url("t"),
        "app",
        SecretString::from("secret"),
    );
    config.limits = limits;
    let client = GraphClient::new(config).unwrap();
    // token outside the measurement
    client.get_user(&user.id).await.unwrap();

    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for t in 0..TASKS {
        let c = client.clone();
        let u = user.id.clone();
        set.spawn(async move {
            for i in (t..CONTACTS).step_by(TASKS) {
                c.create_contact(&u, None, &json!({ "displayName": format!("c-{i}") }))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();

    let requests = emu.request_count(&user.id);
    let achieved = requests as f64 / elapsed;
    let bound = f64::from(limits.requests_per_window) / limits.window.as_secs_f64();
    let created = emu.contacts(&user.id, None).unwrap().len();
    println!("contacts_throughput: {CONTACTS} contacts, {TASKS} caller tasks");
    println!(
        "  emulator limits    : {} req / {:?} window, {} concurrent, 5 ms mailbox latency",
        limits.requests_per_window, limits.window, limits.max_concurrency
    );
    println!("  contacts created   : {created}");
    println!("  mailbox requests   : {requests}");
    println!("  elapsed            : {elapsed:.2} s");
    println!("  achieved           : {achieved:.1} req/s");
    println!("  throttle bound     : {bound:.1} req/s");
    println!("  achieved / bound   : {:.3}", achieved / bound);
    // Fastest schedule the limits allow: request k may start once request k - limit is a window
    // old, and at most `max_concurrency` run at once for `LATENCY` each. Over a short run the
    // first window's whole budget is available at once, so achieved/bound can exceed 1.
    let per_window = limits.requests_per_window as usize;
    let full_windows = (CONTACTS - 1) / per_window;
    let tail = CONTACTS - full_windows * per_window;
    let ideal = (limits.window.as_secs_f64() * full_windows as f64
        + tail as f64 * LATENCY.as_secs_f64() / f64::from(limits.max_concurrency))
    .max(CONTACTS as f64 * LATENCY.as_secs_f64() / f64::from(limits.max_concurrency));
    println!("  ideal elapsed      : {ideal:.2} s (fastest schedule within the limits)");
    println!("  ideal / elapsed    : {:.3}", ideal / elapsed);
    println!("  429s               : {}", emu.throttled_count(&user.id));
    println!(
        "  max concurrency    : {}",
        emu.max_concurrency_seen(&user.id)
    );
}
