//! A real browser: headless Chromium (Debian's `chromium`) trusting the test CA through an
//! NSS database in a temporary `$HOME`, with every `*.example.com` name resolved to
//! 127.0.0.1. It coalesces HTTP/2 connections as browsers do; curl does not.

pub mod netlog;

use crate::error::{Context, Result, fail};
use crate::process::{checked, stdout_of};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Longest a page load may take before Chromium is killed (a hang, not a timing assertion).
const LIMIT: Duration = Duration::from_secs(120);

/// A Chromium profile: its own `$HOME` (NSS database) and user-data folder.
pub struct Browser {
    home: TempDir,
    binary: PathBuf,
    /// Flags replacing `--disable-quic` ([`Browser::with_quic`]); empty: QUIC off.
    quic: Vec<String>,
}

impl Browser {
    /// A fresh profile that trusts `ca_pem`. `CHROMIUM` overrides the binary.
    pub fn new(ca_pem: &str) -> Result<Browser> {
        let home = tempfile::Builder::new()
            .prefix("sni-guard-browser-")
            .tempdir()?;
        let nssdb = home.path().join(".pki/nssdb");
        std::fs::create_dir_all(&nssdb)?;
        let ca = home.path().join("ca.pem");
        std::fs::write(&ca, ca_pem)?;
        let db = format!("sql:{}", nssdb.display());
        certutil(&["-N", "-d", &db, "--empty-password"])?;
        let ca = ca.display().to_string();
        certutil(&[
            "-A",
            "-d",
            &db,
            "-n",
            "sni-guard test CA",
            "-t",
            "C,,",
            "-i",
            &ca,
        ])?;
        let binary = std::env::var_os("CHROMIUM").map_or("chromium".into(), PathBuf::from);
        Ok(Browser {
            home,
            binary,
            quic: Vec::new(),
        })
    }

    /// The same profile with QUIC on and `flags` added to every run (e.g. `--enable-quic`,
    /// `--origin-to-force-quic-on=...`). Every run of one `Browser` shares the profile, so
    /// what Chromium learnt (alt-svc, broken QUIC) carries over to the next one.
    pub fn with_quic<S: Into<String>>(mut self, flags: impl IntoIterator<Item = S>) -> Browser {
        self.quic = flags.into_iter().map(Into::into).collect();
        if self.quic.is_empty() {
            self.quic.push("--enable-quic".into());
        }
        self
    }

    /// Loads `url`, saves a screenshot to `png` and Chromium's netlog (default capture mode)
    /// to `netlog`.
    pub fn screenshot_with_netlog(&self, url: &str, png: &Path, netlog: &Path) -> Result<()> {
        let shot = format!("--screenshot={}", png.display());
        let log = format!("--log-net-log={}", netlog.display());
        let args = [
            shot.as_str(),
            &log,
            "--net-log-capture-mode=Default",
            "--window-size=900,420",
            url,
        ];
        self.run(&args).map(drop)
    }

    /// Loads `url` and saves a screenshot of it to `png`.
    pub fn screenshot(&self, url: &str, png: &Path) -> Result<()> {
        let arg = format!("--screenshot={}", png.display());
        self.run(&[&arg, "--window-size=900,420", url]).map(drop)
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let profile = self.home.path().join("profile");
        let quic = if self.quic.is_empty() {
            vec!["--disable-quic".to_string()]
        } else {
            self.quic.clone()
        };
        let mut child = Command::new(&self.binary)
            .env("HOME", self.home.path())
            .args(&quic)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP *.example.com 127.0.0.1",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context(|| {
                format!(
                    "starting {} (apt-get install chromium)",
                    self.binary.display()
                )
            })?;
        let started = Instant::now();
        while child.try_wait()?.is_none() {
            if started.elapsed() > LIMIT {
                let _ = child.kill();
                return Err(fail(format!("chromium did not finish within {LIMIT:?}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let program = self.binary.display().to_string();
        stdout_of(child.wait_with_output()?, "loading a page", &program)
    }
}

fn certutil(args: &[&str]) -> Result<()> {
    checked(
        Command::new("certutil").args(args),
        &format!("certutil {args:?} (apt-get install libnss3-tools)"),
    )
    .map(drop)
}
