use clap::Parser;
use datapm_registry::cli::Cli;
use datapm_registry::cli::user::UserCommandError;
use datapm_registry::domain::archive::Refusal;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let log_guard = datapm_registry::logging::init(cli.log_format);
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            drop(log_guard);
            eprintln!("error: {error:#}");
            let code = match error.downcast_ref::<UserCommandError>() {
                Some(refusal) => refusal.exit_code(),
                None if error.downcast_ref::<Refusal>().is_some() => 2,
                None => 1,
            };
            std::process::ExitCode::from(code)
        }
    }
}
