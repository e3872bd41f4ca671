//! Command line: `circles serve | migrate | openapi | admin …`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::organizations::dto::OrganizationWrite;
use crate::vocab::OrganizationKind;

#[derive(Debug, Parser)]
#[command(
    name = "circles",
    version,
    about = "Circles: an open directory API for mental-health peer support"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Onboard partners: organizations and API clients. Prints JSON.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an organization; prints `{"id": …, "slug": …}`.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// nonprofit, grassroots, peer_led, online_forum or professional.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        slug: Option<String>,
        /// Mark the organization as verified.
        #[arg(long)]
        verified: bool,
    },
    /// Create an API client; prints `{"client_id": …, "client_secret": …}` (the secret is shown once).
    CreateClient {
        /// The organization's id or slug.
        #[arg(long)]
        org: String,
        /// Grant the `admin` scope.
        #[arg(long)]
        admin: bool,
    },
    /// Revoke an API client: its tokens stop working at once.
    RevokeClient { client_id: String },
    /// Forget change-feed entries older than some days; mirrors whose cursor
    /// is older get `410 Gone` and resynchronize. Prints what was removed.
    PruneChanges {
        #[arg(long, default_value_t = 90)]
        older_than_days: i64,
    },
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

pub fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", crate::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => match crate::db::connect(&config.database_url, 1) {
            Ok(_) => {
                log::info!("migrations applied");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Openapi => unreachable!("handled above"),
        Command::Admin { command } => admin(&config, command),
    }
}

fn serve(config: Config) -> ExitCode {
    actix_web::rt::System::new().block_on(async move {
        let app = match crate::startup::Application::build(config.clone()) {
            Ok(app) => app,
            Err(e) => return fail(e),
        };
        log::info!(
            "Circles listening on http://{}:{} (database: {}; docs at /docs)",
            config.host,
            app.port(),
            if crate::db::Backend::from_url(&config.database_url) == crate::db::Backend::Postgres {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        );
        match app.run_until_signal().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        }
    })
}

fn admin(config: &Config, command: AdminCommand) -> ExitCode {
    let pool = match crate::db::connect(&config.database_url, 1) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let mut conn = match pool.get() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let output = match command {
        AdminCommand::CreateOrg { name, kind, slug, verified } => {
            let kind: OrganizationKind = match kind.parse() {
                Ok(k) => k,
                Err(e) => return fail(format!("--kind: {e}")),
            };
            let write = OrganizationWrite {
                name,
                slug,
                kind,
                description: None,
                website: None,
                social_links: vec![],
                contact: None,
                area_served: None,
                verified: Some(verified),
            };
            write
                .validate()
                .and_then(|()| crate::organizations::queries::create(&mut conn, &write))
                .map(|org| serde_json::json!({"id": org.id, "slug": org.slug}))
        }
        AdminCommand::CreateClient { org, admin } => {
            crate::organizations::handlers::create_client_for(&mut conn, &org, admin)
                .map(|c| serde_json::json!({"client_id": c.client_id, "client_secret": c.client_secret, "organization_id": c.organization_id, "admin": c.admin}))
        }
        AdminCommand::PruneChanges { older_than_days } => {
            let cutoff = chrono::Utc::now().naive_utc() - chrono::Duration::days(older_than_days.max(1));
            crate::changes::prune(&mut conn, cutoff)
                .map(|(removed, horizon)| serde_json::json!({"removed": removed, "horizon": horizon}))
                .map_err(Into::into)
        }
        AdminCommand::RevokeClient { client_id } => match crate::auth::clients::revoke(&mut conn, &client_id) {
            Ok(true) => Ok(serde_json::json!({"client_id": client_id, "revoked": true})),
            Ok(false) => return fail(format!("no client `{client_id}`")),
            Err(e) => Err(e.into()),
        },
    };
    match output {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("{} ({})", e.problem().detail, e.code())),
    }
}
