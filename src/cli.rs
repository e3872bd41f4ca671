//! Command line: `circles serve | migrate | openapi | admin … | seed …`.

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
    /// Ask the service running on this machine (`CIRCLES_PORT`) for a probe;
    /// exit 0 when it answers 200. For container health checks, without curl.
    Healthcheck {
        /// The probe to ask: `/healthz` (the process is up) or `/readyz`
        /// (the database answers too).
        #[arg(long, default_value = "/healthz", value_parser = ["/healthz", "/readyz"])]
        path: String,
    },
    /// Onboard partners: organizations and API clients. Prints JSON.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Fill the database with sample data; prints a JSON summary.
    ///
    /// `--synthetic N [--seed S]` writes N realistic groups (with N/5 events
    /// and N/20 resources) across min(300, max(3, N/25)) organizations;
    /// the same N and S always give the same content. `--demo` loads a small
    /// hand-written directory, once.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["synthetic", "demo"])))]
    Seed {
        /// How many support groups to generate.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
        synthetic: Option<u64>,
        /// Random seed of the synthetic data; organization slugs are `syn-{S}-{n}`.
        #[arg(long, value_name = "S", default_value_t = 1, requires = "synthetic")]
        seed: u64,
        /// Load the small demo directory instead.
        #[arg(long)]
        demo: bool,
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

/// `circles healthcheck`: `GET` the probe on 127.0.0.1, within 3 s.
fn healthcheck(path: &str) -> ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;
    let port = std::env::var("CIRCLES_PORT")
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(8080);
    let ask = || -> std::io::Result<String> {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(3)))?;
        stream.set_write_timeout(Some(Duration::from_secs(3)))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut head = [0u8; 64];
        let n = stream.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..n]).into_owned())
    };
    match ask() {
        Ok(answer) if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") => {
            ExitCode::SUCCESS
        }
        Ok(answer) => fail(format!(
            "{path} answered {}",
            answer.lines().next().unwrap_or("nothing")
        )),
        Err(e) => fail(format!("{path}: {e}")),
    }
}

/// A connection for a one-off command (migrations run first, as for
/// `serve`).
fn one_connection(config: &Config) -> Result<crate::db::PooledConnection, ExitCode> {
    let pool = crate::db::connect(&config.database_url, 1).map_err(fail)?;
    pool.get().map_err(fail)
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
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .collect();
    for (name, meant) in crate::config::unknown_settings(names.iter().map(String::as_str)) {
        match meant {
            Some(m) => log::warn!(
                "{name} is not a setting of this service (did you mean {m}?); it is ignored"
            ),
            None => log::warn!("{name} is not a setting of this service; it is ignored"),
        }
    }
    if let Some(Command::Healthcheck { path }) = &cli.command {
        return healthcheck(path);
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => match crate::db::connect(&config.database_url, 1)
            .map_err(|e| e.to_string())
            .and_then(|pool| crate::maintenance::at_start(&pool))
        {
            Ok(_) => {
                log::info!("migrations applied");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Openapi | Command::Healthcheck { .. } => unreachable!("handled above"),
        Command::Admin { command } => admin(&config, command),
        Command::Seed {
            synthetic,
            seed,
            demo,
        } => seed_command(&config, synthetic, seed, demo),
    }
}

fn seed_command(config: &Config, synthetic: Option<u64>, seed: u64, demo: bool) -> ExitCode {
    let mut conn = match one_connection(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = match (synthetic, demo) {
        (Some(groups), _) => {
            let options = crate::seed::synthetic::Options {
                groups,
                seed,
                progress: groups >= 20_000,
            };
            crate::seed::synthetic::run(&mut conn, &options).map(|s| {
                let mut v = serde_json::to_value(&s).unwrap_or_default();
                v["seed"] = seed.into();
                v
            })
        }
        _ => crate::seed::demo::run(&mut conn).map(|outcome| match outcome {
            crate::seed::demo::Outcome::Loaded(s) => serde_json::to_value(&s).unwrap_or_default(),
            crate::seed::demo::Outcome::AlreadyLoaded => {
                eprintln!(
                    "seed: the demo directory is already loaded (organization `{}` exists); nothing to do",
                    crate::seed::demo::MARKER_SLUG
                );
                serde_json::json!({"already_loaded": true, "organizations": 0, "groups": 0, "events": 0, "resources": 0})
            }
        }),
    };
    match result {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
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
    let mut conn = match one_connection(config) {
        Ok(c) => c,
        Err(code) => return code,
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
            crate::changelog::prune(&mut conn, cutoff)
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
