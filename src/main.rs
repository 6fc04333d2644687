//! The `ijgate` binary: parses the command line, sets up logging, hands off to the library.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = ijgate::cli::Cli::parse();
    let format = cli.log_format.clone().unwrap_or_else(|| {
        // The config's choice when readable; logging must not depend on a valid config.
        ijgate::config::Config::parse_file(&ijgate::config::Config::locate(cli.config.as_deref()))
            .map(|c| c.daemon.log_format)
            .unwrap_or_else(|_| "human".into())
    });
    let filter = EnvFilter::try_from_env("IJGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    std::process::exit(ijgate::cli::run(cli));
}
