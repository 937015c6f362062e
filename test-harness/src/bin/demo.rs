//! The demo: what a coalesced request gets from two Gateways sharing one certificate,
//! without sni-guard, with it (strict), and in log_only mode; then how to try it by hand.
//!
//!   cargo run -p sni-guard-harness --bin demo                  # runs unattended, then exits
//!   cargo run -p sni-guard-harness --bin demo -- migrate       # the log_only -> strict switch alone
//!   cargo run -p sni-guard-harness --bin demo -- serve [none|strict|log_only] [--port N]
//!
//! `migrate` switches a running Envoy from log_only to strict through ECDS, as Istio does.
//! `serve` keeps Envoy running on 127.0.0.1:8443 (or N) with the demo certificates until
//! Ctrl-C, for curl and a browser.

use clap::{Parser, Subcommand, ValueEnum};
use sni_guard_harness::envoy::gateway::{Gateway, Outcome};
use sni_guard_harness::envoy::topology::{CONTAINER_PORT, Filter, Topology};
use sni_guard_harness::{Result, default_version, demo, istio::migrate};

/// What a coalesced request gets from two Gateways sharing one certificate, without
/// sni-guard, with it (strict) and in log_only mode; the live switch; Chromium. Runs
/// unattended without a command.
#[derive(Parser)]
#[command(name = "demo")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The log_only -> strict switch alone, through ECDS to a running Envoy.
    Migrate,
    /// Envoy with the two Gateways and the demo certificates until Ctrl-C.
    Serve {
        /// What runs in the sni-guard slot.
        #[arg(value_enum, default_value = "strict")]
        mode: Mode,
        /// The listener's port on 127.0.0.1.
        #[arg(long, default_value_t = CONTAINER_PORT)]
        port: u16,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// No filter.
    None,
    /// sni-guard strict with the servers table, as the file configures it.
    Strict,
    /// sni-guard log_only with the servers table.
    #[value(name = "log_only")]
    LogOnly,
}

fn main() {
    let result = match Args::parse().command {
        None => show(),
        Some(Command::Migrate) => migrate(),
        Some(Command::Serve { mode, port }) => serve(mode, port),
    };
    if let Err(e) = result {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

fn show() -> Result<()> {
    let dir = demo::certs_dir();
    let (pki, _) = demo::certs(&dir, false)?;
    println!(
        "Two Istio Gateways on one port sharing one certificate (*.example.com), in Envoy {}:",
        default_version()
    );
    println!(
        "gw-a serves a.example.com, gw-b serves b.example.com; each TLS filter chain, chosen by SNI,"
    );
    println!(
        "has its own route table. A browser reuses its a.example.com connection for b.example.com.\n"
    );
    let mut runs = Vec::new();
    for (title, filter) in demo::modes() {
        let run = demo::run(title, &filter, &pki)?;
        println!("{}", demo::story(&run));
        runs.push(run);
    }
    println!("Side by side:");
    print!("{}", demo::side_by_side(&runs));
    println!();
    migrate()?;
    println!();
    browser(&pki)?;
    print!("{}", demo::by_hand(&dir));
    Ok(())
}

/// log_only, then strict delivered to the running Envoy as Istio delivers it.
fn migrate() -> Result<()> {
    print!("{}", migrate::story(&migrate::run()?));
    Ok(())
}

/// The same page in a real browser: Chromium coalesces the iframe's request by itself.
fn browser(pki: &sni_guard_harness::Pki) -> Result<()> {
    if std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .is_err()
    {
        println!(
            "(Chromium not found: test-harness/setup.sh installs it; skipping the browser.)\n"
        );
        return Ok(());
    }
    let out = sni_guard_harness::paths::workspace_root().join("target/demo");
    println!(
        "In a real browser: headless Chromium opens https://a.example.com/, whose page embeds"
    );
    println!(
        "https://b.example.com/ in an iframe; Envoy's access log says where each request went.\n"
    );
    for (title, filter) in [
        ("no filter", Filter::None),
        ("sni-guard strict", Filter::AsWritten),
    ] {
        let run = demo::browser_run(title, &filter, pki, &out)?;
        println!("{}", demo::browser_story(&run));
    }
    Ok(())
}

fn serve(mode: Mode, port: u16) -> Result<()> {
    let (filter, mode) = match mode {
        Mode::None => (Filter::None, "no filter"),
        Mode::Strict => (Filter::AsWritten, "sni-guard strict"),
        Mode::LogOnly => (Filter::two_gateways("log_only", true), "sni-guard log_only"),
    };
    let dir = demo::certs_dir();
    let (pki, _) = demo::certs(&dir, false)?;
    let launched = Gateway::builder(Topology::TwoGateways)
        .filter(&filter)
        .version(default_version())
        .pki(pki)
        .port(port)
        .launch()?;
    let gateway = match launched {
        Outcome::Ready(gateway) => gateway,
        Outcome::Refused(exited) => {
            return Err(sni_guard_harness::error::fail(format!(
                "Envoy did not start (is port {port} taken? use --port N):\n{}",
                exited.stderr
            )));
        }
    };
    println!(
        "Envoy {}: two Gateways on https://127.0.0.1:{port}, {mode}; Ctrl-C stops it.",
        default_version()
    );
    println!(
        "admin: http://{}/stats?filter=sni_guard",
        gateway.envoy.admin()
    );
    println!("CA: {}\n", dir.join("ca.pem").display());
    print!(
        "{}",
        demo::by_hand(&dir)
            .replace(":8443", &format!(":{port}"))
            .replace("<admin port>", &gateway.envoy.admin().port().to_string())
    );
    println!(
        "\naccess log: tail -f {}",
        gateway.envoy.stdout_path().display()
    );
    // Ctrl-C reaches Envoy too (same process group): it exits, and this process outlives it
    // to remove the temporary files.
    // SAFETY: setting a signal disposition to "ignore" runs no code in the handler.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let exited = gateway.envoy.wait()?;
    eprintln!("Envoy exited ({})", exited.status);
    Ok(())
}
