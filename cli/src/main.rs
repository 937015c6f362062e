//! The `sni-guard` command. Everything is in the library; see `sni_guard_cli::commands`.

fn main() {
    let stdin = std::io::stdin();
    let code = sni_guard_cli::run(
        std::env::args_os(),
        &mut stdin.lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
